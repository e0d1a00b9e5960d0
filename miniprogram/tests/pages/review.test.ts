import { setToken } from '../../utils/storage'
import { errorBody, type FakeWx, installFakeWx, settle } from '../helpers/fake-wx'
import { DESTINATION_GROUPS, registration } from '../helpers/records'
import { attrs, type Page, renderPage, tap, text } from '../helpers/simulate'

let wxf: FakeWx
let page: Page

const SUBMIT = '/api/v1/registration/submit'
const GUIDANCE = '请携带就业协议书到辅导员处办理鉴证盖章。'

const filled = registration({
  destination_type: 'dispatch_general', destination_type_name: '派遣 / 一般单位录用', next_step: 'review',
  organisation: { org_uscc: '91310000MA1FL1234X', org_name: '上海某某科技有限公司', org_nature: '31', org_region: '310104', signed_on: '2025-05-20' },
  evidence: [{ id: 5, name: '就业协议书.pdf', content_type: 'application/pdf', size: 1000, uploaded_at: '2025-05-20T10:00:00+08:00' }],
  archive: { archive_destination: 'employer', archive_unit: '上海某某科技有限公司' },
})

async function open(reg: unknown = filled): Promise<Page> {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: reg })
  page = renderPage('pages/review/index')
  page.instance.onLoad({})
  await settle(8)
  return page
}

beforeEach(() => {
  wxf = installFakeWx()
  setToken('qx_abc', '2999-01-01T00:00:00Z')
  wxf.on('GET', '/api/v1/reference/destination-types', { status: 200, body: DESTINATION_GROUPS })
  wxf.on('GET', '/api/v1/reference/org-natures', { status: 200, body: [{ code: '31', name: '国有企业' }] })
  wxf.on('GET', '/api/v1/reference/industries', { status: 200, body: [] })
  wxf.on('GET', '/api/v1/reference/job-categories', { status: 200, body: [] })
  wxf.on('GET', '/api/v1/reference/regions', { status: 200, body: [{ code: '310000', name: '上海市', children: [{ code: '310104', name: '徐汇区', children: [] }] }] })
})

test('the summary shows every step by its names, each with 修改', async () => {
  await open()
  expect(text(page, '#section-type')).toContain('派遣 / 一般单位录用')
  const org = text(page, '#section-organisation')!
  expect(org).toContain('上海某某科技有限公司')
  expect(org).toContain('国有企业')
  expect(org).toContain('上海市 徐汇区')
  expect(org).toContain('签约日期2025-05-20')
  expect(org).toContain('单位行业未填写')
  expect(text(page, '#section-evidence')).toContain('就业协议书.pdf')
  expect(text(page, '#section-archive')).toContain('转至签约单位')
  expect(attrs(page, 'edit-organisation')).toMatchObject({ ariaLabel: '修改单位信息' })
  await tap(page, '#edit-evidence')
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/evidence/index' }))
})

test('a postgraduate’s record has no archive section, and one step fewer', async () => {
  await open({ ...filled, steps: ['type', 'organisation', 'evidence', 'review'] })
  expect(text(page, '#section-archive')).toBeNull()
  expect(text(page, '#step-label')).toBe('第 4 步 / 共 4 步 · 确认提交')
})

