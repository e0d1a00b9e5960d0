import { setToken } from '../../utils/storage'
import { errorBody, type FakeWx, installFakeWx, settle } from '../helpers/fake-wx'
import { DESTINATION_GROUPS, registration } from '../helpers/records'
import { attrs, type Page, renderPage, tap, text } from '../helpers/simulate'

let wxf: FakeWx
let page: Page

async function open(): Promise<Page> {
  page = renderPage('pages/type/index')
  page.instance.onLoad({})
  await settle()
  return page
}

beforeEach(() => {
  wxf = installFakeWx()
  setToken('qx_abc', '2999-01-01T00:00:00Z')
  wxf.on('GET', '/api/v1/reference/destination-types', { status: 200, body: DESTINATION_GROUPS })
  wxf.on('GET', '/api/v1/registration', { status: 200, body: registration() })
})

test('first the 一级去向, then its types, with the explanation and the evidence needed', async () => {
  await open()
  expect(text(page, '#group-dispatch')).toBe('派遣')
  expect(attrs(page, 'group-dispatch')).toMatchObject({ ariaRole: 'radio', ariaChecked: false, ariaLabel: '派遣' })
  expect(text(page, '#leaves')).toBeNull()
  await tap(page, '#group-dispatch')
  expect(text(page, '#group-explanation')).toBe('签订就业协议书的毕业生选择此项。')
  expect(text(page, '#leaf-dispatch_general')).toBe('一般单位录用')
  await tap(page, '#leaf-dispatch_general')
  expect(attrs(page, 'leaf-dispatch_general')).toMatchObject({ ariaChecked: true })
  expect(text(page, '#leaf-explanation')).toBe('与企事业单位签订就业协议书。')
  expect(text(page, '#leaf-evidence')).toBe('需上传佐证材料：就业协议书（第一联）扫描件')
})

test('a group with one type selects it; a type without evidence or archive says so', async () => {
  await open()
  await tap(page, '#group-pending')
  expect(text(page, '#leaves')).toBeNull()
  expect(text(page, '#leaf-name')).toBe('已选：求职中')
  expect(text(page, '#leaf-evidence')).toBe('无需上传佐证材料。')
  expect(text(page, '#leaf-archive')).toBe('该类型无需填写档案信息。')
})

test('the record’s current type is preselected', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: registration({ destination_type: 'dispatch_military' }) })
  await open()
  expect(attrs(page, 'group-dispatch')).toMatchObject({ ariaChecked: true })
  expect(attrs(page, 'leaf-dispatch_military')).toMatchObject({ ariaChecked: true })
})

test('下一步 without a type is caught before sending', async () => {
  await open()
  await tap(page, '#group-dispatch')
  await tap(page, '#submit')
  expect(text(page, '#destination-type-error')).toBe('请选择去向类型。')
  expect(wxf.sentTo('PUT', '/api/v1/registration/type')).toHaveLength(0)
})

test('saving sends the type and opens the step the server names next', async () => {
  wxf.on('PUT', '/api/v1/registration/type', { status: 200, body: registration({ destination_type: 'study_master', next_step: 'organisation' }) })
  await open()
  await tap(page, '#group-study')
  await tap(page, '#submit')
  await settle()
  expect(wxf.sentTo('PUT', '/api/v1/registration/type')[0].data).toEqual({ destination_type: 'study_master' })
  expect(wxf.showModal).not.toHaveBeenCalled()
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/organisation/index' }))
})

test('a type change that cleared earlier work says what was cleared', async () => {
  const notices = ['已清除不适用于新去向类型的单位信息。', '已删除 1 个佐证材料，请按新去向类型重新上传。']
  wxf.on('PUT', '/api/v1/registration/type', { status: 200, body: registration({ destination_type: 'pending_job', next_step: 'review', notices }) })
  await open()
  await tap(page, '#group-pending')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#notices')).toContain('已删除 1 个佐证材料，请按新去向类型重新上传。')
  expect(wxf.showModal).toHaveBeenCalledWith(expect.objectContaining({ content: notices.join('\n') }))
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/review/index' }))
})

test("the server's refusal of the type lands under the choice", async () => {
  wxf.on('PUT', '/api/v1/registration/type', {
    status: 422, body: errorBody('invalid', '请选择有效的去向类型。', { destination_type: ['该去向类型已停用，请重新选择。'] }),
  })
  await open()
  await tap(page, '#group-study')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#destination-type-error')).toBe('该去向类型已停用，请重新选择。')
  expect(wxf.navigateTo).not.toHaveBeenCalled()
})

test('a record that can no longer be edited: the server’s message as a banner', async () => {
  wxf.on('PUT', '/api/v1/registration/type', { status: 409, body: errorBody('not_editable', '登记已提交，如需修改请先撤回。') })
  await open()
  await tap(page, '#group-study')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#form-error')).toBe('登记已提交，如需修改请先撤回。')
})

test('no network when saving: the choice stays and 重试 sends it', async () => {
  wxf.on('PUT', '/api/v1/registration/type', { fail: 'request:fail' }, { status: 200, body: registration({ next_step: 'organisation' }) })
  await open()
  await tap(page, '#group-study')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#network-error')).toContain('网络连接失败')
  expect(page.instance.data.selected).toBe('study_master')
  await tap(page, '#retry')
  await settle()
  expect(wxf.sentTo('PUT', '/api/v1/registration/type')).toHaveLength(2)
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/organisation/index' }))
})

test('no network when loading: 重试 loads the list', async () => {
  wxf.on('GET', '/api/v1/reference/destination-types', { fail: 'request:fail' }, { fail: 'request:fail' }, { fail: 'request:fail' },
    { status: 200, body: DESTINATION_GROUPS })
  await open()
  expect(text(page, '#network-error')).toContain('网络连接失败')
  expect(text(page, '#group-dispatch')).toBeNull()
  await tap(page, '#retry')
  await settle()
  expect(text(page, '#group-dispatch')).toBe('派遣')
})
