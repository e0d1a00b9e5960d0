/** Page routes, in one place so the API client and the pages agree, and navigation that never throws. */
export const ROUTES = {
  bind: '/pages/bind/index',
  password: '/pages/password/index',
  home: '/pages/home/index',
  // The wizard: one page per step, in the web's order (the API's `steps` / `next_step` names them).
  type: '/pages/type/index',
  organisation: '/pages/organisation/index',
  evidence: '/pages/evidence/index',
  archive: '/pages/archive/index',
  review: '/pages/review/index',
  record: '/pages/record/index',
  mine: '/pages/mine/index',
} as const

export type StepKey = 'type' | 'organisation' | 'evidence' | 'archive' | 'review'

const STEP_ROUTES: Record<StepKey, string> = {
  type: ROUTES.type,
  organisation: ROUTES.organisation,
  evidence: ROUTES.evidence,
  archive: ROUTES.archive,
  review: ROUTES.review,
}

/** The page of a wizard step the server names (`next_step`); an unknown name starts at 去向类型. */
export function stepRoute(step: string | null | undefined): string {
  return STEP_ROUTES[step as StepKey] ?? ROUTES.type
}

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

/**
 * Open the step the server says comes next (the wizard never decides the order itself). A step already open
 * below (修改 from 确认提交) is gone back to rather than opened again: WeChat's page stack holds at most 10.
 */
export function goToStep(step: string | null | undefined): void {
  const url = stepRoute(step)
  const stack = typeof getCurrentPages === 'function' ? getCurrentPages().map((p) => `/${p.route}`) : []
  const at = stack.lastIndexOf(url)
  if (at >= 0 && at < stack.length - 1) wx.navigateBack({ delta: stack.length - 1 - at, fail: failed })
  else navigate(url)
}

/** Replace this page by the step the server names: a step this record does not have is left behind for good. */
export function skipToStep(step: string | null | undefined): void {
  wx.redirectTo({ url: stepRoute(step), fail: failed })
}

const STEP_NAMES: Record<StepKey, string> = {
  type: '去向类型', organisation: '单位信息', evidence: '佐证材料', archive: '档案信息', review: '确认提交',
}

/** "第 2 步 / 共 4 步" from the record's own steps (a postgraduate's has no 档案信息); '' if not among them. */
export function stepLabel(steps: string[], step: StepKey): string {
  const i = steps.indexOf(step)
  return i < 0 ? '' : `第 ${i + 1} 步 / 共 ${steps.length} 步 · ${STEP_NAMES[step]}`
}
