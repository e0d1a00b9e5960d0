import { ApiError, NetworkError } from '../../utils/api'
import { bind, landingRoute, loginWithCode, logout } from '../../utils/session'
import { getToken, setToken } from '../../utils/storage'
import { errorBody, type FakeWx, installFakeWx } from '../helpers/fake-wx'

let wxf: FakeWx
beforeEach(() => {
  wxf = installFakeWx()
})

const student = { student_number: '2021001', name: '张三', must_change_password: true }
const token = { token: 'qx_new', token_type: 'Bearer', expires_at: '2999-01-01T00:00:00Z', student }

test('bind sends a fresh wx.login code with 学号 and 密码 and keeps the token', async () => {
  wxf.onLogin({ code: 'wx-code-1' })
  wxf.on('POST', '/api/v1/auth/bind', { status: 200, body: token })
  await expect(bind('2021001', '12345X')).resolves.toEqual(student)
  expect(wxf.sent[0].data).toEqual({ code: 'wx-code-1', student_number: '2021001', password: '12345X' })
  expect(getToken()).toBe('qx_new')
})

test('WeChat unreachable (wx.login fails) is a NetworkError saying so; nothing is sent', async () => {
  wxf.onLogin({ fail: 'login:fail timeout' })
  const err = await bind('2021001', 'x').catch((e: unknown) => e)
  expect(err).toBeInstanceOf(NetworkError)
  expect((err as Error).message).toBe('暂时无法连接微信，请检查网络后重试。')
  expect(wxf.sent).toHaveLength(0)
})

test('later launches log in with the code alone', async () => {
  wxf.on('POST', '/api/v1/auth/login', { status: 200, body: token })
  await expect(loginWithCode()).resolves.toEqual(student)
  expect(wxf.sent[0].data).toEqual({ code: 'code-1' })
})

test('a WeChat not bound yet gives null (the form is shown), other errors are raised', async () => {
  wxf.on('POST', '/api/v1/auth/login', { status: 404, body: errorBody('not_bound', '该微信尚未绑定') })
  await expect(loginWithCode()).resolves.toBeNull()
  wxf.on('POST', '/api/v1/auth/login', { status: 503, body: errorBody('wechat_busy', '微信服务繁忙，请稍后再试。') })
  await expect(loginWithCode()).rejects.toBeInstanceOf(ApiError)
})

test('the initial password leads to 修改密码 first', () => {
  expect(landingRoute({ ...student, must_change_password: true } as never)).toBe('/pages/password/index?forced=1')
  expect(landingRoute({ ...student, must_change_password: false } as never)).toBe('/pages/home/index')
})

test('logout forgets the token even when the server cannot be reached', async () => {
  setToken('qx_1', '2999-01-01T00:00:00Z')
  wxf.on('POST', '/api/v1/auth/logout', { fail: 'request:fail' })
  await expect(logout()).rejects.toBeInstanceOf(NetworkError)
  expect(getToken()).toBeNull()
})
