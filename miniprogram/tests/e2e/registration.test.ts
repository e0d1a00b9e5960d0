/**
 * End to end: the pages driven against the real Django server (temporary SQLite database, demo school) and
 * the fake WeChat server; nothing of our own API is mocked. See tests/e2e/helpers/real-wx.ts.
 */
import { readFileSync } from 'fs'
import { getToken } from '../../utils/storage'
import { type Page, tap, text, type } from '../helpers/simulate'
import { bindWithForcedPasswordChange, chooseType, lastAnswers, loaded, navigatedTo, pickFirstOfEmpty } from './helpers/flows'
import { claimStudent, control, e2eEnv, installRealWx, openPage, type RealWx, until } from './helpers/real-wx'

jest.setTimeout(60000)

let wxr: RealWx

beforeEach(() => {
  wxr = installRealWx()
})

afterAll(async () => {
  // Never a 500, whatever the pages sent.
  expect(await control<string[]>('GET', '/server-errors')).toEqual([])
})

async function fillOrganisation(page: Page): Promise<void> {
  await pickFirstOfEmpty(page, ['org_nature', 'org_industry', 'industry', 'job_category'])
  if (page.querySelector('#f-org_region') && !page.instance.data.form.org_region) {
    page.querySelector('#f-org_region')!.dispatchEvent('change', { detail: { value: [0, 0, 0] } })
  }
  if (page.querySelector('#f-signed_on') && !page.instance.data.form.signed_on) {
    page.querySelector('#f-signed_on')!.dispatchEvent('change', { detail: { value: '2027-03-15' } })
  }
  await new Promise((resolve) => setTimeout(resolve, 0))
}

async function saveOrganisation(page: Page, next: string): Promise<void> {
  wxr.clearNavigation()
  await tap(page, '#submit')
  await navigatedTo(wxr, next)
}

/** The organisation page: 检索匹配 of a directory enterprise, the rest picked, 保存 → 佐证材料. */
async function organisationFromDirectory(): Promise<void> {
  const org = await control<{ uscc: string; name: string }>('POST', '/organisation')
  const page = openPage('pages/organisation/index')
  await loaded(page, 'the organisation page')
  await type(page, '#f-org_uscc', org.uscc)
  await tap(page, '#match')
  await until(() => page.instance.data.form.org_name === org.name, `检索匹配 (${lastAnswers(wxr)})`)
  await fillOrganisation(page)
  await saveOrganisation(page, 'pages/evidence/index')
}

async function uploadEvidence(file: string): Promise<Page> {
  const page = openPage('pages/evidence/index')
  await loaded(page, 'the evidence page')
  wxr.choose(file)
  await tap(page, '#choose-chat')
  await until(() => page.instance.data.files.length === 1, `the uploaded file listed (${lastAnswers(wxr)})`)
  return page
}

async function submit(): Promise<Page> {
  const review = openPage('pages/review/index')
  await until(() => review.querySelector('#submit'), `the review page (${lastAnswers(wxr)})`)
  await tap(review, '#submit')
  await until(() => text(review, '#result-message'), `the submit result (${lastAnswers(wxr)})`)
  return review
}

async function homeStatus(): Promise<Page> {
  const home = openPage('pages/home/index')
  await until(() => text(home, '#status'), 'the home page status')
  return home
}

test('binding with the initial password forces 修改密码; a later launch logs in with the code alone', async () => {
  const student = await claimStudent()
  await bindWithForcedPasswordChange(wxr, student)
  expect(getToken()).toBeTruthy()
  const home = await homeStatus()
  expect(text(home, '#who')).toContain(student.student_number)

  // The same phone, a new launch without a token: the code alone logs in.
  wxr.storage.clear()
  wxr.clearNavigation()
  openPage('pages/bind/index')
  await navigatedTo(wxr, 'pages/home/index')
  expect(getToken()).toBeTruthy()
  const received = await control<Array<{ path: string; js_code?: string }>>('GET', '/wechat')
  expect(received.filter((r) => r.js_code === `ok-${wxr.phone}`).length).toBeGreaterThanOrEqual(2)
})

