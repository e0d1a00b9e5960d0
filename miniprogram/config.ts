/**
 * The one place a university configures the client.
 *
 * apiBase is the site root of the Quxiang server, without /api/v1 (the client's paths are the OpenAPI
 * ones, /api/v1/...). In production it must be HTTPS and its domain must be whitelisted as request,
 * uploadFile and downloadFile 合法域名 in the mini-program's admin console (开发管理 → 开发设置 → 服务器域名).
 * One base per WeChat environment: 开发版 (DevTools / 预览), 体验版, 正式版.
 */
export type EnvVersion = 'develop' | 'trial' | 'release'

export const API_BASES: Record<EnvVersion, string> = {
  develop: 'http://127.0.0.1:8000',
  trial: 'https://quxiang.example.edu.cn',
  release: 'https://quxiang.example.edu.cn',
}

function currentEnv(): EnvVersion {
  try {
    return wx.getAccountInfoSync().miniProgram.envVersion
  } catch {
    return 'release' // not inside WeChat (tests): the safest choice
  }
}

export interface ClientConfig {
  apiBase: string
  /** ms before wx.request gives up; WeChat's own default is 60 s, far too long on a phone. */
  requestTimeoutMs: number
  /** ms for one evidence upload (files are at most a few MB). */
  uploadTimeoutMs: number
  /** Extra attempts for a GET after a network failure or a 502/503/504, and the wait before each. */
  getRetryDelaysMs: number[]
  /**
   * The 审核结果通知 subscribe-message template id (微信公众平台 → 订阅消息 → 我的模板), the same one the
   * server sends with. A placeholder until the university sets it: empty means the client never asks.
   */
  subscribeTemplateId: string
}

export const config: ClientConfig = {
  apiBase: API_BASES[currentEnv()],
  requestTimeoutMs: 15000,
  uploadTimeoutMs: 60000,
  getRetryDelaysMs: [500, 1500],
  subscribeTemplateId: '',
}
