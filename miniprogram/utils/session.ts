/**
 * Binding and logging in (manual part 二): the first use binds the mini-program to the employment-site
 * account (学号 + 密码) with a wx.login code; later launches log in with the code alone.
 */
import { api, ApiError, NetworkError, type Schemas } from './api'
import { ROUTES } from './routes'
import { clearToken, setToken } from './storage'

export type Student = Schemas['StudentOut']

/** wx.login failed: WeChat itself was not reachable. The page offers 重试, as for any network failure. */
export function wxLoginCode(): Promise<string> {
  return new Promise((resolve, reject) => {
    wx.login({
      timeout: 10000,
      success: (res) => {
        if (res.code) resolve(res.code)
        else reject(new NetworkError(res.errMsg || 'login:fail', '暂时无法连接微信，请检查网络后重试。'))
      },
      fail: (res) => reject(new NetworkError(res.errMsg, '暂时无法连接微信，请检查网络后重试。')),
    })
  })
}

function keep(answer: Schemas['TokenOut']): Student {
  setToken(answer.token, answer.expires_at)
  return answer.student
}

/** 学号 + 密码 + a fresh code → our token. */
export async function bind(studentNumber: string, password: string): Promise<Student> {
  const code = await wxLoginCode()
  const answer = await api.post('/api/v1/auth/bind', {
    auth: false,
    body: { code, student_number: studentNumber, password },
  })
  return keep(answer)
}

/** The code alone; null when this WeChat is not bound yet (the bind form is shown). */
export async function loginWithCode(): Promise<Student | null> {
  const code = await wxLoginCode()
  try {
    return keep(await api.post('/api/v1/auth/login', { auth: false, body: { code } }))
  } catch (err) {
    if (err instanceof ApiError && err.code === 'not_bound') return null
    throw err
  }
}

/** Where a student goes after logging in: the initial password must be changed before anything else. */
export function landingRoute(student: Student): string {
  return student.must_change_password ? `${ROUTES.password}?forced=1` : ROUTES.home
}

export async function logout(): Promise<void> {
  try {
    await api.post('/api/v1/auth/logout')
  } finally {
    clearToken()
  }
}

export async function unbind(): Promise<void> {
  await api.post('/api/v1/auth/unbind')
  clearToken()
}