test('一般单位录用: 检索匹配 from the directory, a real PDF, the archive, 提交 → 待鉴证', async () => {
  const student = await claimStudent()
  const org = await control<{ uscc: string; name: string }>('POST', '/organisation')
  await bindWithForcedPasswordChange(wxr, student)
  expect(await chooseType(wxr, 'dispatch', 'dispatch_general')).toBe('pages/organisation/index')

  const page = openPage('pages/organisation/index')
  await loaded(page, 'the organisation page')
  // Bad input first: a wrong check digit is the server's message under the code.
  const wrong = org.uscc.slice(0, 17) + (org.uscc[17] === '0' ? '1' : '0')
  await type(page, '#f-org_uscc', wrong)
  await tap(page, '#match')
  const message = await until(() => text(page, '#error-org_uscc'), `the check-digit message (${lastAnswers(wxr)})`)
  expect(message).toContain('校验')
  const answer = wxr.lastAnswer('GET', `/api/v1/organisations/${wrong}`)
  expect(answer.status).toBe(422)
  expect(answer.json.fields?.uscc).toEqual([message])

  await type(page, '#f-org_uscc', org.uscc)
  await tap(page, '#match')
  await until(() => page.instance.data.form.org_name === org.name, `检索匹配 filling the name (${lastAnswers(wxr)})`)
  await fillOrganisation(page)
  await saveOrganisation(page, 'pages/evidence/index')

  const evidence = await uploadEvidence(e2eEnv().files['agreement.pdf'])
  expect(text(evidence, `#file-${evidence.instance.data.files[0].id}`)).toContain('.pdf')
  wxr.clearNavigation()
  await tap(evidence, '#next')
  await navigatedTo(wxr, 'pages/archive/index')

  const archive = openPage('pages/archive/index')
  await loaded(archive, 'the archive page')
  // 匹配 fills the 生源地 authority; 与签约单位相同 then fills where the file goes.
  await tap(archive, '#match')
  await until(() => wxr.sentTo('POST', '/api/v1/registration/archive/match').length && !archive.instance.data.busy, `匹配 (${lastAnswers(wxr)})`)
  if (!archive.instance.data.form.origin_authority_name) await type(archive, '#f-origin_authority_name', '生源地毕业生就业主管部门')
  await tap(archive, '#copy')
  await until(() => wxr.sentTo('POST', '/api/v1/registration/archive/copy-organisation').length && !archive.instance.data.busy,
    `与签约单位相同 (${lastAnswers(wxr)})`)
  expect(archive.instance.data.form.archive_unit).toBeTruthy()
  wxr.clearNavigation()
  await tap(archive, '#submit')
  await navigatedTo(wxr, 'pages/review/index')

  const review = await submit()
  expect(text(review, '#result-message')).toBeTruthy()
  expect(text(await homeStatus(), '#status')).toBe('待鉴证')
})

interface WeChatCall {
  path: string
  body?: { touser?: string; template_id?: string; data?: Record<string, { value: string }> }
}

async function subscribeMessagesTo(openid: string): Promise<WeChatCall[]> {
  const received = await control<WeChatCall[]>('GET', '/wechat')
  return received.filter((r) => r.path === '/cgi-bin/message/subscribe/send' && r.body?.touser === openid)
}

