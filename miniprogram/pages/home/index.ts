// 去向管理: the record's status, the counselor's return reason, and the one next action.
import { nextActions, statusHint, type Action, type ActionKey, type Registration } from '../../utils/actions'
import { api, ApiError, downloadSheet, type Schemas } from '../../utils/api'
import { clearFeedback, explain, showFeedback, toast } from '../../utils/feedback'
import { goToStep, navigate, relaunch, relaunchTo, ROUTES } from '../../utils/routes'
import { getToken } from '../../utils/storage'

async function currentRegistration(): Promise<Registration | null> {
  try {
    return await api.get('/api/v1/registration')
  } catch (err) {
    if (err instanceof ApiError && err.code === 'no_registration') return null
    throw err
  }
}

function confirm(title: string, content: string): Promise<boolean> {
  return new Promise((resolve) => {
    wx.showModal({ title, content, success: (res) => resolve(res.confirm), fail: () => resolve(false) })
  })
}

Component({
  data: {
    loading: false,
    loaded: false,
    student: null as Schemas['StudentOut'] | null,
    registration: null as Registration | null,
    statusKey: 'none',
    statusText: '',
    hint: '',
    returnReason: '',
    isChange: false,
    primary: { key: 'start', label: '' },
    secondary: [] as Action[],
    busyAction: '' as '' | ActionKey,
    retryAction: '' as '' | 'load' | ActionKey,
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
      if (!getToken()) {
        relaunchTo(ROUTES.bind)
        return
      }
      this.setData({ loading: true, networkError: '' })
      try {
        const student = await api.get('/api/v1/me')
        if (student.must_change_password) {
          relaunch(`${ROUTES.password}?forced=1`)
          return
        }
        this.show(student, await currentRegistration())
      } catch (err) {
        this.setData({ retryAction: 'load' })
        showFeedback(this, explain(err))
      } finally {
        this.setData({ loading: false })
      }
    },

    show(student: Schemas['StudentOut'], reg: Registration | null): void {
      const { primary, secondary } = nextActions(reg)
      this.setData({
        loaded: true,
        student,
        registration: reg,
        statusKey: reg ? reg.status : 'none',
        statusText: reg ? reg.status_display : '未登记',
        hint: statusHint(reg),
        returnReason: reg && reg.status === 'returned' ? reg.return_reason : '',
        isChange: !!reg && reg.changed_from_version !== null && reg.status !== 'verified',
        primary,
        secondary,
      })
    },

    onAction(e: WechatMiniprogram.BaseEvent): void {
      void this.run(e.currentTarget.dataset.action as ActionKey)
    },

    onMine(): void {
      navigate(ROUTES.mine)
    },

    onRetry(): void {
      const action = this.data.retryAction
      if (action === 'load' || action === '') void this.load()
      else void this.run(action, false) // already confirmed before the first try
    },

    async run(action: ActionKey, ask = true): Promise<void> {
      if (this.data.busyAction) return
      const reg = this.data.registration
      if (ask && action === 'withdraw' && !(await confirm('撤回修改', '撤回后记录回到草稿，修改后需重新提交鉴证。确定撤回吗？'))) return
      if (ask && action === 'change' && !(await confirm('申请变更', '将基于已鉴证的登记创建新版本；新版本鉴证通过前，原登记继续有效。确定申请变更吗？'))) return
      clearFeedback(this)
      this.setData({ busyAction: action, retryAction: action })
      try {
        switch (action) {
          case 'start': {
            const started = await api.post('/api/v1/registration')
            goToStep(started.next_step)
            break
          }
          case 'continue':
            goToStep(reg ? reg.next_step : null)
            break
          case 'view':
            if (reg) navigate(`${ROUTES.record}?id=${reg.id}`)
            break
          case 'withdraw': {
            const updated = await api.post('/api/v1/registration/withdraw')
            if (this.data.student) this.show(this.data.student, updated)
            toast('已撤回，可修改后重新提交。')
            break
          }
          case 'change':
            goToStep((await api.post('/api/v1/registration/change')).next_step)
            break
          case 'sheet':
            if (reg) {
              const filePath = await downloadSheet(reg.id)
              wx.openDocument({
                filePath,
                fileType: 'pdf',
                showMenu: true,
                fail: () => toast('无法打开登记表，请稍后再试。'),
              })
            }
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
