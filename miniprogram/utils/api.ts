/**
 * The one client of the Quxiang API (/api/v1). Typed from the OpenAPI schema (typings/api.d.ts).
 *
 * - base URL from config.ts; our bearer token from wx storage;
 * - every failure becomes an ApiError ({status, code, message, fields} — the server's one error shape)
 *   or a NetworkError (no answer at all: the page keeps what was typed and offers 重试);
 * - 401 on an authenticated call → token dropped, back to 绑定; 403 password_change_required → 修改密码;
 * - Idempotency-Key on submit and upload (the caller passes one key per action, reused on 重试);
 * - automatic retries only for GET (and downloads), never for a write.
 */
import { config } from '../config'
import type { components, paths } from '../typings/api'
import { ROUTES, relaunchTo } from './routes'
import { clearToken, getToken } from './storage'

export type Schemas = components['schemas']
export type FieldErrors = Record<string, string[]>

const FALLBACK_MESSAGE = '系统繁忙，请稍后再试。'
const NETWORK_MESSAGE = '网络连接失败，请检查网络后重试。'
const TIMEOUT_MESSAGE = '网络超时，请检查网络后重试。'
const DOMAIN_MESSAGE = '小程序尚未配置服务器域名，请联系学校就业指导中心。'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly fields: FieldErrors
  /** The client already sent the user elsewhere (绑定 or 修改密码): the page shows nothing more. */
  redirected = false

  constructor(status: number, code: string, message: string, fields: FieldErrors = {}) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
    this.fields = fields
  }
}

export class NetworkError extends Error {
  readonly timeout: boolean
  readonly detail: string

  constructor(detail: string, message?: string) {
    const timeout = /timeout|超时/i.test(detail)
    // WeChat refuses a domain that is not whitelisted in the admin console: a set-up fault, not the network.
    const notWhitelisted = /domain list|合法域名/i.test(detail)
    super(message ?? (notWhitelisted ? DOMAIN_MESSAGE : timeout ? TIMEOUT_MESSAGE : NETWORK_MESSAGE))
    this.name = 'NetworkError'
    this.timeout = timeout
    this.detail = detail
  }
}

// --- types from the schema -----------------------------------------------------------------

export type Method = 'get' | 'post' | 'put' | 'delete'
type PathsFor<M extends Method> = {
  [P in keyof paths]: undefined extends paths[P][M] ? never : P
}[keyof paths]
type Op<P extends keyof paths, M extends Method> = NonNullable<paths[P][M]>
type JsonOf<R> = R extends { content: { 'application/json': infer B } } ? B : undefined
type Success<O> = O extends { responses: infer R }
  ? 200 extends keyof R ? JsonOf<R[200]> : 201 extends keyof R ? JsonOf<R[201]> : undefined
  : never
type BodyOf<O> = O extends { requestBody: { content: { 'application/json': infer B } } } ? B : undefined
type PathParams<O> = O extends { parameters: { path: infer Q } } ? Q : undefined

export type ResponseOf<P extends keyof paths, M extends Method> = Success<Op<P, M>>

export interface CallOptions<P extends keyof paths, M extends Method> {
  body?: BodyOf<Op<P, M>>
  path?: PathParams<Op<P, M>>
  /** false for bind/login: no token sent, and a 401 is the answer to show, not an expired session. */
  auth?: boolean
  idempotencyKey?: string
}

// --- plumbing ------------------------------------------------------------------------------

export function fillPath(template: string, params?: object): string {
  const values = (params ?? {}) as Record<string, string | number>
  return template.replace(/\{(\w+)\}/g, (_m, name: string) => {
    const value = values[name]
    if (value === undefined) throw new Error(`missing path parameter ${name}`)
    return encodeURIComponent(String(value))
  })
}

function headers(auth: boolean, idempotencyKey?: string): Record<string, string> {
  const header: Record<string, string> = { Accept: 'application/json' }
  const token = auth ? getToken() : null
  if (token) header.Authorization = `Bearer ${token}`
  if (idempotencyKey) header['Idempotency-Key'] = idempotencyKey
  return header
}