test('the postgraduate 硕士 2401030001: no archive step, a JPEG photo, 提交; 鉴证通过 → WeChat message → the sheet', async () => {
  const student = await claimStudent({ student_number: '2401030001' })
  expect(student.education_level).toBe('master')
  await bindWithForcedPasswordChange(wxr, student)
  expect(await chooseType(wxr, 'dispatch', 'dispatch_general')).toBe('pages/organisation/index')
  await organisationFromDirectory()

  const evidence = openPage('pages/evidence/index')
  await loaded(evidence, 'the evidence page')
  wxr.choose(e2eEnv().files['photo.jpg'])
  await tap(evidence, '#choose-camera')
  await until(() => evidence.instance.data.files.length === 1, `the photo listed (${lastAnswers(wxr)})`)
  wxr.clearNavigation()
  await tap(evidence, '#next')
  // Straight to 提交: a postgraduate has no archive step.
  await navigatedTo(wxr, 'pages/review/index')
  const review = await submit()
  expect(text(review, '#section-organisation')).toBeTruthy()
  expect(text(review, '#section-archive')).toBeNull()
  expect(wxr.requestSubscribeMessage).toHaveBeenCalledWith(expect.objectContaining({ tmplIds: [e2eEnv().template_id] }))
  expect(text(await homeStatus(), '#status')).toBe('待鉴证')

  // The counselor verifies (review service): the subscribe message reaches the fake WeChat server.
  await control('POST', '/verify', { student_number: student.student_number })
  const [message] = await subscribeMessagesTo(`openid-${wxr.phone}`)
  expect(message.body).toMatchObject({ template_id: e2eEnv().template_id })
  expect(message.body!.data).toMatchObject({ thing1: { value: student.name }, phrase2: { value: '鉴证通过' } })

  // 已鉴证: 下载登记表 downloads the sheet with the token and opens it.
  const home = await homeStatus()
  expect(text(home, '#status')).toBe('已鉴证')
  expect(text(home, '#primary-action')).toBe('下载登记表')
  await tap(home, '#primary-action')
  const opened = await until(() => wxr.openDocument.mock.calls[0]?.[0], `openDocument (${lastAnswers(wxr)})`)
  expect(readFileSync(opened.filePath).subarray(0, 5).toString()).toBe('%PDF-')
  expect(wxr.sent.find((s) => s.kind === 'download')!.header.Authorization).toMatch(/^Bearer /)
})

test('an HTML page renamed .pdf is refused with the server’s message; nothing is listed', async () => {
  const student = await claimStudent()
  await bindWithForcedPasswordChange(wxr, student)
  expect(await chooseType(wxr, 'dispatch', 'dispatch_general')).toBe('pages/organisation/index')
  await organisationFromDirectory()
  const evidence = openPage('pages/evidence/index')
  await loaded(evidence, 'the evidence page')
  wxr.choose(e2eEnv().files['fake.pdf'])
  await tap(evidence, '#choose-chat')
  const message = await until(() => text(evidence, '#file-error') || text(evidence, '#form-error'), `the refusal (${lastAnswers(wxr)})`)
  const answer = wxr.lastAnswer('POST', '/api/v1/registration/evidence')
  expect(answer.status).toBeGreaterThanOrEqual(400)
  expect([answer.json.message, ...(answer.json.fields?.file ?? [])]).toContain(message)
  expect(evidence.instance.data.files).toHaveLength(0)
  // The student picks the real PDF next: accepted, and the only file listed.
  wxr.choose(e2eEnv().files['agreement.pdf'])
  await tap(evidence, '#choose-chat')
  await until(() => evidence.instance.data.files.length === 1, `the PDF listed (${lastAnswers(wxr)})`)
  expect(text(evidence, '#file-error')).toBeNull()
})

test('a counselor’s 退回 (through the review service): the student sees the reason, edits and resubmits', async () => {
  const student = await claimStudent({ level: 'master' })
  await bindWithForcedPasswordChange(wxr, student)
  await chooseType(wxr, 'dispatch', 'dispatch_general')
  await organisationFromDirectory()
  await uploadEvidence(e2eEnv().files['agreement.pdf'])
  await submit()

  const reason = '就业协议书缺少单位盖章，请重新上传。'
  await control('POST', '/return', { student_number: student.student_number, reason })
  const home = await homeStatus()
  expect(text(home, '#status')).toBe('已退回')
  expect(text(home, '#return-reason')).toContain(reason)
  const [message] = await subscribeMessagesTo(`openid-${wxr.phone}`)
  expect(message.body!.data).toMatchObject({ phrase2: { value: '已退回' }, thing3: { value: expect.stringContaining('就业协议书') } })

  // 继续填写 → the record opens for editing: the student corrects the contact and submits again.
  wxr.clearNavigation()
  await tap(home, '#primary-action')
  await until(() => wxr.lastNavigation(), '继续填写')
  const organisation = openPage('pages/organisation/index')
  await loaded(organisation, 'the organisation page')
  await type(organisation, '#f-org_contact_name', '王老师')
  wxr.clearNavigation()
  await tap(organisation, '#submit')
  // Every step is complete again: the client goes on to the server's next step.
  await until(() => wxr.lastNavigation(), `保存 (${lastAnswers(wxr)})`)
  expect(wxr.lastAnswer('PUT', '/api/v1/registration/organisation').status).toBe(200)
  const review = openPage('pages/review/index')
  await until(() => text(review, '#return-reason'), 'the reason on the review page')
  expect(text(review, '#return-reason')).toContain(reason)
  expect(text(review, '#section-organisation')).toContain('王老师')
  await tap(review, '#submit')
  await until(() => text(review, '#result-message'), `the resubmit result (${lastAnswers(wxr)})`)
  expect(text(await homeStatus(), '#status')).toBe('待鉴证')
})


