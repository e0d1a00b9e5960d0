import { setToken } from '../../utils/storage'
import { errorBody, type FakeWx, installFakeWx, settle } from '../helpers/fake-wx'
import { DESTINATION_GROUPS, registration } from '../helpers/records'
import { attrs, type Page, renderPage, tap, text } from '../helpers/simulate'

let wxf: FakeWx
let page: Page

const UPLOAD = '/api/v1/registration/evidence'

function evidence(id: number, name: string) {
  return { id, name, content_type: 'application/pdf', size: 120000, uploaded_at: '2025-05-20T10:00:00+08:00' }
}

async function open(files = [] as unknown[]): Promise<Page> {
  wxf.on('GET', '/api/v1/registration', { status: 200, body: registration({ destination_type: 'dispatch_general', next_step: 'evidence', evidence: files }) })
  page = renderPage('pages/evidence/index')
  page.instance.onLoad({})
  await settle()
  return page
}

beforeEach(() => {
  wxf = installFakeWx()
  setToken('qx_abc', '2999-01-01T00:00:00Z')
  wxf.on('GET', '/api/v1/reference/destination-types', { status: 200, body: DESTINATION_GROUPS })
})

test('says what the type needs, lists what is uploaded, labels every control', async () => {
  await open([evidence(5, '就业协议书.pdf')])
  expect(text(page, '#evidence-hint')).toBe('需上传：就业协议书（第一联）扫描件')
  expect(text(page, '#file-5')).toContain('就业协议书.pdf（117 KB）')
  expect(attrs(page, 'remove-5')).toMatchObject({ ariaLabel: '删除 就业协议书.pdf' })
  expect(attrs(page, 'choose-chat')).toMatchObject({ ariaLabel: '从聊天中选择文件' })
  expect(attrs(page, 'choose-camera')).toMatchObject({ ariaLabel: '拍照或从相册选择' })
})

test('a PDF from a chat is uploaded with a key and a progress bar, then listed', async () => {
  wxf.on('POST', UPLOAD, { status: 201, body: evidence(7, '就业协议书.pdf'), progress: [30, 100] })
  await open()
  await tap(page, '#choose-chat')
  await settle()
  expect(wxf.chooseMessageFile).toHaveBeenCalledWith(expect.objectContaining({ count: 1, type: 'file' }))
  const [sent] = wxf.sentTo('POST', UPLOAD)
  expect(sent).toMatchObject({ kind: 'upload', filePath: 'wxfile://tmp/agreement.pdf', name: 'file' })
  expect(sent.header['Idempotency-Key']).toMatch(/^[0-9a-f-]{36}$/)
  expect(text(page, '#file-7')).toContain('就业协议书.pdf')
  expect(text(page, '#upload-progress')).toBeNull()
})

test('the progress bar follows the upload', async () => {
  wxf.on('POST', UPLOAD, { status: 201, body: evidence(7, 'a.pdf'), progress: [40] })
  await open()
  const seen: number[] = []
  const setData = page.instance.setData.bind(page.instance)
  page.instance.setData = (d: Record<string, unknown>) => {
    if (typeof d.progress === 'number') seen.push(d.progress)
    setData(d)
  }
  await tap(page, '#choose-chat')
  await settle()
  expect(seen).toEqual([0, 40])
})

test('a photo from the camera or album goes the same way', async () => {
  wxf.chosen = { path: 'wxfile://tmp/photo.jpg', name: '', size: 90000 }
  wxf.on('POST', UPLOAD, { status: 201, body: { ...evidence(8, 'photo.jpg'), content_type: 'image/jpeg' } })
  await open()
  await tap(page, '#choose-camera')
  await settle()
  expect(wxf.chooseMedia).toHaveBeenCalledWith(expect.objectContaining({ mediaType: ['image'], sourceType: ['album', 'camera'] }))
  expect(wxf.sentTo('POST', UPLOAD)[0].filePath).toBe('wxfile://tmp/photo.jpg')
  expect(text(page, '#file-8')).toContain('photo.jpg')
})

