// 绑定: wx.login code + 学号 + 密码 → our token; the initial password leads to 修改密码 first.
// On load the code alone is tried (a bound WeChat needs no password), unless the student just logged out.
import { clearFeedback, explain, showFeedback } from '../../utils/feedback'
import { relaunch } from '../../utils/routes'
import { bind, landingRoute, loginWithCode } from '../../utils/session'

const FIELDS = { student_number: 'studentNumber', password: 'password' }

const NOTICES: Record<string, string> = {
  expired: '登录已过期，请重新登录。',
  logout: '您已退出登录。',
  unbound: '已解除绑定。如需继续使用，请重新绑定。',
}

Component({
  data: {
    studentNumber: '',
    password: '',
    errors: {},
    formError: '',
    networkError: '',
    notice: '',
    checking: true,
    busy: false,
    retryAction: '' as '' | 'login' | 'bind',
  },
  methods: {
    onLoad(query: Record<string, string | undefined>): void {
      const reason = query.reason ?? ''
      this.setData({ notice: NOTICES[reason] ?? '' })
      if (reason === 'logout' || reason === 'unbound') {
        this.setData({ checking: false })
        return
      }
      void this.tryCode()
    },

    /** Later launches: the code alone. Not bound yet → the form. */
    async tryCode(): Promise<void> {
      this.setData({ checking: true, networkError: '' })
      try {
        const student = await loginWithCode()
        if (student) {
          relaunch(landingRoute(student))
          return
        }
        this.setData({ checking: false })
      } catch (err) {
        this.setData({ checking: false, retryAction: 'login' })
        showFeedback(this, explain(err, FIELDS))
      }
    },

    onInput(e: WechatMiniprogram.Input): void {
      const field = String(e.currentTarget.dataset.field)
      this.setData({ [field]: e.detail.value, [`errors.${field}`]: '' })
    },

    async onSubmit(): Promise<void> {
      if (this.data.busy) return
      const studentNumber = this.data.studentNumber.trim()
      const password = this.data.password
      // Presence only; whether the account and password are right is the server's answer.
      const missing: Record<string, string> = {}
      if (!studentNumber) missing.studentNumber = '请输入学号。'
      if (!password) missing.password = '请输入密码。'
      if (Object.keys(missing).length) {
        this.setData({ errors: missing, formError: '' })
        return
      }
      clearFeedback(this)
      this.setData({ busy: true, notice: '' })
      try {
        const student = await bind(studentNumber, password)
        relaunch(landingRoute(student))
      } catch (err) {
        this.setData({ retryAction: 'bind' })
        showFeedback(this, explain(err, FIELDS))
      } finally {
        this.setData({ busy: false })
      }
    },

    onRetry(): void {
      if (this.data.retryAction === 'login') void this.tryCode()
      else void this.onSubmit()
    },
  },
})
