import { setToken } from '../../utils/storage'
import { errorBody, type FakeWx, installFakeWx, settle } from '../helpers/fake-wx'
import { registration } from '../helpers/records'
import { attrs, type Page, renderPage, tap, text } from '../helpers/simulate'

let wxf: FakeWx
let page: Page

const REG = '/api/v1/registration'
const VERSIONS = '/api/v1/registrations'

const events = [
  { kind: 'create', kind_display: '开始填写', at: '2025-05-18T09:00:00+08:00', note: '' },
  { kind: 'submit', kind_display: '提交', at: '2025-05-20T10:30:00+08:00', note: '' },
  { kind: 'return', kind_display: '退回', at: '2025-05-21T14:05:00+08:00', note: '协议书第一联未上传，请补充。' },
]

function record(status: string, extra: Record<string, unknown> = {}) {
  const display: Record<string, string> = { draft: '草稿', submitted: '待鉴证', returned: '已退回', verified: '已鉴证' }
  return registration({
    status, status_display: display[status], destination_type: 'dispatch_general',
    destination_type_name: '派遣 / 一般单位录用', next_step: 'review', events, ...extra,
  })
}

function version(id: number, v: number, status: string, extra: Record<string, unknown> = {}) {
  const display: Record<string, string> = { draft: '草稿', submitted: '待鉴证', verified: '已鉴证', superseded: '已变更' }
  return { id, version: v, status, status_display: display[status], destination_type_name: '派遣 / 一般单位录用',
    submitted_at: null, verified_at: null, ...extra }
}

async function open(reg: unknown, versions: unknown[] = [version(12, 1, (reg as { status: string }).status)]): Promise<Page> {
  wxf.on('GET', REG, { status: 200, body: reg })
  wxf.on('GET', VERSIONS, { status: 200, body: versions })
  page = renderPage('pages/record/index')
  page.instance.onShow()
  await settle(8)
  return page
}

beforeEach(() => {
  wxf = installFakeWx()
  setToken('qx_abc', '2999-01-01T00:00:00Z')
  wxf.pageStack = ['pages/home/index', 'pages/record/index']
})

test('returned: status, the counselor’s reason, and the history newest first', async () => {
  await open(record('returned', { return_reason: '协议书第一联未上传，请补充。', submitted_at: '2025-05-20T10:30:00+08:00' }))
  expect(text(page, '#status')).toBe('已退回')
  expect(attrs(page, 'status')).toMatchObject({ ariaLabel: '当前状态：已退回' })
  expect(text(page, '#version')).toBe('第 1 版')
  expect(text(page, '#type-name')).toBe('派遣 / 一般单位录用')
  expect(text(page, '#summary')).toContain('提交时间2025-05-20 10:30')
  expect(text(page, '#return-reason')).toBe('退回原因：协议书第一联未上传，请补充。')
  const rows = page.querySelectorAll('.event').map((n) => (n.dom as HTMLElement).textContent ?? '')
  expect(rows).toHaveLength(3)
  expect(rows[0]).toContain('退回 · 2025-05-21 14:05')
  expect(rows[0]).toContain('协议书第一联未上传，请补充。')
  expect(rows[2]).toContain('开始填写')
  expect(text(page, '#action-continue')).toBe('继续填写')
  expect(text(page, '#action-cancelChange')).toBeNull()
  expect(text(page, '#versions')).toBeNull() // one version: no version list
})

test('继续填写 opens the step the server names', async () => {
  await open(record('draft', { next_step: 'evidence' }))
  await tap(page, '#action-continue')
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/evidence/index' }))
})

test('submitted: 撤回修改 after a confirmation, then the record is a draft again', async () => {
  wxf.on('POST', '/api/v1/registration/withdraw', { status: 200, body: record('draft', { events: [...events, { kind: 'withdraw', kind_display: '撤回修改', at: '2025-05-22T08:00:00+08:00', note: '' }] }) })
  await open(record('submitted'))
  expect(text(page, '#status')).toBe('待鉴证')
  expect(text(page, '#action-continue')).toBeNull()
  await tap(page, '#action-withdraw')
  await settle()
  expect(wxf.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '撤回修改' }))
  expect(wxf.sentTo('POST', '/api/v1/registration/withdraw')).toHaveLength(1)
  expect(text(page, '#status')).toBe('草稿')
  expect(text(page, '.event')).toContain('撤回修改')
})

test('撤回修改 cancelled in the dialog sends nothing', async () => {
  wxf.modalAnswer = false
  await open(record('submitted'))
  await tap(page, '#action-withdraw')
  await settle()
  expect(wxf.sentTo('POST', '/api/v1/registration/withdraw')).toHaveLength(0)
  expect(text(page, '#status')).toBe('待鉴证')
})

test('verified: 下载登记表 with the token opens the PDF; 申请变更 after a confirmation', async () => {
  wxf.on('GET', '/api/v1/registrations/12/sheet', { status: 200, body: '%PDF-1.4' })
  wxf.on('POST', '/api/v1/registration/change', { status: 200, body: record('draft', { id: 13, version: 2, changed_from_version: 1, next_step: 'type' }) })
  await open(record('verified', { verification_no: 'QX2025-000123', verified_at: '2025-05-23T16:00:00+08:00' }))
  expect(text(page, '#verification-no')).toBe('QX2025-000123')
  expect(text(page, '#summary')).toContain('鉴证时间2025-05-23 16:00')
  await tap(page, '#action-sheet')
  await settle()
  expect(wxf.sentTo('GET', '/api/v1/registrations/12/sheet')[0].header.Authorization).toBe('Bearer qx_abc')
  expect(wxf.openDocument).toHaveBeenCalledWith(expect.objectContaining({ fileType: 'pdf' }))
  await tap(page, '#action-change')
  await settle()
  expect(wxf.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '申请变更' }))
  expect(wxf.sentTo('POST', '/api/v1/registration/change')).toHaveLength(1)
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/type/index' }))
})