test('cancelling the picker sends nothing and shows nothing', async () => {
  wxf.chosen = { fail: 'chooseMessageFile:fail cancel' }
  await open()
  await tap(page, '#choose-chat')
  await settle()
  expect(wxf.sentTo('POST', UPLOAD)).toHaveLength(0)
  expect(text(page, '#form-error')).toBeNull()
})

test('a fourth file: the server’s message is shown, the list stays', async () => {
  wxf.on('POST', UPLOAD, { status: 422, body: errorBody('invalid_file', '最多上传 3 个佐证材料，请先删除不需要的文件。', { file: ['最多上传 3 个佐证材料，请先删除不需要的文件。'] }) })
  await open([evidence(1, 'a.pdf'), evidence(2, 'b.pdf'), evidence(3, 'c.pdf')])
  await tap(page, '#choose-chat')
  await settle()
  expect(text(page, '#file-error')).toBe('最多上传 3 个佐证材料，请先删除不需要的文件。')
  expect(page.instance.data.files).toHaveLength(3)
  expect(text(page, '#retry')).toBeNull()
})

test('a file that is not what it claims (HTML renamed .pdf) is refused with the server’s words', async () => {
  wxf.on('POST', UPLOAD, { status: 422, body: errorBody('invalid_file', '文件内容不是 PDF 或图片，请上传扫描件或照片。', { file: ['文件内容不是 PDF 或图片，请上传扫描件或照片。'] }) })
  await open()
  await tap(page, '#choose-chat')
  await settle()
  expect(text(page, '#file-error')).toBe('文件内容不是 PDF 或图片，请上传扫描件或照片。')
})

test('the network drops mid-upload: 重试 sends the same file with the same key', async () => {
  wxf.on('POST', UPLOAD, { fail: 'uploadFile:fail timeout' }, { status: 201, body: evidence(9, '就业协议书.pdf') })
  await open()
  await tap(page, '#choose-chat')
  await settle()
  expect(text(page, '#network-error')).toContain('网络超时')
  await tap(page, '#retry')
  await settle()
  const sent = wxf.sentTo('POST', UPLOAD)
  expect(sent).toHaveLength(2)
  expect(sent[1].filePath).toBe(sent[0].filePath)
  expect(sent[1].header['Idempotency-Key']).toBe(sent[0].header['Idempotency-Key'])
  expect(text(page, '#file-9')).toContain('就业协议书.pdf')
  expect(wxf.chooseMessageFile).toHaveBeenCalledTimes(1)
})

test('删除 after a confirmation removes the file', async () => {
  wxf.on('DELETE', '/api/v1/registration/evidence/5', { status: 204 })
  await open([evidence(5, 'a.pdf'), evidence(6, 'b.pdf')])
  await tap(page, '#remove-5')
  await settle()
  expect(wxf.showModal).toHaveBeenCalledWith(expect.objectContaining({ content: '确定删除「a.pdf」吗？' }))
  expect(wxf.sentTo('DELETE', '/api/v1/registration/evidence/5')).toHaveLength(1)
  expect(text(page, '#file-5')).toBeNull()
  expect(text(page, '#file-6')).toContain('b.pdf')
})

test('下一步 follows the server: still evidence → asks for a file; otherwise the next step', async () => {
  await open()
  await tap(page, '#next')
  await settle()
  expect(text(page, '#file-error')).toBe('请先上传佐证材料。')
  expect(wxf.navigateTo).not.toHaveBeenCalled()
  wxf.on('GET', '/api/v1/registration', { status: 200, body: registration({ next_step: 'archive' }) })
  await tap(page, '#next')
  await settle()
  expect(wxf.navigateTo).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/archive/index' }))
})

test('leaving the page mid-upload aborts it', async () => {
  wxf.holdUploads = true
  wxf.on('POST', UPLOAD, { status: 201, body: evidence(7, 'a.pdf') })
  await open()
  await tap(page, '#choose-chat')
  await settle()
  expect(text(page, '#upload-progress')).toContain('正在上传：就业协议书.pdf')
  page.instance.onUnload()
  await settle()
  expect(wxf.uploadAborts).toBe(1)
})