/** The server's {code, message, fields}, or a plain Chinese message when a proxy answered instead. */
export function toApiError(status: number, data: unknown): ApiError {
  let body = data
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body)
    } catch {
      body = null
    }
  }
  if (body && typeof body === 'object') {
    const { code, message, fields } = body as { code?: unknown; message?: unknown; fields?: unknown }
    if (typeof code === 'string' && typeof message === 'string') {
      return new ApiError(status, code, message, normaliseFields(fields))
    }
  }
  if (status === 413) return new ApiError(status, 'too_large', '文件过大，请压缩或换一个较小的文件后再试。')
  if (status === 502 || status === 503 || status === 504) {
    return new ApiError(status, 'unavailable', '系统维护中或暂时繁忙，请稍后再试。')
  }
  return new ApiError(status, `http_${status}`, FALLBACK_MESSAGE)
}

function normaliseFields(raw: unknown): FieldErrors {
  const out: FieldErrors = {}
  if (!raw || typeof raw !== 'object') return out
  for (const [name, msgs] of Object.entries(raw as Record<string, unknown>)) {
    const list = Array.isArray(msgs) ? msgs.filter((m): m is string => typeof m === 'string') : []
    if (typeof msgs === 'string') list.push(msgs)
    if (list.length) out[name] = list
  }
  return out
}

/** 401 / 403 password_change_required send the student where they must go; every page gets this. */
function route(err: ApiError, authed: boolean): ApiError {
  if (err.status === 401 && authed) {
    clearToken()
    relaunchTo(ROUTES.bind, 'reason=expired')
    err.redirected = true
  } else if (err.status === 403 && err.code === 'password_change_required') {
    relaunchTo(ROUTES.password, 'forced=1')
    err.redirected = true
  }
  return err
}

const RETRYABLE_STATUS = new Set([502, 503, 504])

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Runs one attempt per delay + 1. Only GET-like calls pass delays: a write is never sent twice by the client
 * (the student taps 重试, with the same Idempotency-Key where the server honours one).
 */
async function withRetries<T>(delays: number[], attempt: () => Promise<T>): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt()
    } catch (err) {
      const transient = err instanceof NetworkError || (err instanceof ApiError && RETRYABLE_STATUS.has(err.status))
      if (!transient || i >= delays.length) throw err
      await sleep(delays[i] ?? 0)
    }
  }
}

function rawRequest(method: Method, url: string, header: Record<string, string>, data?: unknown) {
  return new Promise<WechatMiniprogram.RequestSuccessCallbackResult>((resolve, reject) => {
    wx.request({
      url,
      method: method.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'DELETE',
      header: data === undefined ? header : { ...header, 'Content-Type': 'application/json' },
      data: data as WechatMiniprogram.IAnyObject | undefined,
      timeout: config.requestTimeoutMs,
      dataType: 'json',
      success: resolve,
      fail: (res) => reject(new NetworkError(res.errMsg)),
    })
  })
}

export async function call<M extends Method, P extends PathsFor<M>>(
  method: M,
  path: P,
  options: CallOptions<P, M> = {},
): Promise<ResponseOf<P, M>> {
  const authed = options.auth !== false
  const url = config.apiBase.replace(/\/+$/, '') + fillPath(path, options.path ?? undefined)
  const delays = method === 'get' ? config.getRetryDelaysMs : []
  try {
    return await withRetries(delays, async () => {
      const res = await rawRequest(method, url, headers(authed, options.idempotencyKey), options.body)
      if (res.statusCode >= 200 && res.statusCode < 300) {
        return (res.statusCode === 204 ? undefined : res.data) as ResponseOf<P, M>
      }
      throw toApiError(res.statusCode, res.data)
    })
  } catch (err) {
    throw err instanceof ApiError ? route(err, authed) : err
  }
}

export const api = {
  get: <P extends PathsFor<'get'>>(path: P, options?: CallOptions<P, 'get'>) => call('get', path, options),
  post: <P extends PathsFor<'post'>>(path: P, options?: CallOptions<P, 'post'>) => call('post', path, options),
  put: <P extends PathsFor<'put'>>(path: P, options?: CallOptions<P, 'put'>) => call('put', path, options),
  delete: <P extends PathsFor<'delete'>>(path: P, options?: CallOptions<P, 'delete'>) =>
    call('delete', path, options),
}

