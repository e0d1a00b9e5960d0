import { setToken } from '../../utils/storage'
import { errorBody, type FakeWx, installFakeWx, settle } from '../helpers/fake-wx'
import { DESTINATION_GROUPS, registration } from '../helpers/records'
import { attrs, type Page, renderPage, tap, text, type } from '../helpers/simulate'

let wxf: FakeWx
let page: Page

const AUTHORITY = {
  origin_authority_name: '浙江省杭州市人力资源和社会保障局', archive_destination: 'origin', archive_unit: '杭州市人才服务中心',
  archive_address: '杭州市上城区解放东路 18 号', archive_postcode: '310016', archive_contact: '王老师', archive_phone: '0571-85000000',
}

async function open(reg = registration({ destination_type: 'dispatch_general', next_step: 'archive' })): Promise<Page> {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: reg })
  page = renderPage('pages/archive/index')
  page.instance.onLoad({})
  await settle()
  return page
}

beforeEach(() => {
  wxf = installFakeWx()
  setToken('qx_abc', '2999-01-01T00:00:00Z')
  wxf.on('GET', '/api/v1/reference/destination-types', { status: 200, body: DESTINATION_GROUPS })
})

test('renders the archive fields, labelled, with 匹配 and 与签约单位相同 for an employer', async () => {
  await open()
  expect(attrs(page, 'f-origin_authority_name')).toMatchObject({ ariaLabel: '生源地主管单位名称' })
  expect(attrs(page, 'f-archive_phone')).toMatchObject({ ariaLabel: '联系电话' })
  expect(attrs(page, 'dest-origin')).toMatchObject({ ariaRole: 'radio', ariaLabel: '回生源地', ariaChecked: false })
  expect(text(page, '#match')).toBe('匹配')
  expect(text(page, '#copy')).toBe('与签约单位相同')
})

test('a type without an employer has no 与签约单位相同', async () => {
  await open(registration({ destination_type: 'study_master', steps: ['type', 'organisation', 'evidence', 'archive', 'review'] }))
  expect(text(page, '#copy')).toBeNull()
})

test('skipped when the record has no archive step (postgraduates): straight to the next step', async () => {
  await open(registration({ destination_type: 'dispatch_general', steps: ['type', 'organisation', 'evidence', 'review'], next_step: 'review' }))
  expect(wxf.redirectTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/review/index' }))
  expect(wxf.navigateTo).not.toHaveBeenCalled()
  expect(text(page, '#f-archive_unit')).toBeNull()
})

test('匹配 fills the form from the 生源地 authority (nothing is saved yet)', async () => {
  wxf.on('POST', '/api/v1/registration/archive/match', { status: 200, body: AUTHORITY })
  await open()
  await tap(page, '#match')
  await settle()
  expect(page.instance.data.form).toMatchObject(AUTHORITY)
  expect(attrs(page, 'dest-origin')).toMatchObject({ ariaChecked: true })
  expect(wxf.sentTo('PUT', '/api/v1/registration/archive')).toHaveLength(0)
})

test('匹配 without an authority: the server’s message', async () => {
  wxf.on('POST', '/api/v1/registration/archive/match', { status: 404, body: errorBody('no_authority', '未找到您生源地的主管单位，请手动填写。') })
  await open()
  await tap(page, '#match')
  await settle()
  expect(text(page, '#form-error')).toBe('未找到您生源地的主管单位，请手动填写。')
})

test('与签约单位相同 fills the employer’s details', async () => {
  wxf.on('POST', '/api/v1/registration/archive/copy-organisation', { status: 200, body: {
    archive_destination: 'employer', archive_unit: '上海某某科技有限公司', archive_address: '虹漕路 88 号', archive_postcode: '200233',
    archive_contact: '李老师', archive_phone: '021-64000000',
  } })
  await open()
  await type(page, '#f-origin_authority_name', '上海市学生事务中心')
  await tap(page, '#copy')
  await settle()
  expect(page.instance.data.form).toMatchObject({ archive_destination: 'employer', archive_unit: '上海某某科技有限公司', origin_authority_name: '上海市学生事务中心' })
})

test('保存 sends the form and follows next_step; field errors land under their inputs', async () => {
  wxf.on('PUT', '/api/v1/registration/archive',
    { status: 422, body: errorBody('invalid', '请检查填写的内容。', { archive_postcode: ['邮编应为 6 位数字。'] }) },
    { status: 200, body: registration({ next_step: 'review' }) })
  await open()
  await tap(page, '#dest-other')
  await type(page, '#f-archive_postcode', '2000')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#error-archive_postcode')).toBe('邮编应为 6 位数字。')
  expect(wxf.sentTo('PUT', '/api/v1/registration/archive')[0].data).toMatchObject({ archive_destination: 'other', archive_postcode: '2000', archive_unit: null })
  await type(page, '#f-archive_postcode', '200233')
  await tap(page, '#submit')
  await settle()
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/review/index' }))
})

test('no network when saving: the input stays, 重试 sends it', async () => {
  wxf.on('PUT', '/api/v1/registration/archive', { fail: 'request:fail' }, { status: 200, body: registration({ next_step: 'review' }) })
  await open()
  await type(page, '#f-archive_unit', '杭州市人才服务中心')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#network-error')).toContain('网络连接失败')
  expect(page.instance.data.form.archive_unit).toBe('杭州市人才服务中心')
  await tap(page, '#retry')
  await settle()
  expect(wxf.sentTo('PUT', '/api/v1/registration/archive')).toHaveLength(2)
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/review/index' }))
})