test('the sheet not available yet: the server’s message, no document opened', async () => {
  wxf.on('GET', '/api/v1/registrations/12/sheet', { status: 409, body: errorBody('not_verified', '登记鉴证通过后才能下载登记表。') })
  await open(record('verified'))
  await tap(page, '#action-sheet')
  await settle()
  expect(text(page, '#form-error')).toBe('登记鉴证通过后才能下载登记表。')
  expect(wxf.openDocument).not.toHaveBeenCalled()
})

test('a change in progress: 撤销变更申请 after a confirmation returns to the verified version', async () => {
  const change = record('draft', { id: 13, version: 2, changed_from_version: 1 })
  const versions = [version(13, 2, 'draft'), version(12, 1, 'verified', { verified_at: '2025-05-23T16:00:00+08:00' })]
  wxf.on('POST', '/api/v1/registration/change/cancel', { status: 200, body: record('verified', { verification_no: 'QX2025-000123' }) })
  await open(change, versions)
  expect(text(page, '#change-note')).toContain('原已鉴证的登记在本版本鉴证通过前继续有效')
  expect(text(page, '#versions')).toContain('第 1 版 · 已鉴证')
  expect(text(page, '#versions')).toContain('鉴证于 2025-05-23 16:00')
  expect(text(page, '#action-cancelChange')).toBe('撤销变更申请')
  wxf.on('GET', VERSIONS, { status: 200, body: [versions[1]] })
  await tap(page, '#action-cancelChange')
  await settle()
  expect(wxf.showModal).toHaveBeenCalledWith(expect.objectContaining({ title: '撤销变更申请' }))
  expect(wxf.sentTo('POST', '/api/v1/registration/change/cancel')).toHaveLength(1)
  expect(text(page, '#status')).toBe('已鉴证')
  expect(text(page, '#change-note')).toBeNull()
  expect(text(page, '#versions')).toBeNull()
  expect(wxf.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '已撤销变更申请。' }))
})

test('during a change the verified version’s sheet stays downloadable from the history', async () => {
  const versions = [version(13, 2, 'draft'), version(12, 1, 'verified')]
  wxf.on('GET', '/api/v1/registrations/12/sheet', { status: 200, body: '%PDF-1.4' })
  await open(record('draft', { id: 13, version: 2, changed_from_version: 1 }), versions)
  expect(text(page, '#sheet-13')).toBeNull()
  expect(attrs(page, 'sheet-12')).toMatchObject({ ariaLabel: '下载第 1 版登记表' })
  await tap(page, '#sheet-12')
  await settle()
  expect(wxf.sentTo('GET', '/api/v1/registrations/12/sheet')).toHaveLength(1)
  expect(wxf.openDocument).toHaveBeenCalled()
})

test('撤销变更申请 refused by the server (already submitted): its message is shown', async () => {
  wxf.on('POST', '/api/v1/registration/change/cancel', { status: 409, body: errorBody('change_submitted', '变更已提交，请先撤回修改。') })
  await open(record('returned', { id: 13, version: 2, changed_from_version: 1 }))
  await tap(page, '#action-cancelChange')
  await settle()
  expect(text(page, '#form-error')).toBe('变更已提交，请先撤回修改。')
  expect(wxf.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '变更已提交，请先撤回修改。' }))
  expect(text(page, '#status')).toBe('已退回')
})

test('no network for 撤回修改: 重试 sends it again without asking twice', async () => {
  wxf.on('POST', '/api/v1/registration/withdraw', { fail: 'request:fail' }, { status: 200, body: record('draft') })
  await open(record('submitted'))
  await tap(page, '#action-withdraw')
  await settle()
  expect(text(page, '#network-error')).toContain('网络连接失败')
  expect(text(page, '#status')).toBe('待鉴证')
  await tap(page, '#retry')
  await settle()
  expect(wxf.showModal).toHaveBeenCalledTimes(1)
  expect(wxf.sentTo('POST', '/api/v1/registration/withdraw')).toHaveLength(2)
  expect(text(page, '#status')).toBe('草稿')
  expect(text(page, '#network-error')).toBeNull()
})

test('no network when loading: 重试 loads the record', async () => {
  wxf.on('GET', REG, { fail: 'request:fail' }, { fail: 'request:fail' }, { fail: 'request:fail' }, { status: 200, body: record('submitted') })
  wxf.on('GET', VERSIONS, { status: 200, body: [version(12, 1, 'submitted')] })
  page = renderPage('pages/record/index')
  page.instance.onShow()
  await settle(8)
  expect(text(page, '#network-error')).toContain('网络连接失败')
  expect(text(page, '#status')).toBeNull()
  await tap(page, '#retry')
  await settle(8)
  expect(text(page, '#status')).toBe('待鉴证')
  expect(text(page, '#network-error')).toBeNull()
})

test('an expired token (401): back to 绑定', async () => {
  wxf.on('GET', REG, { status: 401, body: errorBody('unauthorized', '登录已过期或令牌无效，请重新登录。') })
  wxf.on('GET', VERSIONS, { status: 401, body: errorBody('unauthorized', '登录已过期或令牌无效，请重新登录。') })
  page = renderPage('pages/record/index')
  page.instance.onShow()
  await settle(8)
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/bind/index?reason=expired' }))
  expect(text(page, '#form-error')).toBeNull()
})
