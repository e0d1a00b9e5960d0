// 档案信息 (only for the types and education levels that have it: the server's `steps` say so): 生源地主管单位
// and where the personnel file goes, with 匹配 (the student's 生源地) and 与签约单位相同 (the employer).
import { api, ApiError, type Schemas } from '../../utils/api'
import { attempt, clearFeedback, explain, showFeedback, toast } from '../../utils/feedback'
import { loadStep } from '../../utils/reference'
import { goToStep, skipToStep, stepLabel } from '../../utils/routes'

type Archive = Schemas['ArchiveIn']
type Form = Record<string, string>

const ARCHIVE_FIELDS: Array<{ name: keyof Archive; label: string; required: boolean; keyboard: 'text' | 'number' }> = [
  { name: 'origin_authority_name', label: '生源地主管单位名称', required: true, keyboard: 'text' },
  { name: 'archive_unit', label: '档案接收单位', required: true, keyboard: 'text' },
  { name: 'archive_address', label: '档案接收地址', required: true, keyboard: 'text' },
  { name: 'archive_postcode', label: '邮编', required: true, keyboard: 'number' },
  { name: 'archive_contact', label: '联系人', required: false, keyboard: 'text' },
  { name: 'archive_phone', label: '联系电话', required: true, keyboard: 'number' },
]

const DESTINATIONS = [
  { value: 'origin', label: '回生源地' },
  { value: 'employer', label: '转至签约单位' },
  { value: 'other', label: '其他（按调档函等填写）' },
]

const NAMES = ['archive_destination', ...ARCHIVE_FIELDS.map((f) => f.name as string)]
const emptyForm: Form = {}

Component({
  data: {
    loaded: false,
    stepLabel: '',
    fields: ARCHIVE_FIELDS,
    destinations: DESTINATIONS,
    hasEmployer: false,
    form: emptyForm,
    busy: '' as '' | 'save' | 'match' | 'copy',
    retryAction: '' as '' | 'load' | 'save' | 'match' | 'copy',
    errors: {},
    formError: '',
    networkError: '',
  },
  methods: {
    onLoad(): void {
      void this.load()
    },

    async load(): Promise<void> {
      await attempt(this, 'load', async () => {
        const { reg, leaf } = await loadStep()
        // Postgraduates and types without an archive never see this step: go where the server says.
        if (!reg.steps.includes('archive')) {
          skipToStep(reg.next_step)
          return
        }
        const saved = reg.archive as Record<string, string | null | undefined>
        const form: Form = {}
        for (const name of NAMES) form[name] = this.data.form[name] ?? saved[name] ?? ''
        this.setData({ loaded: true, hasEmployer: leaf?.org_kind === 'employer', form, stepLabel: stepLabel(reg.steps, 'archive') })
      })
    },

    fill(values: Archive): void {
      const form = { ...this.data.form }
      for (const [name, value] of Object.entries(values)) if (typeof value === 'string' && NAMES.includes(name)) form[name] = value
      const errors: Record<string, string> = {}
      this.setData({ form, errors })
    },

    onInput(e: WechatMiniprogram.Input): void {
      const field = String(e.currentTarget.dataset.field)
      this.setData({ [`form.${field}`]: e.detail.value, [`errors.${field}`]: '' })
    },

    onDestination(e: WechatMiniprogram.BaseEvent): void {
      this.setData({ 'form.archive_destination': String(e.currentTarget.dataset.value), 'errors.archive_destination': '' })
    },

    onRetry(): void {
      const action = this.data.retryAction
      if (action === 'save') void this.onSubmit()
      else if (action === 'match' || action === 'copy') void this.fillFrom(action)
      else void this.load()
    },

    onMatch(): void {
      void this.fillFrom('match')
    },

    onCopy(): void {
      void this.fillFrom('copy')
    },

    /** 匹配 / 与签约单位相同: the server's values for the form (not saved until 保存). */
    async fillFrom(action: 'match' | 'copy'): Promise<void> {
      if (this.data.busy) return
      clearFeedback(this)
      this.setData({ busy: action, retryAction: action })
      try {
        const values = action === 'match'
          ? await api.post('/api/v1/registration/archive/match')
          : await api.post('/api/v1/registration/archive/copy-organisation')
        this.setData({ retryAction: '' })
        this.fill(values)
        toast('已填入，请核对', 'success')
      } catch (err) {
        if (err instanceof ApiError) this.setData({ retryAction: '' })
        showFeedback(this, explain(err, NAMES))
      } finally {
        this.setData({ busy: '' })
      }
    },

    async onSubmit(): Promise<void> {
      if (this.data.busy) return
      clearFeedback(this)
      this.setData({ busy: 'save', retryAction: 'save' })
      const body: Record<string, string | null> = {}
      for (const name of NAMES) {
        const value = (this.data.form[name] ?? '').trim()
        body[name] = value === '' ? null : value
      }
      try {
        const reg = await api.put('/api/v1/registration/archive', { body })
        this.setData({ retryAction: '' })
        goToStep(reg.next_step)
      } catch (err) {
        showFeedback(this, explain(err, NAMES))
      } finally {
        this.setData({ busy: '' })
      }
    },
  },
})
