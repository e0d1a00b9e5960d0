/**
 * The `wx` of the end-to-end suite: FakeWx's storage, navigation, dialogs and pickers, but request /
 * uploadFile / downloadFile go over real HTTP (Node's http module) to the Django server started by
 * tests/e2e/global-setup.ts, and wx.login hands out codes the fake WeChat server maps to one openid per
 * phone ("ok-<phone>" → "openid-<phone>").
 */
import { randomUUID } from 'crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'fs'
import * as http from 'http'
import * as path from 'path'
import { config } from '../../../config'
import { FakeWx, type Sent } from '../../helpers/fake-wx'
import { type Page, renderPage } from '../../helpers/simulate'

export interface E2EEnv {
  api: string
  wechat: string
  control: string
  var_dir: string
  template_id: string
  files: Record<'agreement.pdf' | 'photo.jpg' | 'fake.pdf', string>
}

export function e2eEnv(): E2EEnv {
  const raw = process.env.QUXIANG_MP_E2E
  if (!raw) throw new Error('QUXIANG_MP_E2E is not set: run the suite with `npm run test:e2e` (its globalSetup starts the servers)')
  return JSON.parse(raw) as E2EEnv
}

interface Answer {
  status: number
  body: Buffer
}

function send(method: string, url: string, header: Record<string, string>, body?: Buffer, timeoutMs = 30000): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers: { ...header, ...(body ? { 'Content-Length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    if (body) req.write(body)
    req.end()
  })
}

/** The control server of scripts/e2e_server.py (what a counselor or the database says). */
export async function control<T>(method: 'GET' | 'POST', p: string, body?: unknown): Promise<T> {
  const answer = await send(method, e2eEnv().control + p, { 'Content-Type': 'application/json' },
    body === undefined ? undefined : Buffer.from(JSON.stringify(body)))
  const parsed = JSON.parse(answer.body.toString('utf8')) as T
  if (answer.status !== 200) throw new Error(`control ${p}: ${answer.body.toString('utf8')}`)
  return parsed
}

export interface DemoStudent {
  student_number: string
  name: string
  password: string
  education_level: string
}

export function claimStudent(query: { level?: string; student_number?: string } = {}): Promise<DemoStudent> {
  return control<DemoStudent>('POST', '/student', query)
}

/**
 * A network drop mid-upload: send the headers (full Content-Length) and the first half of the body, then
 * destroy the socket, as when the phone loses its signal. Fails like wx.uploadFile does.
 */
function sendHalfThenDrop(url: string, header: Record<string, string>, body: Buffer): Promise<Answer> {
  return new Promise((_resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers: { ...header, 'Content-Length': String(body.length) } })
    req.on('error', () => undefined) // the destroy below is ours
    req.write(body.subarray(0, Math.floor(body.length / 2)), () => {
      // Let the server read the half before the connection goes.
      setTimeout(() => {
        req.destroy()
        reject(new Error('network connection lost'))
      }, 200)
    })
  })
}

export class RealWx extends FakeWx {
  readonly phone = randomUUID().slice(0, 8)
  /** The next wx.uploadFile loses the connection after half of its body (once). */
  dropNextUpload = false
  /** Every answer the server gave, for assertions and for debugging a failure. */
  answers: Array<{ sent: Sent; status: number; body: string; json: unknown }> = []

  constructor(private readonly base: string) {
    super()
  }

  private record(sent: Sent, answer: Answer): void {
    this.sent.push(sent)
    const body = answer.body.toString('utf8')
    let json: unknown = null
    try {
      json = JSON.parse(body)
    } catch { /* a PDF, or an empty 204 */ }
    this.answers.push({ sent, status: answer.status, body, json })
  }

  private pathOf(url: string): string {
    return url.startsWith(this.base) ? url.slice(this.base.length).split('?')[0] : url
  }

