import { setToken } from '../../utils/storage'
import { errorBody, type FakeWx, installFakeWx, settle } from '../helpers/fake-wx'
import { attrs, type Page, renderPage, tap, text } from '../helpers/simulate'

let wxf: FakeWx
let page: Page

const student = {
  student_number: '2021001', name: '张三', college: '光电信息与计算机工程学院', major: '计算机科学与技术',
  must_change_password: false, needs_archive_step: true,
}

function record(status: string, extra: Record<string, unknown> = {}) {
  const display: Record<string, string> = { draft: '草稿', submitted: '待鉴证', returned: '已退回', verified: '已鉴证' }
  return {
    id: 12, version: 1, status, status_display: display[status], destination_type: 'general',
    destination_type_name: '派遣 / 一般单位录用', return_reason: '', verification_no: null,
    changed_from_version: null, next_step: 'type', ...extra,
  }
}

async function open(): Promise<Page> {
  page = renderPage('pages/home/index')
  page.instance.onShow()
  await settle()
  return page
}

beforeEach(() => {
  wxf = installFakeWx()
  setToken('qx_abc', '2999-01-01T00:00:00Z')
  wxf.pageStack = ['pages/home/index']
  wxf.on('GET', '/api/v1/me', { status: 200, body: student })
})

test('no token: straight to 绑定', async () => {
  wxf.storage.clear()
  await open()
  expect(wxf.sent).toHaveLength(0)
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/bind/index' }))
})

test('not registered yet: 未登记 and 去向录入, which starts a registration', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 404, body: errorBody('no_registration', '您还没有开始登记，请先创建登记。') })
  wxf.on('POST', '/api/v1/registration', { status: 200, body: record('draft') })
  await open()
  expect(text(page, '#who')).toBe('张三（2021001） · 光电信息与计算机工程学院')
  expect(text(page, '#status')).toBe('未登记')
  expect(text(page, '#primary-action')).toBe('去向录入')
  expect(attrs(page, 'primary-action')).toMatchObject({ ariaLabel: '去向录入' })
  expect(text(page, '#form-error')).toBeNull()
  await tap(page, '#primary-action')
  await settle()
  expect(wxf.sentTo('POST', '/api/v1/registration')).toHaveLength(1)
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/type/index' }))
})

test('returned: the counselor’s reason is shown above 继续填写', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: record('returned', { return_reason: '协议书第一联未上传，请补充。' }) })
  await open()
  expect(text(page, '#status')).toBe('已退回')
  expect(text(page, '#return-reason')).toBe('退回原因：协议书第一联未上传，请补充。')
  expect(text(page, '#primary-action')).toBe('继续填写')
})

test('继续填写 opens the step the server says comes next', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: record('draft', { next_step: 'evidence' }) })
  await open()
  await tap(page, '#primary-action')
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/evidence/index' }))
})

test('submitted: 查看, and 撤回修改 after a confirmation', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: record('submitted') })
  wxf.on('POST', '/api/v1/registration/withdraw', { status: 200, body: record('draft') })
  await open()
  expect(text(page, '#status')).toBe('待鉴证')
  expect(text(page, '#primary-action')).toBe('查看')
  expect(text(page, '#return-reason')).toBeNull()
  await tap(page, '#action-withdraw')
  await settle()
  expect(wxf.showModal).toHaveBeenCalled()
  expect(wxf.sentTo('POST', '/api/v1/registration/withdraw')).toHaveLength(1)
  expect(text(page, '#status')).toBe('草稿')
  expect(text(page, '#primary-action')).toBe('继续填写')
})

test('withdraw cancelled in the dialog sends nothing', async () => {
  wxf.modalAnswer = false
  wxf.on('GET', '/api/v1/registration', { status: 200, body: record('submitted') })
  await open()
  await tap(page, '#action-withdraw')
  await settle()
  expect(wxf.sentTo('POST', '/api/v1/registration/withdraw')).toHaveLength(0)
})