// --- upload and download -------------------------------------------------------------------

export interface UploadOptions {
  filePath: string
  /** One key per chosen file: a 重试 of the same file sends the same key, so the server keeps one copy. */
  idempotencyKey: string
  onProgress?: (percent: number) => void
  /** Receives the UploadTask, e.g. to abort when the student leaves the page. */
  onTask?: (task: WechatMiniprogram.UploadTask) => void
}

/** One evidence file, multipart field `file` (wx.uploadFile sends one file per call). Never retried. */
export function uploadEvidence(options: UploadOptions): Promise<Schemas['EvidenceOut']> {
  const url = config.apiBase.replace(/\/+$/, '') + '/api/v1/registration/evidence'
  return new Promise<Schemas['EvidenceOut']>((resolve, reject) => {
    const task = wx.uploadFile({
      url,
      filePath: options.filePath,
      name: 'file',
      header: headers(true, options.idempotencyKey),
      timeout: config.uploadTimeoutMs,
      success: (res) => {
        if (res.statusCode >= 200 && res.statusCode < 300) {
          try {
            resolve(JSON.parse(res.data) as Schemas['EvidenceOut'])
          } catch {
            reject(new ApiError(res.statusCode, 'bad_response', FALLBACK_MESSAGE))
          }
        } else {
          reject(route(toApiError(res.statusCode, res.data), true))
        }
      },
      fail: (res) => reject(new NetworkError(res.errMsg)),
    })
    if (task && options.onProgress) {
      const onProgress = options.onProgress
      task.onProgressUpdate((p) => onProgress(p.progress))
    }
    if (task && options.onTask) options.onTask(task)
  })
}

function readErrorFile(tempFilePath: string): unknown {
  try {
    return wx.getFileSystemManager().readFileSync(tempFilePath, 'utf8')
  } catch {
    return null
  }
}

/** The registration sheet (PDF) with our token; resolves to the temp file for wx.openDocument. */
export function downloadSheet(registrationId: number): Promise<string> {
  const path = fillPath('/api/v1/registrations/{registration_id}/sheet', { registration_id: registrationId })
  const url = config.apiBase.replace(/\/+$/, '') + path
  const attempt = () =>
    new Promise<string>((resolve, reject) => {
      wx.downloadFile({
        url,
        header: headers(true),
        timeout: config.requestTimeoutMs,
        success: (res) => {
          if (res.statusCode === 200) resolve(res.tempFilePath)
          else reject(toApiError(res.statusCode, readErrorFile(res.tempFilePath)))
        },
        fail: (res) => reject(new NetworkError(res.errMsg)),
      })
    })
  return withRetries(config.getRetryDelaysMs, attempt).catch((err: unknown) => {
    throw err instanceof ApiError ? route(err, true) : err
  })
}

// --- idempotency keys ----------------------------------------------------------------------

/** A random UUID v4. The server scopes keys by user and action, so this only has to be unique per student. */
export function newIdempotencyKey(random: () => number = Math.random): string {
  const hex = (n: number) => Math.floor(random() * 16 ** n).toString(16).padStart(n, '0')
  const variant = (8 + Math.floor(random() * 4)).toString(16)
  return `${hex(8)}-${hex(4)}-4${hex(3)}-${variant}${hex(3)}-${hex(12)}`
}

/**
 * One user action (提交, or uploading one chosen file) that the student may have to repeat with 重试.
 * The key survives a failure that left the outcome unknown (no answer, a 5xx from a proxy, the same request
 * still running), so the server answers the retry with the first result; any definite answer ends the action.
 */
export function idempotentAction<T>(send: (key: string) => Promise<T>): () => Promise<T> {
  let key: string | null = null
  return async () => {
    const current = key ?? newIdempotencyKey()
    key = current
    try {
      const result = await send(current)
      key = null
      return result
    } catch (err) {
      const unknownOutcome =
        err instanceof NetworkError || (err instanceof ApiError && (err.code === 'in_progress' || err.status >= 500))
      if (!unknownOutcome) key = null
      throw err
    }
  }
}
