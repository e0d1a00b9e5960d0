/** Page routes, in one place so the API client and the pages agree, and navigation that never throws. */
export const ROUTES = {
  bind: '/pages/bind/index',
  password: '/pages/password/index',
  home: '/pages/home/index',
  // Not built yet (issue 10): the wizard and the record view.
  wizard: '/pages/wizard/index',
  record: '/pages/record/index',
} as const

export type Route = (typeof ROUTES)[keyof typeof ROUTES]

/** The route of the page on top of the stack, as '/pages/…' (null outside WeChat's page stack). */
export function currentRoute(): string | null {
  if (typeof getCurrentPages !== 'function') return null
  const pages = getCurrentPages()
  const top = pages[pages.length - 1]
  return top && top.route ? `/${top.route}` : null
}

function failed(): void {
  wx.showToast({ title: '页面打开失败，请稍后再试。', icon: 'none', fail: () => undefined })
}

/** Close every page and open url (after login, logout, or when the session is gone). */
export function relaunch(url: string): void {
  wx.reLaunch({ url, fail: failed })
}

/** reLaunch unless already there: a redirect from the page we are on would loop. */
export function relaunchTo(route: Route, query = ''): void {
  if (currentRoute() === route) return
  relaunch(query ? `${route}?${query}` : route)
}

/** Open url on top of the current page (the back button returns). */
export function navigate(url: string): void {
  wx.navigateTo({ url, fail: failed })
}
