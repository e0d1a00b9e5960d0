// 我的: who is logged in, 修改密码 (the password page, not forced), 解除绑定 and 退出登录.
import { api, type Schemas } from '../../utils/api'
import { clearFeedback, explain, showFeedback } from '../../utils/feedback'
import { navigate, relaunch, relaunchTo, ROUTES } from '../../utils/routes'
import { logout, unbind } from '../../utils/session'
import { getToken } from '../../utils/storage'

type MineAction = 'load' | 'unbind' | 'logout'

function confirm(title: string, content: string): Promise<boolean> {
  return new Promise((resolve) => {
    wx.showModal({ title, content, success: (res) => resolve(res.confirm), fail: () => resolve(false) })
  })
}

Component({
  data: {
    student: null as Schemas['StudentOut'] | null,
    busy: '' as '' | MineAction,
    retryAction: '' as '' | MineAction,
    errors: {},
    formError: '',
    networkError: '',
  },
  methods: {
    onShow(): void {
      void this.load()
    },

    async load(): Promise<void> {
      if (!getToken()) {
        relaunchTo(ROUTES.bind)
        return
      }
      clearFeedback(this)
      this.setData({ retryAction: 'load' })
      try {
        this.setData({ student: await api.get('/api/v1/me'), retryAction: '' })
      } catch (err) {
        showFeedback(this, explain(err))
      }
    },

    onPassword(): void {
      navigate(ROUTES.password)
    },

    onAction(e: WechatMiniprogram.BaseEvent): void {
      void this.run(e.currentTarget.dataset.action as MineAction)
    },

    onRetry(): void {
      const action = this.data.retryAction
      if (action === 'unbind') void this.run(action, false)
      else void this.load()
    },

    async run(action: MineAction, ask = true): Promise<void> {
      if (this.data.busy || action === 'load') return
      if (ask && action === 'unbind'
        && !(await confirm('解除绑定', '解除后本微信将不能再自动登录，须重新用学号和密码绑定。确定解除绑定吗？'))) return
      if (ask && action === 'logout' && !(await confirm('退出登录', '确定退出登录吗？'))) return
      clearFeedback(this)
      this.setData({ busy: action, retryAction: action })
      try {
        if (action === 'unbind') {
          await unbind()
          relaunch(`${ROUTES.bind}?reason=unbound`)
        } else {
          // The token leaves this phone even when the server was not reached (logout's finally), so the
          // student is logged out either way; an unrevoked token simply expires on the server.
          await logout().catch(() => undefined)
          relaunch(`${ROUTES.bind}?reason=logout`)
        }
        this.setData({ retryAction: '' })
      } catch (err) {
        showFeedback(this, explain(err))
      } finally {
        this.setData({ busy: '' })
      }
    },
  },
})