test('a fourth file is refused with the server’s message; the three stay listed', async () => {
  const student = await claimStudent()
  await bindWithForcedPasswordChange(wxr, student)
  await chooseType(wxr, 'dispatch', 'dispatch_general')
  await organisationFromDirectory()
  const evidence = openPage('pages/evidence/index')
  await loaded(evidence, 'the evidence page')
  const files = e2eEnv().files
  for (const [i, file] of [files['agreement.pdf'], files['photo.jpg'], files['agreement.pdf']].entries()) {
    wxr.choose(file)
    await tap(evidence, '#choose-chat')
    await until(() => evidence.instance.data.files.length === i + 1, `file ${i + 1} listed (${lastAnswers(wxr)})`)
  }
  wxr.choose(files['photo.jpg'])
  await tap(evidence, '#choose-chat')
  const message = await until(() => text(evidence, '#file-error') || text(evidence, '#form-error'), `the refusal (${lastAnswers(wxr)})`)
  const answer = wxr.lastAnswer('POST', '/api/v1/registration/evidence')
  expect(answer.status).toBeGreaterThanOrEqual(400)
  expect([answer.json.message, ...Object.values(answer.json.fields ?? {}).flat()]).toContain(message)
  expect(evidence.instance.data.files).toHaveLength(3)
  // Reloading shows the same three: nothing half-stored.
  const again = openPage('pages/evidence/index')
  await loaded(again, 'the evidence page again')
  expect(again.instance.data.files).toHaveLength(3)
})

test('a network drop mid-upload: no half file or row on the server, 重试 uploads the file once', async () => {
  const student = await claimStudent()
  await bindWithForcedPasswordChange(wxr, student)
  await chooseType(wxr, 'dispatch', 'dispatch_general')
  await organisationFromDirectory()
  const evidence = openPage('pages/evidence/index')
  await loaded(evidence, 'the evidence page')
  const before = await control<{ rows: string[]; media_files: string[] }>('GET', `/evidence?student_number=${student.student_number}`)
  expect(before.rows).toEqual([])

  wxr.dropNextUpload = true
  wxr.choose(e2eEnv().files['agreement.pdf'])
  await tap(evidence, '#choose-chat')
  await until(() => evidence.querySelector('#retry') && !evidence.instance.data.busy, `重试 offered (${lastAnswers(wxr)})`)
  expect(text(evidence, '#retry')).toBe('重试')
  expect(evidence.instance.data.files).toHaveLength(0)
  // The server kept nothing of the half body: no row, no new file in the media dir.
  await new Promise((resolve) => setTimeout(resolve, 300))
  const dropped = await control<{ rows: string[]; media_files: string[] }>('GET', `/evidence?student_number=${student.student_number}`)
  expect(dropped.rows).toEqual([])
  expect(dropped.media_files).toEqual(before.media_files)

  const uploads = wxr.sent.filter((s) => s.kind === 'upload')
  await tap(evidence, '#retry')
  await until(() => evidence.instance.data.files.length === 1, `the file listed after 重试 (${lastAnswers(wxr)})`)
  const retried = wxr.sent.filter((s) => s.kind === 'upload')
  expect(retried).toHaveLength(uploads.length + 1)
  const key = uploads[uploads.length - 1].header['Idempotency-Key']
  expect(key).toBeTruthy()
  expect(retried[retried.length - 1].header['Idempotency-Key']).toBe(key)
  const after = await control<{ rows: string[]; media_files: string[] }>('GET', `/evidence?student_number=${student.student_number}`)
  expect(after.rows).toHaveLength(1)
  expect(after.media_files).toHaveLength(before.media_files.length + 1)
  const again = openPage('pages/evidence/index')
  await loaded(again, 'the evidence page again')
  expect(again.instance.data.files).toHaveLength(1)
})
