/** Our bearer token in wx storage (never WeChat's session_key, which stays on the server). */
const TOKEN_KEY = 'quxiang.token'

interface StoredToken {
  token: string
  expiresAt: string
}

export function getToken(now: Date = new Date()): string | null {
  let stored: unknown
  try {
    stored = wx.getStorageSync(TOKEN_KEY)
  } catch {
    return null
  }
  if (!stored || typeof stored !== 'object') return null
  const { token, expiresAt } = stored as Partial<StoredToken>
  if (typeof token !== 'string' || !token) return null
  // An expired token would only earn a 401; drop it here and go straight to logging in again.
  if (typeof expiresAt === 'string' && Date.parse(expiresAt) <= now.getTime()) {
    clearToken()
    return null
  }
  return token
}

export function setToken(token: string, expiresAt: string): void {
  wx.setStorageSync(TOKEN_KEY, { token, expiresAt } satisfies StoredToken)
}

export function clearToken(): void {
  try {
    wx.removeStorageSync(TOKEN_KEY)
  } catch {
    // nothing stored, or storage unavailable: either way there is no token
  }
}
