import { getToken, setToken } from '../../utils/storage'
import { errorBody, type FakeWx, installFakeWx, settle } from '../helpers/fake-wx'
import { attrs, type Page, renderPage, tap, text } from '../helpers/simulate'

let wxf: FakeWx
let page: Page

const student = {
  student_number: '2021001', name: '张三', college: '光电信息与计算机工程学院', major: '计算机科学与技术',
  must_change_password: false, needs_archive_step: true,
}

async function open(): Promise<Page> {
  page = renderPage('pages/mine/index')
  page.instance.onShow()
  await settle()
  return page
}

beforeEach(() => {
  wxf = installFakeWx()
  setToken('qx_abc', '2999-01-01T00:00:00Z')
  wxf.pageStack = ['pages/home/index', 'pages/mine/index']
  wxf.on('GET', '/api/v1/me', { status: 200, body: student })
})

test('shows who is logged in, with labelled actions', async () => {
  await open()
  expect(text(page, '#name')).toBe('张三')
  expect(text(page, '#student-number')).toBe('2021001')
  expect(attrs(page, 'unbind')).toMatchObject({ ariaLabel: '解除绑定' })
  expect(attrs(page, 'logout')).toMatchObject({ ariaLabel: '退出登录' })
})

test('修改密码 opens the password page, not forced', async () => {
  await open()
  await tap(page, '#password')
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/password/index' }))
})

test('解除绑定 after a confirmation: the server unbinds, the token is gone, back to 绑定', async () => {
  wxf.on('POST', '/api/v1/auth/unbind', { status: 204 })
  await open()
  await tap(page, '#unbind')
  await settle()
  expect(wxf.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '解除绑定' }))
  expect(wxf.sentTo('POST', '/api/v1/auth/unbind')[0].header.Authorization).toBe('Bearer qx_abc')
  expect(getToken()).toBeNull()
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/bind/index?reason=unbound' }))
})

test('解除绑定 cancelled in the dialog: nothing sent, still logged in', async () => {
  wxf.modalAnswer = false
  await open()
  await tap(page, '#unbind')
  await settle()
  expect(wxf.sentTo('POST', '/api/v1/auth/unbind')).toHaveLength(0)
  expect(getToken()).toBe('qx_abc')
  expect(wxf.reLaunch).not.toHaveBeenCalled()
})

test('解除绑定 refused by the server: its message, still logged in', async () => {
  wxf.on('POST', '/api/v1/auth/unbind', { status: 409, body: errorBody('conflict', '操作过于频繁，请稍后再试。') })
  await open()
  await tap(page, '#unbind')
  await settle()
  expect(text(page, '#form-error')).toBe('操作过于频繁，请稍后再试。')
  expect(getToken()).toBe('qx_abc')
  expect(wxf.reLaunch).not.toHaveBeenCalled()
})

test('no network for 解除绑定: the token is kept and 重试 unbinds without asking again', async () => {
  wxf.on('POST', '/api/v1/auth/unbind', { fail: 'request:fail' }, { status: 204 })
  await open()
  await tap(page, '#unbind')
  await settle()
  expect(text(page, '#network-error')).toContain('网络连接失败')
  expect(getToken()).toBe('qx_abc')
  await tap(page, '#retry')
  await settle()
  expect(wxf.showModal).toHaveBeenCalledTimes(1)
  expect(wxf.sentTo('POST', '/api/v1/auth/unbind')).toHaveLength(2)
  expect(getToken()).toBeNull()
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/bind/index?reason=unbound' }))
})

test('退出登录 after a confirmation revokes the token and opens 绑定 without logging in again', async () => {
  wxf.on('POST', '/api/v1/auth/logout', { status: 204 })
  await open()
  await tap(page, '#logout')
  await settle()
  expect(wxf.sentTo('POST', '/api/v1/auth/logout')[0].header.Authorization).toBe('Bearer qx_abc')
  expect(getToken()).toBeNull()
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/bind/index?reason=logout' }))
})

test('退出登录 with no network still logs out on this phone', async () => {
  wxf.on('POST', '/api/v1/auth/logout', { fail: 'request:fail' })
  await open()
  await tap(page, '#logout')
  await settle()
  expect(getToken()).toBeNull()
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/bind/index?reason=logout' }))
})

test('no network when loading: 重试 loads the profile', async () => {
  wxf.on('GET', '/api/v1/me', { fail: 'request:fail' }, { fail: 'request:fail' }, { fail: 'request:fail' }, { status: 200, body: student })
  await open()
  expect(text(page, '#network-error')).toContain('网络连接失败')
  expect(text(page, '#name')).toBeNull()
  await tap(page, '#retry')
  await settle()
  expect(text(page, '#name')).toBe('张三')
  expect(text(page, '#network-error')).toBeNull()
})

test('no token: straight to 绑定', async () => {
  wxf.storage.clear()
  await open()
  expect(wxf.sent).toHaveLength(0)
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/bind/index' }))
})
