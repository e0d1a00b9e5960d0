// 状态与历史: the current record (summary, status, the counselor's return reason), its history of events and
// versions, and what the student can do with it: 撤回修改 / 申请变更 / 撤销变更申请 / 下载登记表.
// Always the student's current record (GET /registration): the actions act on it, whatever ?id= 查看 passed;
// older versions are listed below it, and a verified one's sheet can be downloaded from there.
import type { Registration } from '../../utils/actions'
import { api, downloadSheet, type Schemas } from '../../utils/api'
import { clearFeedback, explain, showFeedback, toast } from '../../utils/feedback'
import { goToStep } from '../../utils/routes'

type RecordAction = 'continue' | 'withdraw' | 'change' | 'cancelChange' | 'sheet'
type Row = { label: string; value: string }

const LABELS: Record<RecordAction, string> = {
  continue: '继续填写', withdraw: '撤回修改', change: '申请变更', cancelChange: '撤销变更申请', sheet: '下载登记表',
}

// What each write asks before it is sent (the web asks the same).
const CONFIRM: Partial<Record<RecordAction, [string, string]>> = {
  withdraw: ['撤回修改', '撤回后记录回到草稿，修改后需重新提交鉴证。确定撤回吗？'],
  change: ['申请变更', '将基于已鉴证的登记创建新版本；新版本鉴证通过前，原登记继续有效。确定申请变更吗？'],
  cancelChange: ['撤销变更申请', '将删除本次变更填写的内容和材料，原已鉴证的登记继续有效。确定撤销吗？'],
}

/** "2025-06-01T10:30:00+08:00" → "2025-06-01 10:30" (the server's own clock, as the web shows it). */
function when(iso: string | null | undefined): string {
  return iso ? iso.slice(0, 16).replace('T', ' ') : ''
}

function actionsFor(reg: Registration): RecordAction[] {
  const isChange = reg.changed_from_version !== null
  switch (reg.status) {
    case 'draft':
    case 'returned':
      return isChange ? ['continue', 'cancelChange'] : ['continue']
    case 'submitted':
      return ['withdraw']
    case 'verified':
      return ['sheet', 'change']
    default:
      return []
  }
}

function summary(reg: Registration): Row[] {
  const rows: Row[] = []
  if (reg.submitted_at) rows.push({ label: '提交时间', value: when(reg.submitted_at) })
  if (reg.verified_at) rows.push({ label: '鉴证时间', value: when(reg.verified_at) })
  return rows
}

function history(versions: Array<Schemas['VersionOut']>): Array<Schemas['VersionOut']> {
  return versions.map((v) => ({ ...v, verified_at: when(v.verified_at) }))
}

function confirm(title: string, content: string): Promise<boolean> {
  return new Promise((resolve) => {
    wx.showModal({ title, content, success: (res) => resolve(res.confirm), fail: () => resolve(false) })
  })
}

function openSheet(filePath: string): void {
  wx.openDocument({ filePath, fileType: 'pdf', showMenu: true, fail: () => toast('无法打开登记表，请稍后再试。') })
}

Component({
  data: {
    loading: false,
    loaded: false,
    registration: null as Registration | null,
    summary: [] as Row[],
    returnReason: '',
    isChange: false,
    actions: [] as Array<{ key: RecordAction; label: string }>,
    events: [] as Array<Schemas['EventOut']>,
    versions: [] as Array<Schemas['VersionOut']>,
    busyAction: '' as '' | RecordAction | 'versionSheet',
    retryAction: '' as '' | 'load' | RecordAction,
    retryVersion: 0,
    errors: {},
    formError: '',
    networkError: '',
  },
  methods: {
    onShow(): void {
      void this.load()
    },

    onPullDownRefresh(): void {
      void this.load().then(() => wx.stopPullDownRefresh({ fail: () => undefined }))
    },

    async load(): Promise<void> {
      clearFeedback(this)
      this.setData({ loading: true, retryAction: 'load' })
      try {
        const [reg, versions] = await Promise.all([api.get('/api/v1/registration'), api.get('/api/v1/registrations')])
        this.show(reg, versions)
        this.setData({ retryAction: '' })
      } catch (err) {
        showFeedback(this, explain(err))
      } finally {
        this.setData({ loading: false })
      }
    },

    show(reg: Registration, versions?: Array<Schemas['VersionOut']>): void {
      this.setData({
        loaded: true,
        registration: reg,
        summary: summary(reg),
        returnReason: reg.status === 'returned' ? reg.return_reason : '',
        isChange: reg.changed_from_version !== null && reg.status !== 'verified',
        actions: actionsFor(reg).map((key) => ({ key, label: LABELS[key] })),
        // Newest first, as the web's history.
        events: [...reg.events].reverse().map((e) => ({ ...e, at: when(e.at) })),
        ...(versions ? { versions: history(versions) } : {}),
      })
    },

    onAction(e: WechatMiniprogram.BaseEvent): void {
      void this.run(e.currentTarget.dataset.action as RecordAction)
    },

    onVersionSheet(e: WechatMiniprogram.BaseEvent): void {
      void this.versionSheet(Number(e.currentTarget.dataset.id))
    },

    onRetry(): void {
      const action = this.data.retryAction
      if (action === 'load' || action === '') void this.load()
      else if (action === 'sheet' && this.data.retryVersion) void this.versionSheet(this.data.retryVersion)
      else void this.run(action, false) // already confirmed before the first try
    },

    async versionSheet(id: number): Promise<void> {
      if (this.data.busyAction) return
      clearFeedback(this)
      this.setData({ busyAction: 'versionSheet', retryAction: 'sheet', retryVersion: id })
      try {
        openSheet(await downloadSheet(id))
        this.setData({ retryAction: '', retryVersion: 0 })
      } catch (err) {
        showFeedback(this, explain(err))
      } finally {
        this.setData({ busyAction: '' })
      }
    },

    async run(action: RecordAction, ask = true): Promise<void> {
      const reg = this.data.registration
      if (this.data.busyAction || !reg) return
      const question = CONFIRM[action]
      if (ask && question && !(await confirm(question[0], question[1]))) return
      clearFeedback(this)
      this.setData({ busyAction: action, retryAction: action, retryVersion: 0 })
      try {
        switch (action) {
          case 'continue':
            goToStep(reg.next_step)
            break
          case 'withdraw':
            this.show(await api.post('/api/v1/registration/withdraw'))
            toast('已撤回，可修改后重新提交。')
            break
          case 'change':
            goToStep((await api.post('/api/v1/registration/change')).next_step)
            break
          case 'cancelChange':
            this.show(await api.post('/api/v1/registration/change/cancel'))
            toast('已撤销变更申请。')
            // The cancelled version is gone from the history; a failure here only leaves the list stale.
            api.get('/api/v1/registrations').then((versions) => this.setData({ versions: history(versions) }), () => undefined)
            break
          case 'sheet':
            openSheet(await downloadSheet(reg.id))
            break
        }
        this.setData({ retryAction: '' })
      } catch (err) {
        showFeedback(this, explain(err))
      } finally {
        this.setData({ busyAction: '' })
      }
    },
  },
})