test('verified: 下载登记表 opens the PDF; 申请变更 is offered', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: record('verified', { verification_no: 'QX2025-000123' }) })
  wxf.on('GET', '/api/v1/registrations/12/sheet', { status: 200, body: '%PDF-1.4' })
  await open()
  expect(text(page, '#verification-no')).toBe('QX2025-000123')
  expect(text(page, '#primary-action')).toBe('下载登记表')
  expect(text(page, '#action-change')).toBe('申请变更')
  await tap(page, '#primary-action')
  await settle()
  expect(wxf.sentTo('GET', '/api/v1/registrations/12/sheet')[0].header.Authorization).toBe('Bearer qx_abc')
  expect(wxf.openDocument).toHaveBeenCalledWith(expect.objectContaining({ fileType: 'pdf' }))
})

test('a refusal from the server is shown where the student looks', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: record('submitted') })
  wxf.on('POST', '/api/v1/registration/withdraw', { status: 409, body: errorBody('state_conflict', '辅导员正在鉴证，暂时不能撤回。') })
  await open()
  await tap(page, '#action-withdraw')
  await settle()
  expect(text(page, '#form-error')).toBe('辅导员正在鉴证，暂时不能撤回。')
  expect(wxf.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '辅导员正在鉴证，暂时不能撤回。' }))
})

test('the initial password not changed yet: to 修改密码 before anything else', async () => {
  wxf.on('GET', '/api/v1/me', { status: 200, body: { ...student, must_change_password: true } })
  await open()
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/password/index?forced=1' }))
  expect(wxf.sentTo('GET', '/api/v1/registration')).toHaveLength(0)
})

test('the server insists (403 password_change_required): to 修改密码, nothing else shown', async () => {
  wxf.on('GET', '/api/v1/me', { status: 403, body: errorBody('password_change_required', '请先修改初始密码。') })
  await open()
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/password/index?forced=1' }))
  expect(text(page, '#form-error')).toBeNull()
  expect(wxf.showToast).not.toHaveBeenCalled()
})

test('an expired token (401): back to 绑定', async () => {
  wxf.on('GET', '/api/v1/me', { status: 401, body: errorBody('unauthorized', '登录已过期或令牌无效，请重新登录。') })
  await open()
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/bind/index?reason=expired' }))
})

test('no network after the retries: 重试 loads again', async () => {
  wxf.on('GET', '/api/v1/me', { fail: 'request:fail' }, { fail: 'request:fail' }, { fail: 'request:fail' }, { status: 200, body: student })
  wxf.on('GET', '/api/v1/registration', { status: 200, body: record('draft') })
  await open()
  expect(wxf.sentTo('GET', '/api/v1/me')).toHaveLength(3) // the first try and two automatic retries
  expect(text(page, '#network-error')).toContain('网络连接失败，请检查网络后重试。')
  await tap(page, '#retry')
  await settle()
  expect(text(page, '#network-error')).toBeNull()
  expect(text(page, '#status')).toBe('草稿')
})

test('no network when starting: 重试 starts it (the write itself is not repeated automatically)', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 404, body: errorBody('no_registration', '您还没有开始登记') })
  wxf.on('POST', '/api/v1/registration', { fail: 'request:fail' }, { status: 200, body: record('draft') })
  await open()
  await tap(page, '#primary-action')
  await settle()
  expect(wxf.sentTo('POST', '/api/v1/registration')).toHaveLength(1)
  expect(text(page, '#network-error')).toContain('网络连接失败')
  await tap(page, '#retry')
  await settle()
  expect(wxf.sentTo('POST', '/api/v1/registration')).toHaveLength(2)
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/type/index' }))
})

test('no network for 撤回修改: 重试 sends it again without asking a second time', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: record('submitted') })
  wxf.on('POST', '/api/v1/registration/withdraw', { fail: 'request:fail' }, { status: 200, body: record('draft') })
  await open()
  await tap(page, '#action-withdraw')
  await settle()
  expect(text(page, '#network-error')).toContain('网络连接失败')
  await tap(page, '#retry')
  await settle()
  expect(wxf.showModal).toHaveBeenCalledTimes(1)
  expect(wxf.sentTo('POST', '/api/v1/registration/withdraw')).toHaveLength(2)
  expect(text(page, '#status')).toBe('草稿')
})

test('查看 opens 状态与历史, and 我的 is reachable from here', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: record('submitted') })
  await open()
  await tap(page, '#primary-action')
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/record/index?id=12' }))
  expect(attrs(page, 'mine')).toMatchObject({ ariaLabel: '我的：修改密码、解除绑定、退出登录' })
  await tap(page, '#mine')
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/mine/index' }))
})