test('提交 sends an Idempotency-Key and shows the server’s message and submit_guidance', async () => {
  wxf.on('POST', SUBMIT, { status: 200, body: {
    submitted: true, already_submitted: false, message: `提交成功！${GUIDANCE}`,
    registration: { ...filled, status: 'submitted', status_display: '待鉴证', submit_guidance: GUIDANCE },
  } })
  await open()
  await tap(page, '#submit')
  await settle()
  expect(wxf.sentTo('POST', SUBMIT)[0].header['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/)
  expect(text(page, '#result-message')).toBe(`提交成功！${GUIDANCE}`)
  expect(text(page, '#guidance')).toBe(GUIDANCE)
  expect(text(page, '#submit')).toBeNull()
  expect(text(page, '#edit-type')).toBeNull()
  await tap(page, '#home')
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/home/index' }))
})

test('no answer to 提交: 重试 sends the same key, so the server submits once', async () => {
  wxf.on('POST', SUBMIT, { fail: 'request:fail timeout' }, { status: 200, body: {
    submitted: true, already_submitted: false, message: '提交成功！', registration: { ...filled, status: 'submitted', status_display: '待鉴证' },
  } })
  await open()
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#network-error')).toContain('网络超时')
  await tap(page, '#retry')
  await settle()
  const sent = wxf.sentTo('POST', SUBMIT)
  expect(sent).toHaveLength(2)
  expect(sent[1].header['Idempotency-Key']).toBe(sent[0].header['Idempotency-Key'])
  expect(text(page, '#result-message')).toBe('提交成功！')
})

test('a step still open: the server’s message, and 去填写 opens that step', async () => {
  wxf.on('POST', SUBMIT, { status: 409, body: errorBody('step_not_ready', '请先上传佐证材料。', { step: ['evidence'] }) })
  await open()
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#form-error')).toContain('请先上传佐证材料。')
  await tap(page, '#open-step')
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/evidence/index' }))
})

test('returned: the counselor’s reason above the summary; a submitted record cannot be submitted', async () => {
  await open({ ...filled, status: 'returned', status_display: '已退回', return_reason: '单位名称与协议书不一致。' })
  expect(text(page, '#return-reason')).toBe('退回原因：单位名称与协议书不一致。')
  expect(text(page, '#submit')).toBe('提交')
  await open({ ...filled, status: 'submitted', status_display: '待鉴证' })
  expect(text(page, '#submit')).toBeNull()
  expect(text(page, '#not-editable')).toBe('当前状态：待鉴证，不能提交。')
})

test('no network when loading: 重试 loads the summary', async () => {
  wxf.on('GET', '/api/v1/registration', { fail: 'request:fail' }, { fail: 'request:fail' }, { fail: 'request:fail' }, { status: 200, body: filled })
  page = renderPage('pages/review/index')
  page.instance.onLoad({})
  await settle(8)
  expect(text(page, '#network-error')).toContain('网络连接失败')
  await tap(page, '#retry')
  await settle(8)
  expect(text(page, '#section-type')).toContain('派遣 / 一般单位录用')
})

describe('审核结果通知 after 提交', () => {
  const TEMPLATE = 'tmpl-review-result'
  const done = { submitted: true, already_submitted: false, message: '提交成功！', registration: { ...filled, status: 'submitted', status_display: '待鉴证' } }

  async function openWithTemplate(templateId: string): Promise<Page> {
    wxf.on('GET', '/api/v1/registration', { status: 200, body: filled })
    page = renderPage('pages/review/index', { subscribeTemplateId: templateId })
    page.instance.onLoad({})
    await settle(8)
    return page
  }

  async function submitOnce(): Promise<void> {
    await tap(page, '#submit')
    await settle()
  }

  test('asked once the submit succeeded, for the configured template', async () => {
    wxf.subscribeAnswer = { [TEMPLATE]: 'accept' }
    wxf.on('POST', SUBMIT, { status: 200, body: done })
    await openWithTemplate(TEMPLATE)
    expect(wxf.requestSubscribeMessage).not.toHaveBeenCalled()
    await submitOnce()
    expect(wxf.requestSubscribeMessage).toHaveBeenCalledTimes(1)
    expect(wxf.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual([TEMPLATE])
    expect(text(page, '#result-message')).toBe('提交成功！')
    expect(text(page, '#subscribed')).toContain('已订阅审核结果通知')
  })

  test('the student refuses: the submit result stands, nothing more is asked', async () => {
    wxf.subscribeAnswer = { [TEMPLATE]: 'reject' }
    wxf.on('POST', SUBMIT, { status: 200, body: done })
    await openWithTemplate(TEMPLATE)
    await submitOnce()
    expect(text(page, '#result-message')).toBe('提交成功！')
    expect(text(page, '#subscribed')).toBeNull()
    expect(text(page, '#subscribe')).toBeNull()
    expect(text(page, '#form-error')).toBeNull()
    expect(wxf.sentTo('POST', SUBMIT)).toHaveLength(1)
  })

  test('WeChat refuses the call (no tap): the result stands, and a button asks again', async () => {
    wxf.subscribeAnswer = { fail: 'requestSubscribeMessage:fail can only be invoked by user TAP gesture.' }
    wxf.on('POST', SUBMIT, { status: 200, body: done })
    await openWithTemplate(TEMPLATE)
    await submitOnce()
    expect(text(page, '#result-message')).toBe('提交成功！')
    expect(text(page, '#form-error')).toBeNull()
    expect(text(page, '#network-error')).toBeNull()
    expect(text(page, '#subscribe')).toBe('订阅审核结果通知')
    wxf.subscribeAnswer = { [TEMPLATE]: 'accept' }
    await tap(page, '#subscribe')
    expect(wxf.requestSubscribeMessage).toHaveBeenCalledTimes(2)
    expect(text(page, '#subscribe')).toBeNull()
    expect(text(page, '#subscribed')).toContain('已订阅')
  })

  test('requestSubscribeMessage throwing synchronously changes nothing either', async () => {
    wxf.requestSubscribeMessage.mockImplementation(() => {
      throw new Error('requestSubscribeMessage is not supported')
    })
    wxf.on('POST', SUBMIT, { status: 200, body: done })
    await openWithTemplate(TEMPLATE)
    await submitOnce()
    expect(text(page, '#result-message')).toBe('提交成功！')
    expect(text(page, '#form-error')).toBeNull()
  })

  test('no template id configured (the placeholder): never asked', async () => {
    wxf.on('POST', SUBMIT, { status: 200, body: done })
    await openWithTemplate('')
    await submitOnce()
    expect(text(page, '#result-message')).toBe('提交成功！')
    expect(wxf.requestSubscribeMessage).not.toHaveBeenCalled()
  })

  test('a submit the server refused: not asked', async () => {
    wxf.on('POST', SUBMIT, { status: 409, body: errorBody('step_not_ready', '请先上传佐证材料。', { step: ['evidence'] }) })
    await openWithTemplate(TEMPLATE)
    await submitOnce()
    expect(wxf.requestSubscribeMessage).not.toHaveBeenCalled()
  })

  test('no answer to 提交: not asked until the retry succeeds', async () => {
    wxf.subscribeAnswer = { [TEMPLATE]: 'accept' }
    wxf.on('POST', SUBMIT, { fail: 'request:fail' }, { status: 200, body: done })
    await openWithTemplate(TEMPLATE)
    await submitOnce()
    expect(wxf.requestSubscribeMessage).not.toHaveBeenCalled()
    await tap(page, '#retry')
    await settle()
    expect(wxf.requestSubscribeMessage).toHaveBeenCalledTimes(1)
  })
})
