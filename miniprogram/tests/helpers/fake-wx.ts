/**
 * A programmable stand-in for the parts of `wx` the client uses: storage, wx.login, request / uploadFile /
 * downloadFile against scripted answers, and the navigation / toast / modal calls recorded for assertions.
 * Unit and page tests use it; the end-to-end suite will replace the network calls with real HTTP instead.
 */
import { config } from '../../config'

export interface Sent {
  kind: 'request' | 'upload' | 'download'
  method: string
  url: string
  /** url without the base and query, e.g. /api/v1/me */
  path: string
  header: Record<string, string>
  data?: unknown
  filePath?: string
  name?: string
}

export type Reply =
  | { status: number; body?: unknown; progress?: number[] }
  | { fail: string }
  | ((sent: Sent) => Reply)

interface Route {
  method: string
  path: string
  replies: Reply[]
}

export const BASE = 'https://api.test'

export class FakeWx {
  storage = new Map<string, unknown>()
  sent: Sent[] = []
  files = new Map<string, string>()
  routes: Route[] = []
  loginReplies: Array<{ code: string } | { fail: string }> = []
  loginCount = 0
  pageStack: string[] = []
  modalAnswer = true

  reLaunch = jest.fn((opts: { url: string; fail?: () => void }) => {
    this.pageStack = [opts.url.split('?')[0].replace(/^\//, '')]
  })
  navigateTo = jest.fn((_opts: { url: string; fail?: () => void }) => undefined)
  redirectTo = jest.fn((_opts: { url: string; fail?: () => void }) => undefined)
  navigateBack = jest.fn((opts: { delta?: number }) => {
    this.pageStack = this.pageStack.slice(0, Math.max(1, this.pageStack.length - (opts.delta ?? 1)))
  })
  showToast = jest.fn((_opts: { title: string; icon?: string }) => undefined)
  showModal = jest.fn((opts: { title?: string; content?: string; success?: (r: { confirm: boolean; cancel: boolean }) => void }) => {
    const confirm = this.modalAnswer
    setTimeout(() => opts.success?.({ confirm, cancel: !confirm }), 0)
  })
  openDocument = jest.fn((_opts: { filePath: string; fileType?: string }) => undefined)
  hideHomeButton = jest.fn()
  stopPullDownRefresh = jest.fn()
  setNavigationBarTitle = jest.fn()
  /** Uploads stay in flight (no answer) until aborted; uploadAborts counts UploadTask.abort() calls. */
  holdUploads = false
  uploadAborts = 0
  /** What the next wx.chooseMessageFile / wx.chooseMedia picks (or how it fails: the student cancelled). */
  chosen: { path: string; name: string; size: number } | { fail: string } = { path: 'wxfile://tmp/agreement.pdf', name: '就业协议书.pdf', size: 120000 }
  chooseMessageFile = jest.fn((opts: { success?: (r: unknown) => void; fail?: (r: { errMsg: string }) => void }) => {
    const chosen = this.chosen
    setTimeout(() => ('fail' in chosen ? opts.fail?.({ errMsg: chosen.fail })
      : opts.success?.({ tempFiles: [{ ...chosen, type: 'file', time: 0 }], errMsg: 'chooseMessageFile:ok' })), 0)
  })
  chooseMedia = jest.fn((opts: { success?: (r: unknown) => void; fail?: (r: { errMsg: string }) => void }) => {
    const chosen = this.chosen
    setTimeout(() => ('fail' in chosen ? opts.fail?.({ errMsg: chosen.fail })
      : opts.success?.({ tempFiles: [{ tempFilePath: chosen.path, size: chosen.size, fileType: 'image' }], type: 'image', errMsg: 'chooseMedia:ok' })), 0)
  })

  /** How wx.requestSubscribeMessage answers: {tmplId: 'accept' | 'reject'} or a failure (no tap, no network). */
  subscribeAnswer: Record<string, string> | { fail: string } = { fail: 'requestSubscribeMessage:fail' }
  requestSubscribeMessage = jest.fn((opts: { tmplIds: string[]; success?: (r: unknown) => void; fail?: (r: { errMsg: string }) => void }) => {
    const answer = this.subscribeAnswer
    setTimeout(() => ('fail' in answer ? opts.fail?.({ errMsg: String(answer.fail) })
      : opts.success?.({ ...answer, errMsg: 'requestSubscribeMessage:ok' })), 0)
  })

  /** Answer `method path` with these replies in turn; the last one keeps answering. */
  on(method: string, path: string, ...replies: Reply[]): this {
    this.routes = this.routes.filter((r) => !(r.method === method && r.path === path))
    this.routes.push({ method, path, replies })
    return this
  }

  /** Answer wx.login with these in turn (default: a fresh code every time). */
  onLogin(...replies: Array<{ code: string } | { fail: string }>): this {
    this.loginReplies = replies
    return this
  }

  sentTo(method: string, path: string): Sent[] {
    return this.sent.filter((s) => s.method === method && s.path === path)
  }

  private answer(sent: Sent): Exclude<Reply, (s: Sent) => Reply> {
    this.sent.push(sent)
    const route = this.routes.find((r) => r.method === sent.method && r.path === sent.path)
    if (!route) return { status: 404, body: { code: 'not_found', message: `no fake for ${sent.method} ${sent.path}`, fields: {} } }
    let reply = route.replies.length > 1 ? route.replies.shift()! : route.replies[0]
    while (typeof reply === 'function') reply = reply(sent)
    return reply
  }

  private sentFrom(kind: Sent['kind'], method: string, url: string, header: unknown): Sent {
    const path = url.startsWith(BASE) ? url.slice(BASE.length).split('?')[0] : url
    return { kind, method, url, path, header: { ...(header as Record<string, string>) } }
  }

  /** The object installed as the global `wx`. */
  api() {
    const later = (fn: () => void) => setTimeout(fn, 0)
    return {
      getStorageSync: (key: string) => (this.storage.has(key) ? this.storage.get(key) : ''),
      setStorageSync: (key: string, value: unknown) => void this.storage.set(key, value),
      removeStorageSync: (key: string) => void this.storage.delete(key),
      getAccountInfoSync: () => ({ miniProgram: { envVersion: 'develop', appId: 'touristappid', version: '' } }),
      login: (opts: { success?: (r: { code: string; errMsg: string }) => void; fail?: (r: { errMsg: string }) => void }) => {
        this.loginCount += 1
        const reply = this.loginReplies.length > 1 ? this.loginReplies.shift()! : (this.loginReplies[0] ?? { code: `code-${this.loginCount}` })
        later(() => ('fail' in reply ? opts.fail?.({ errMsg: reply.fail }) : opts.success?.({ code: reply.code, errMsg: 'login:ok' })))
      },
      request: (opts: WechatMiniprogram.RequestOption) => {
        const sent = { ...this.sentFrom('request', opts.method ?? 'GET', opts.url, opts.header), data: opts.data }
        const reply = this.answer(sent)
        later(() => {
          if ('fail' in reply) opts.fail?.({ errMsg: reply.fail, errno: 600001 } as WechatMiniprogram.RequestFailCallbackErr)
          else opts.success?.({ statusCode: reply.status, data: reply.status === 204 ? '' : (reply.body ?? ''), header: {}, cookies: [], errMsg: 'request:ok', profile: {} } as unknown as WechatMiniprogram.RequestSuccessCallbackResult)
        })
        return { abort: () => undefined }
      },
      uploadFile: (opts: WechatMiniprogram.UploadFileOption) => {
        const sent = { ...this.sentFrom('upload', 'POST', opts.url, opts.header), filePath: opts.filePath, name: opts.name }
        const reply = this.answer(sent)
        const listeners: Array<(p: { progress: number; totalBytesSent: number; totalBytesExpectedToSend: number }) => void> = []
        const abort = () => {
          this.uploadAborts += 1
          opts.fail?.({ errMsg: 'uploadFile:fail abort' })
        }
        if (this.holdUploads) return { onProgressUpdate: (l: (typeof listeners)[number]) => void listeners.push(l), abort }
        later(() => {
          if (!('fail' in reply)) for (const progress of reply.progress ?? []) listeners.forEach((l) => l({ progress, totalBytesSent: progress, totalBytesExpectedToSend: 100 }))
          if ('fail' in reply) opts.fail?.({ errMsg: reply.fail })
          else opts.success?.({ statusCode: reply.status, data: typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? ''), errMsg: 'uploadFile:ok' } as WechatMiniprogram.UploadFileSuccessCallbackResult)
        })
        return { onProgressUpdate: (l: (typeof listeners)[number]) => void listeners.push(l), abort }
      },
      downloadFile: (opts: WechatMiniprogram.DownloadFileOption) => {
        const sent = this.sentFrom('download', 'GET', opts.url, opts.header)
        const reply = this.answer(sent)
        later(() => {
          if ('fail' in reply) {
            opts.fail?.({ errMsg: reply.fail })
            return
          }
          const tempFilePath = `wxfile://tmp/${this.sent.length}`
          this.files.set(tempFilePath, typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body ?? ''))
          opts.success?.({ statusCode: reply.status, tempFilePath, filePath: '', errMsg: 'downloadFile:ok', profile: {} } as unknown as WechatMiniprogram.DownloadFileSuccessCallbackResult)
        })
        return { onProgressUpdate: () => undefined, abort: () => undefined }
      },
      getFileSystemManager: () => ({
        readFileSync: (path: string) => {
          const content = this.files.get(path)
          if (content === undefined) throw new Error(`readFileSync:fail no such file ${path}`)
          return content
        },
      }),
      reLaunch: this.reLaunch,
      navigateTo: this.navigateTo,
      redirectTo: this.redirectTo,
      navigateBack: this.navigateBack,
      showToast: this.showToast,
      showModal: this.showModal,
      openDocument: this.openDocument,
      hideHomeButton: this.hideHomeButton,
      stopPullDownRefresh: this.stopPullDownRefresh,
      setNavigationBarTitle: this.setNavigationBarTitle,
      chooseMessageFile: this.chooseMessageFile,
      chooseMedia: this.chooseMedia,
      requestSubscribeMessage: this.requestSubscribeMessage,
    }
  }

  /** Install as global `wx` (over miniprogram-simulate's own mock, when present) and getCurrentPages. */
  install(): this {
    const g = globalThis as unknown as { wx?: object; getCurrentPages?: () => Array<{ route: string }> }
    g.wx = Object.assign(g.wx ?? {}, this.api())
    g.getCurrentPages = () => this.pageStack.map((route) => ({ route }))
    return this
  }
}

/** What every test runs the client with: the fake base, and retries without waiting. */
export const TEST_CONFIG = { apiBase: BASE, getRetryDelaysMs: [0, 0] }

/** Fresh fake, installed, with the client pointed at BASE. */
export function installFakeWx(): FakeWx {
  const fake = new FakeWx().install()
  Object.assign(config, TEST_CONFIG, { getRetryDelaysMs: [...TEST_CONFIG.getRetryDelaysMs] })
  return fake
}

export function errorBody(code: string, message: string, fields: Record<string, string[]> = {}) {
  return { code, message, fields }
}

/** Let pending fake callbacks (setTimeout 0) and the promises behind them run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0))
}
