import { getToken } from '../../utils/storage'
import { errorBody, type FakeWx, installFakeWx, settle } from '../helpers/fake-wx'
import { attrs, type Page, renderPage, tap, text, type } from '../helpers/simulate'

let wxf: FakeWx
let page: Page

const student = { student_number: '2021001', name: '张三', must_change_password: true }
const token = { token: 'qx_new', token_type: 'Bearer', expires_at: '2999-01-01T00:00:00Z', student }

async function open(query: Record<string, string> = {}): Promise<Page> {
  page = renderPage('pages/bind/index')
  page.instance.onLoad(query)
  await settle()
  return page
}

beforeEach(() => {
  wxf = installFakeWx()
  wxf.on('POST', '/api/v1/auth/login', { status: 404, body: errorBody('not_bound', '该微信尚未绑定就业网账号，请先用学号和密码绑定。') })
})

test('renders the form with labelled controls once the code alone did not log in', async () => {
  await open()
  expect(wxf.sentTo('POST', '/api/v1/auth/login')).toHaveLength(1)
  expect(text(page, '#checking')).toBeNull()
  expect(attrs(page, 'student-number')).toMatchObject({ ariaLabel: '学号', placeholder: '请输入学号' })
  expect(attrs(page, 'password')).toMatchObject({ ariaLabel: '密码', password: true })
  expect(attrs(page, 'submit')).toMatchObject({ ariaLabel: '绑定并登录' })
  expect(text(page, '#submit')).toBe('绑定并登录')
})

test('a bound WeChat logs in with the code alone and goes on', async () => {
  wxf.on('POST', '/api/v1/auth/login', { status: 200, body: { ...token, student: { ...student, must_change_password: false } } })
  await open()
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/home/index' }))
})

test('after logout the code is not tried again, and the notice says why we are here', async () => {
  await open({ reason: 'logout' })
  expect(wxf.sent).toHaveLength(0)
  expect(text(page, '#notice')).toBe('您已退出登录。')
})

test('binding with the initial password leads to the forced 修改密码 page', async () => {
  wxf.on('POST', '/api/v1/auth/bind', { status: 200, body: token })
  await open()
  await type(page, '#student-number', ' 2021001 ')
  await type(page, '#password', '12345x')
  await tap(page, '#submit')
  await settle()
  expect(wxf.sentTo('POST', '/api/v1/auth/bind')[0].data).toMatchObject({ student_number: '2021001', password: '12345x' })
  expect(getToken()).toBe('qx_new')
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/password/index?forced=1' }))
})

test('empty inputs are marked under each input without a request', async () => {
  await open()
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#student-number-error')).toBe('请输入学号。')
  expect(text(page, '#password-error')).toBe('请输入密码。')
  expect(wxf.sentTo('POST', '/api/v1/auth/bind')).toHaveLength(0)
})

test.each([
  [401, 'login_failed', '学号或密码不正确。初始密码为身份证号后六位（末位 x 大小写均可）。'],
  [429, 'login_locked', '登录失败次数过多，账号已暂时锁定，请 15 分钟后再试，或联系辅导员重置密码。'],
  [429, 'address_limited', '来自当前网络的登录失败次数过多，请 15 分钟后再试。'],
  [409, 'account_bound', '该学号已绑定其他微信，请先解除绑定或联系辅导员。'],
  [504, 'wechat_timeout', '连接微信服务超时，请检查网络后重试。'],
])('the server answer %i %s is shown in Chinese and the input is kept', async (status, code, message) => {
  wxf.on('POST', '/api/v1/auth/bind', { status, body: errorBody(code, message) })
  await open()
  await type(page, '#student-number', '2021001')
  await type(page, '#password', 'wrong')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#form-error')).toBe(message)
  expect(wxf.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: message }))
  expect(page.instance.data.studentNumber).toBe('2021001')
  expect(attrs(page, 'student-number')!.value).toBe('2021001')
  expect(wxf.reLaunch).not.toHaveBeenCalled()
})

test('server field errors appear under their inputs', async () => {
  wxf.on('POST', '/api/v1/auth/bind', {
    status: 422,
    body: errorBody('invalid', '请求内容有误', { student_number: ['字段缺失或类型不正确。'] }),
  })
  await open()
  await type(page, '#student-number', '1'.repeat(20))
  await type(page, '#password', 'x')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#student-number-error')).toBe('字段缺失或类型不正确。')
  expect(text(page, '#form-error')).toBeNull()
})

test('WeChat unreachable: the typed input stays and 重试 binds again', async () => {
  wxf.onLogin({ code: 'c1' }, { fail: 'login:fail timeout' }, { code: 'c3' })
  wxf.on('POST', '/api/v1/auth/bind', { status: 200, body: token })
  await open()
  await type(page, '#student-number', '2021001')
  await type(page, '#password', '12345x')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#network-error')).toContain('暂时无法连接微信，请检查网络后重试。')
  expect(page.instance.data.password).toBe('12345x')
  await tap(page, '#retry')
  await settle()
  expect(wxf.sentTo('POST', '/api/v1/auth/bind')[0].data).toMatchObject({ code: 'c3', student_number: '2021001' })
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/password/index?forced=1' }))
})

test('no network on launch: 重试 tries the code login again', async () => {
  wxf.on('POST', '/api/v1/auth/login', { fail: 'request:fail' }, { status: 404, body: errorBody('not_bound', '未绑定') })
  await open()
  expect(text(page, '#network-error')).toContain('网络连接失败')
  await tap(page, '#retry')
  await settle()
  expect(wxf.sentTo('POST', '/api/v1/auth/login')).toHaveLength(2)
  expect(text(page, '#network-error')).toBeNull()
  expect(page.querySelector('#student-number')).toBeTruthy()
})
