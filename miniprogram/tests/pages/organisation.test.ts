import { setToken } from '../../utils/storage'
import { errorBody, type FakeWx, installFakeWx, settle } from '../helpers/fake-wx'
import { DESTINATION_GROUPS, registration } from '../helpers/records'
import { attrs, type Page, renderPage, tap, text, type } from '../helpers/simulate'

let wxf: FakeWx
let page: Page

const REGIONS = [
  { code: '310000', name: '上海市', children: [{ code: '310104', name: '徐汇区', children: [] }, { code: '310110', name: '杨浦区', children: [] }] },
  {
    code: '650000', name: '新疆维吾尔自治区', children: [
      { code: '650100', name: '乌鲁木齐市', children: [{ code: '650102', name: '天山区', children: [] }] },
      { code: '653200', name: '和田地区', children: [{ code: '653201', name: '和田市', children: [] }, { code: '653228', name: '昆玉市', children: [] }] },
    ],
  },
]
const NATURES = [{ code: '10', name: '机关' }, { code: '31', name: '国有企业' }, { code: '39', name: '其他企业' }]
const INDUSTRIES = [{ code: 'I', name: '信息传输、软件和信息技术服务业' }]
const JOBS = [{ code: '13', name: '工程技术人员' }]
const COUNTRIES = [
  { code: 'USA', name: '美国', is_china_region: false },
  { code: 'HKG', name: '中国香港', is_china_region: true },
  { code: 'MAC', name: '中国澳门', is_china_region: true },
  { code: 'TWN', name: '中国台湾', is_china_region: true },
  { code: 'GBR', name: '英国', is_china_region: false },
]
const ABROAD_GROUP = {
  key: 'abroad', name: '出国、出境', explanation: '',
  leaves: [{ key: 'abroad_study', name: '出国、出境留学', category_code: null, category_name: null, explanation: '',
    evidence_hint: '录取 Offer', org_kind: 'abroad', needs_evidence: true, needs_archive: false }],
}

async function open(): Promise<Page> {
  page = renderPage('pages/organisation/index')
  page.instance.onLoad({})
  await settle(8)
  return page
}

async function pick(selector: string, value: unknown): Promise<void> {
  page.querySelector(selector)!.dispatchEvent('change', { detail: { value } })
  await settle()
}

beforeEach(() => {
  wxf = installFakeWx()
  setToken('qx_abc', '2999-01-01T00:00:00Z')
  wxf.on('GET', '/api/v1/reference/destination-types', { status: 200, body: [...DESTINATION_GROUPS, ABROAD_GROUP] })
  wxf.on('GET', '/api/v1/registration', { status: 200, body: registration({ destination_type: 'dispatch_general', next_step: 'organisation' }) })
  wxf.on('GET', '/api/v1/reference/regions', { status: 200, body: REGIONS })
  wxf.on('GET', '/api/v1/reference/org-natures', { status: 200, body: NATURES })
  wxf.on('GET', '/api/v1/reference/industries', { status: 200, body: INDUSTRIES })
  wxf.on('GET', '/api/v1/reference/job-categories', { status: 200, body: JOBS })
  wxf.on('GET', '/api/v1/reference/countries', { status: 200, body: COUNTRIES })
})

test('an employer: the agreement’s fields, each labelled, the date by the server’s label', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: registration({ destination_type: 'dispatch_general', signed_on_label: '签约日期' }) })
  await open()
  expect(text(page, '#title')).toBe('单位信息')
  for (const [id, label] of [['f-org_uscc', '统一社会信用代码'], ['f-org_name', '单位名称'], ['f-org_nature', '单位性质'],
    ['f-org_region', '单位所在地'], ['f-org_contact_phone', '联系电话'], ['f-job_category', '工作职位类别'], ['f-signed_on', '签约日期']]) {
    expect(attrs(page, id)).toMatchObject({ ariaLabel: label })
  }
  expect(text(page, '#f-abroad_country')).toBeNull()
  expect(wxf.sentTo('GET', '/api/v1/reference/countries')).toHaveLength(0)
})

