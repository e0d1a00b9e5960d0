// 修改密码: forced after binding with the initial password (and whenever the server answers 403
// password_change_required); the rules are the web's, checked by the server.
import { api } from '../../utils/api'
import { clearFeedback, explain, showFeedback, toast } from '../../utils/feedback'
import { ROUTES, relaunch } from '../../utils/routes'

// The server runs the web's form: new_password1/new_password2 are its names for the new password.
const FIELDS = {
  old_password: 'oldPassword',
  new_password: 'newPassword',
  new_password1: 'newPassword',
  new_password2: 'newPassword',
}

Component({
  data: {
    oldPassword: '',
    newPassword: '',
    newPassword2: '',
    forced: false,
    errors: {},
    formError: '',
    networkError: '',
    busy: false,
  },
  methods: {
    onLoad(query: Record<string, string | undefined>): void {
      const forced = query.forced === '1'
      this.setData({ forced })
      // Nothing else comes first: no way back to the home page from here.
      if (forced && typeof wx.hideHomeButton === 'function') wx.hideHomeButton({ fail: () => undefined })
    },

    onInput(e: WechatMiniprogram.Input): void {
      const field = String(e.currentTarget.dataset.field)
      this.setData({ [field]: e.detail.value, [`errors.${field}`]: '' })
    },

    async onSubmit(): Promise<void> {
      if (this.data.busy) return
      const { oldPassword, newPassword, newPassword2 } = this.data
      const errors: Record<string, string> = {}
      if (!oldPassword) errors.oldPassword = '请输入原密码。'
      if (!newPassword) errors.newPassword = '请输入新密码。'
      // The server receives the new password once; typing it twice is this form's own safeguard.
      else if (newPassword !== newPassword2) errors.newPassword2 = '两次输入的新密码不一致。'
      if (Object.keys(errors).length) {
        this.setData({ errors, formError: '' })
        return
      }
      clearFeedback(this)
      this.setData({ busy: true })
      try {
        await api.post('/api/v1/auth/password', {
          body: { old_password: oldPassword, new_password: newPassword },
        })
        toast('密码已修改', 'success')
        relaunch(ROUTES.home)
      } catch (err) {
        showFeedback(this, explain(err, FIELDS))
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})
