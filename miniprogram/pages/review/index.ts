// 确认提交: everything the record holds, as the counselor will see it, then 提交 (with an Idempotency-Key, so a
// 重试 after a lost answer never submits twice) and what to do next (submit_guidance).
import { api, ApiError, idempotentAction, type Schemas } from '../../utils/api'
import { clearFeedback, explain, showFeedback } from '../../utils/feedback'
import { orgFields, type RegionNode, regionChosen, regionPath } from '../../utils/orgform'
import { codeLists, destinationLeaf } from '../../utils/reference'
import { goToStep, relaunch, ROUTES, stepLabel } from '../../utils/routes'
import { requestReviewSubscription } from '../../utils/subscribe'

type Row = { label: string; value: string }
type Section = { step: string; title: string; rows: Row[] }
type Reg = Schemas['RegistrationOut']

const DESTINATIONS: Record<string, string> = { origin: '回生源地', employer: '转至签约单位', other: '其他（按调档函等填写）' }
const ARCHIVE_ROWS: Array<[keyof Schemas['ArchiveIn'], string]> = [
  ['origin_authority_name', '生源地主管单位'], ['archive_destination', '档案去向'], ['archive_unit', '档案接收单位'],
  ['archive_address', '档案接收地址'], ['archive_postcode', '邮编'], ['archive_contact', '联系人'], ['archive_phone', '联系电话'],
]
const EDITABLE = ['draft', 'returned']

/** One submit per page: its key is kept until the server has answered (see idempotentAction). */
let submit: (() => Promise<Schemas['SubmitOut']>) | null = null

async function sections(reg: Reg): Promise<Section[]> {
  const leaf = await destinationLeaf(reg.destination_type)
  const kind = leaf ? leaf.org_kind : 'none'
  const org = reg.organisation as Record<string, string | null | undefined>
  const [lists, tree] = await Promise.all([
    codeLists(kind),
    org.org_region ? api.get('/api/v1/reference/regions') : Promise.resolve([] as RegionNode[]),
  ])
  const out: Section[] = [{ step: 'type', title: '去向类型', rows: [{ label: '去向类型', value: reg.destination_type_name ?? '未选择' }] }]
  if (reg.steps.includes('organisation')) {
    const rows = orgFields(kind, { typeKey: leaf?.key, signedOnLabel: reg.signed_on_label }).map((f) => {
      const raw = org[f.name] ?? ''
      let value = raw
      if (lists[f.name]) value = lists[f.name].find((o) => o.code === raw)?.name ?? raw
      if (f.widget === 'region' && raw) value = regionChosen(tree, regionPath(tree, raw))?.name ?? raw
      return { label: f.label, value: value || '未填写' }
    })
    out.push({ step: 'organisation', title: kind === 'school' ? '学校信息' : '单位信息', rows })
  }
  if (reg.steps.includes('evidence')) {
    const rows = reg.evidence.length ? reg.evidence.map((e, i) => ({ label: `文件 ${i + 1}`, value: e.name })) : [{ label: '文件', value: '未上传' }]
    out.push({ step: 'evidence', title: '佐证材料', rows })
  }
  if (reg.steps.includes('archive')) {
    const archive = reg.archive as Record<string, string | null | undefined>
    const rows = ARCHIVE_ROWS.map(([name, label]) => {
      const raw = archive[name] ?? ''
      return { label, value: (name === 'archive_destination' ? DESTINATIONS[raw] ?? raw : raw) || '未填写' }
    })
    out.push({ step: 'archive', title: '档案信息', rows })
  }
  return out
}

Component({
  data: {
    loaded: false,
    stepLabel: '',
    sections: [] as Section[],
    editable: false,
    statusText: '',
    returnReason: '',
    submitted: false,
    resultMessage: '',
    offerSubscribe: false,
    subscribed: false,
    guidance: '',
    openStep: '',
    busy: false,
    retryAction: '' as '' | 'load' | 'submit',
    errors: {},
    formError: '',
    networkError: '',
  },
  methods: {
    onLoad(): void {
      submit = idempotentAction((key) => api.post('/api/v1/registration/submit', { idempotencyKey: key }))
      void this.load()
    },

    async load(): Promise<void> {
      clearFeedback(this)
      this.setData({ retryAction: 'load' })
      try {
        const reg = await api.get('/api/v1/registration')
        this.setData({
          sections: await sections(reg),
          loaded: true,
          stepLabel: stepLabel(reg.steps, 'review'),
          editable: EDITABLE.includes(reg.status),
          statusText: reg.status_display,
          returnReason: reg.status === 'returned' ? reg.return_reason : '',
          retryAction: '',
        })
      } catch (err) {
        showFeedback(this, explain(err))
      }
    },

    onEdit(e: WechatMiniprogram.BaseEvent): void {
      goToStep(String(e.currentTarget.dataset.step))
    },

    onOpenStep(): void {
      goToStep(this.data.openStep)
    },

    onHome(): void {
      relaunch(ROUTES.home)
    },

    onRetry(): void {
      if (this.data.retryAction === 'submit') void this.onSubmit()
      else void this.load()
    },

    /**
     * WeChat may refuse the dialog outside a tap (the call follows the submit's answer): then a button offers
     * it again, which is a tap. A refusal by the student is final for this page.
     */
    async askSubscription(): Promise<void> {
      const outcome = await requestReviewSubscription()
      this.setData({ offerSubscribe: outcome === 'failed', subscribed: outcome === 'accepted' })
    },

    onSubscribe(): void {
      void this.askSubscription()
    },

    async onSubmit(): Promise<void> {
      if (this.data.busy || !submit) return
      clearFeedback(this)
      this.setData({ busy: true, retryAction: 'submit', openStep: '' })
      try {
        const out = await submit()
        this.setData({
          submitted: true,
          editable: false,
          resultMessage: out.message,
          guidance: out.registration.submit_guidance,
          statusText: out.registration.status_display,
          retryAction: '',
        })
        // Asked only after the submit is done; whatever the answer, the result above stands.
        if (out.submitted) void this.askSubscription()
      } catch (err) {
        // A step still open (StepNotReady names it): the message, and a way straight there.
        if (err instanceof ApiError && err.code === 'step_not_ready' && err.fields.step) {
          this.setData({ openStep: err.fields.step[0] })
        }
        showFeedback(this, explain(err))
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})