test('a school: 学校信息 with the school’s three fields and its two optional ones', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: registration({ destination_type: 'study_master' }) })
  await open()
  expect(text(page, '#title')).toBe('学校信息')
  expect(attrs(page, 'f-org_name')).toMatchObject({ ariaLabel: '录取学校全称' })
  expect(attrs(page, 'f-org_region')).toMatchObject({ ariaLabel: '学校所在地' })
  expect(text(page, '#f-org_nature')).toBeNull()
  expect(text(page, '#f-signed_on')).toBeNull()
})

test('abroad: the country list starts with 中国香港 / 中国澳门 / 中国台湾; the date is the server’s label', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: registration({ destination_type: 'abroad_study', signed_on_label: '录取或签证日期' }) })
  await open()
  expect(attrs(page, 'f-abroad_country')).toMatchObject({ ariaLabel: '国家（地区）', range: ['中国香港', '中国澳门', '中国台湾', '美国', '英国'] })
  expect(attrs(page, 'f-programme')).toMatchObject({ ariaLabel: '就读专业' })
  expect(attrs(page, 'f-signed_on')).toMatchObject({ ariaLabel: '录取或签证日期' })
  await pick('#f-abroad_country', 1)
  expect(text(page, '#d-abroad_country')).toBe('中国澳门')
  expect(page.instance.data.form.abroad_country).toBe('MAC')
  expect(wxf.sentTo('GET', '/api/v1/reference/regions')).toHaveLength(0)
})

test('the region cascade comes from the API’s tree, down to a new county such as 昆玉市 (653228)', async () => {
  await open()
  expect(attrs(page, 'f-org_region')).toMatchObject({ range: [['上海市', '新疆维吾尔自治区'], ['徐汇区', '杨浦区'], []] })
  page.querySelector('#f-org_region')!.dispatchEvent('columnchange', { detail: { column: 0, value: 1 } })
  await settle()
  expect(page.instance.data.regionColumns).toEqual([['上海市', '新疆维吾尔自治区'], ['乌鲁木齐市', '和田地区'], ['天山区']])
  page.querySelector('#f-org_region')!.dispatchEvent('columnchange', { detail: { column: 1, value: 1 } })
  await settle()
  expect(page.instance.data.regionColumns[2]).toEqual(['和田市', '昆玉市'])
  await pick('#f-org_region', [1, 1, 1])
  expect(page.instance.data.form.org_region).toBe('653228')
  expect(text(page, '#d-org_region')).toBe('新疆维吾尔自治区 和田地区 昆玉市')
})

test('what was saved before is shown, the region by its names', async () => {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: registration({
    destination_type: 'dispatch_general', organisation: { org_name: '上海某某科技有限公司', org_region: '310110', org_nature: '31', signed_on: '2025-05-20' },
  }) })
  await open()
  expect(page.instance.data.form.org_name).toBe('上海某某科技有限公司')
  expect(text(page, '#d-org_region')).toBe('上海市 杨浦区')
  expect(text(page, '#d-org_nature')).toBe('国有企业')
  expect(text(page, '#d-signed_on')).toBe('2025-05-20')
})

test('检索匹配 fills the fields from the unit library and shows its notices', async () => {
  wxf.on('GET', '/api/v1/organisations/91310000MA1FL1234X', { status: 200, body: {
    uscc: '91310000MA1FL1234X', name: '上海某某科技有限公司', nature: '31', industry: 'I', region: '310104', region_name: '上海市徐汇区',
    address: '虹漕路 88 号', postcode: '200233', contact_name: '李老师', contact_phone: '021-64000000', shanghai_reg_no: '',
    notices: ['单位性质按单位库填入。'],
  } })
  await open()
  await type(page, '#f-org_uscc', '91310000MA1FL1234X')
  await tap(page, '#match')
  await settle()
  expect(page.instance.data.form).toMatchObject({ org_name: '上海某某科技有限公司', org_address: '虹漕路 88 号', org_contact_name: '李老师' })
  expect(text(page, '#d-org_nature')).toBe('国有企业')
  expect(text(page, '#d-org_region')).toBe('上海市 徐汇区')
  expect(text(page, '#notices')).toBe('单位性质按单位库填入。')
  expect(text(page, '#match-hint')).toBe('已按单位库填入，请核对。')
})