  api() {
    const fake = super.api()
    return {
      ...fake,
      login: (opts: { success?: (r: { code: string; errMsg: string }) => void }) => {
        this.loginCount += 1
        setTimeout(() => opts.success?.({ code: `ok-${this.phone}`, errMsg: 'login:ok' }), 0)
      },
      request: (opts: WechatMiniprogram.RequestOption) => {
        const method = opts.method ?? 'GET'
        const header = { ...(opts.header as Record<string, string>) }
        const sent: Sent = { kind: 'request', method, url: opts.url, path: this.pathOf(opts.url), header, data: opts.data }
        const body = opts.data === undefined ? undefined : Buffer.from(JSON.stringify(opts.data))
        send(method, opts.url, header, body, opts.timeout).then((answer) => {
          this.record(sent, answer)
          const textBody = answer.body.toString('utf8')
          let data: unknown = textBody
          try {
            data = textBody ? JSON.parse(textBody) : ''
          } catch { /* not JSON: WeChat hands over the string */ }
          opts.success?.({ statusCode: answer.status, data, header: {}, cookies: [], errMsg: 'request:ok', profile: {} } as unknown as WechatMiniprogram.RequestSuccessCallbackResult)
        }, (err: Error) => {
          this.sent.push(sent)
          opts.fail?.({ errMsg: `request:fail ${err.message}`, errno: 600001 } as WechatMiniprogram.RequestFailCallbackErr)
        })
        return { abort: () => undefined }
      },
      uploadFile: (opts: WechatMiniprogram.UploadFileOption) => {
        const header = { ...(opts.header as Record<string, string>) }
        const sent: Sent = { kind: 'upload', method: 'POST', url: opts.url, path: this.pathOf(opts.url), header, filePath: opts.filePath, name: opts.name }
        const listeners: Array<(p: { progress: number; totalBytesSent: number; totalBytesExpectedToSend: number }) => void> = []
        // WeChat sends the file as multipart/form-data under opts.name, named after the temp file.
        const boundary = `----qx${randomUUID().replace(/-/g, '')}`
        const content = readFileSync(opts.filePath)
        const body = Buffer.concat([
          Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${opts.name}"; filename="${path.basename(opts.filePath)}"\r\n`
            + 'Content-Type: application/octet-stream\r\n\r\n'),
          content,
          Buffer.from(`\r\n--${boundary}--\r\n`),
        ])
        const multipart = { ...header, 'Content-Type': `multipart/form-data; boundary=${boundary}` }
        const drop = this.dropNextUpload
        this.dropNextUpload = false
        const sending = drop ? sendHalfThenDrop(opts.url, multipart, body) : send('POST', opts.url, multipart, body, opts.timeout)
        sending.then((answer) => {
          this.record(sent, answer)
          listeners.forEach((l) => l({ progress: 100, totalBytesSent: body.length, totalBytesExpectedToSend: body.length }))
          opts.success?.({ statusCode: answer.status, data: answer.body.toString('utf8'), errMsg: 'uploadFile:ok' } as WechatMiniprogram.UploadFileSuccessCallbackResult)
        }, (err: Error) => {
          this.sent.push(sent)
          opts.fail?.({ errMsg: `uploadFile:fail ${err.message}` })
        })
        return { onProgressUpdate: (l: (typeof listeners)[number]) => void listeners.push(l), abort: () => undefined }
      },
      downloadFile: (opts: WechatMiniprogram.DownloadFileOption) => {
        const header = { ...(opts.header as Record<string, string>) }
        const sent: Sent = { kind: 'download', method: 'GET', url: opts.url, path: this.pathOf(opts.url), header }
        send('GET', opts.url, header, undefined, opts.timeout).then((answer) => {
          this.record(sent, answer)
          // Under the servers' temp dir, which scripts/e2e_server.py removes at the end.
          const folder = path.join(e2eEnv().var_dir, 'downloads')
          mkdirSync(folder, { recursive: true })
          const tempFilePath = path.join(folder, `${this.phone}-${this.sent.length}.tmp`)
          writeFileSync(tempFilePath, answer.body)
          this.files.set(tempFilePath, answer.body.toString('utf8'))
          opts.success?.({ statusCode: answer.status, tempFilePath, filePath: '', errMsg: 'downloadFile:ok', profile: {} } as unknown as WechatMiniprogram.DownloadFileSuccessCallbackResult)
        }, (err: Error) => opts.fail?.({ errMsg: `downloadFile:fail ${err.message}` }))
        return { onProgressUpdate: () => undefined, abort: () => undefined }
      },
    }
  }

  /** The file a student picks next from a chat or the album: a real file on disk. */
  choose(file: string, name = path.basename(file)): void {
    this.chosen = { path: file, name, size: readFileSync(file).length }
  }

  /** The last page the client navigated to (reLaunch / navigateTo / redirectTo), as 'pages/x/index' + query. */
  lastNavigation(): { page: string; query: Record<string, string> } | null {
    const calls = [this.reLaunch, this.navigateTo, this.redirectTo]
      .flatMap((fn) => fn.mock.calls.map((c, i) => ({ url: c[0].url, order: fn.mock.invocationCallOrder[i] })))
      .sort((a, b) => a.order - b.order)
    const last = calls[calls.length - 1]
    if (!last) return null
    const [page, qs = ''] = last.url.replace(/^\//, '').split('?')
    return { page, query: Object.fromEntries(new URLSearchParams(qs)) }
  }

  /** The server's last answer to `method path`, parsed. */
  lastAnswer(method: string, p: string): { status: number; json: { code?: string; message?: string; fields?: Record<string, string[]> } } {
    const found = [...this.answers].reverse().find((a) => a.sent.method === method && a.sent.path === p)
    if (!found) throw new Error(`no answer to ${method} ${p}`)
    return found as never
  }

  clearNavigation(): void {
    for (const fn of [this.reLaunch, this.navigateTo, this.redirectTo, this.navigateBack]) fn.mockClear()
  }
}

/** A phone with the client installed and pointed at the real server. */
export function installRealWx(): RealWx {
  const env = e2eEnv()
  const wxr = new RealWx(env.api).install()
  // The student accepts the 审核结果通知 subscription when 提交 asks.
  wxr.subscribeAnswer = { [env.template_id]: 'accept' }
  Object.assign(config, { apiBase: env.api, getRetryDelaysMs: [0, 0], subscribeTemplateId: env.template_id })
  return wxr
}

/** Open a page the way WeChat does: render it, then onLoad with its query and onShow (where defined). */
export function openPage(page: string, query: Record<string, string> = {}): Page {
  const env = e2eEnv()
  const p = renderPage(page, { apiBase: env.api, subscribeTemplateId: env.template_id })
  if (typeof p.instance.onLoad === 'function') p.instance.onLoad(query)
  if (typeof p.instance.onShow === 'function') p.instance.onShow()
  return p
}

/** Poll until check() returns something truthy (real HTTP takes real time). */
export async function until<T>(check: () => T, what: string, timeoutMs = 15000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: Error | null = null
  for (;;) {
    try {
      const value = check()
      if (value) return value
    } catch (err) {
      last = err as Error
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