test('检索匹配: a wrong check digit is the server’s message under the code; an unknown unit is a hint', async () => {
  wxf.on('GET', '/api/v1/organisations/91310000MA1FL12340', { status: 422, body: errorBody('invalid', '统一社会信用代码校验位不正确。', { uscc: ['统一社会信用代码校验位不正确。'] }) })
  wxf.on('GET', '/api/v1/organisations/91310000MA1FL1234X', { status: 404, body: errorBody('not_found', '单位库中没有该代码的单位，请根据协议书内容填写。') })
  await open()
  await type(page, '#f-org_uscc', '91310000MA1FL12340')
  await tap(page, '#match')
  await settle()
  expect(text(page, '#error-org_uscc')).toBe('统一社会信用代码校验位不正确。')
  await type(page, '#f-org_uscc', '91310000MA1FL1234X')
  expect(text(page, '#error-org_uscc')).toBeNull()
  await tap(page, '#match')
  await settle()
  expect(text(page, '#match-hint')).toBe('单位库中没有该代码的单位，请根据协议书内容填写。')
  expect(text(page, '#form-error')).toBeNull()
})

test('保存 sends the kind’s fields (empty as null) and opens the next step', async () => {
  wxf.on('PUT', '/api/v1/registration/organisation', { status: 200, body: registration({ next_step: 'evidence' }) })
  wxf.on('GET', '/api/v1/registration', { status: 200, body: registration({ destination_type: 'study_master' }) })
  await open()
  await type(page, '#f-org_uscc', '12100000425010000F')
  await type(page, '#f-org_name', '复旦大学')
  await pick('#f-org_region', [0, 0, 0])
  await tap(page, '#submit')
  await settle()
  expect(wxf.sentTo('PUT', '/api/v1/registration/organisation')[0].data).toEqual({
    org_uscc: '12100000425010000F', org_name: '复旦大学', org_region: '310104', org_address: null, org_postcode: null,
  })
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/evidence/index' }))
})

test('the server’s field errors land under their inputs', async () => {
  wxf.on('PUT', '/api/v1/registration/organisation', { status: 422, body: errorBody('invalid', '请检查填写的内容。', {
    org_postcode: ['邮编应为 6 位数字。'], org_contact_phone: ['请填写有效的联系电话。'],
  }) })
  await open()
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#error-org_postcode')).toBe('邮编应为 6 位数字。')
  expect(text(page, '#error-org_contact_phone')).toBe('请填写有效的联系电话。')
  expect(text(page, '#form-error')).toBeNull()
  expect(wxf.navigateTo).not.toHaveBeenCalled()
})

test('no network when saving: everything typed stays, 重试 sends it again', async () => {
  wxf.on('PUT', '/api/v1/registration/organisation', { fail: 'request:fail timeout' }, { status: 200, body: registration({ next_step: 'evidence' }) })
  await open()
  await type(page, '#f-org_name', '上海某某科技有限公司')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#network-error')).toContain('网络超时')
  expect(page.instance.data.form.org_name).toBe('上海某某科技有限公司')
  await tap(page, '#retry')
  await settle()
  expect(wxf.sentTo('PUT', '/api/v1/registration/organisation')).toHaveLength(2)
  expect(wxf.sentTo('PUT', '/api/v1/registration/organisation')[1].data).toMatchObject({ org_name: '上海某某科技有限公司' })
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/evidence/index' }))
})
