/** The student's steps through the pages, against the real server: each step waits for what it causes. */
import type { Page } from '../../helpers/simulate'
import { tap, text, type } from '../../helpers/simulate'
import { type DemoStudent, openPage, type RealWx, until } from './real-wx'

export const NEW_PASSWORD = 'Quxiang-MP-E2E-2027!'

/** Wait until the client navigated to `page` (after `since` navigations were cleared); returns its query. */
export async function navigatedTo(wxr: RealWx, page: string): Promise<Record<string, string>> {
  const nav = await until(() => {
    const last = wxr.lastNavigation()
    return last && last.page === page ? last : null
  }, `navigation to ${page} (last: ${JSON.stringify(wxr.lastNavigation())}; answers: ${lastAnswers(wxr)})`)
  return nav.query
}

export function lastAnswers(wxr: RealWx, n = 3): string {
  return JSON.stringify(wxr.answers.slice(-n).map((a) => `${a.sent.method} ${a.sent.path} → ${a.status} ${a.body.slice(0, 300)}`))
}

/** 绑定 with the initial password → the forced 修改密码 → 去向管理. */
export async function bindWithForcedPasswordChange(wxr: RealWx, student: DemoStudent): Promise<void> {
  const bind = openPage('pages/bind/index')
  await until(() => bind.querySelector('#student-number'), 'the bind form (the code alone did not log in)')
  await type(bind, '#student-number', student.student_number)
  await type(bind, '#password', student.password)
  wxr.clearNavigation()
  await tap(bind, '#submit')
  const query = await navigatedTo(wxr, 'pages/password/index')
  expect(query).toEqual({ forced: '1' })

  const password = openPage('pages/password/index', query)
  await until(() => password.querySelector('#old-password'), 'the password form')
  expect(text(password, '#forced-notice')).toContain('首次使用须先修改初始密码')
  await type(password, '#old-password', student.password)
  await type(password, '#new-password', NEW_PASSWORD)
  await type(password, '#new-password2', NEW_PASSWORD)
  wxr.clearNavigation()
  await tap(password, '#submit')
  await navigatedTo(wxr, 'pages/home/index')
}

/** 去向管理 → 去向录入 → the type page with this type chosen → the next step's page. */
export async function chooseType(wxr: RealWx, group: string, leaf: string): Promise<string> {
  const home = openPage('pages/home/index')
  await until(() => text(home, '#primary-action'), 'the home page’s next action')
  wxr.clearNavigation()
  await tap(home, '#primary-action')
  await navigatedTo(wxr, 'pages/type/index')
  const page = openPage('pages/type/index')
  await until(() => page.querySelector(`#group-${group}`), `the ${group} group`)
  await tap(page, `#group-${group}`)
  if (page.querySelector(`#leaf-${leaf}`)) await tap(page, `#leaf-${leaf}`)
  expect(page.instance.data.selected).toBe(leaf)
  wxr.clearNavigation()
  await tap(page, '#submit')
  return until(() => {
    const last = wxr.lastNavigation()
    return last && last.page !== 'pages/type/index' ? last.page : null
  }, `the step after the type (${lastAnswers(wxr)})`)
}

export async function pick(page: Page, selector: string, value: unknown): Promise<void> {
  const node = page.querySelector(selector)
  if (!node) throw new Error(`no ${selector}`)
  node.dispatchEvent('change', { detail: { value } })
  await new Promise((resolve) => setTimeout(resolve, 0))
}

/** Pick the first option of every empty selector picker (nature, industry, job category…) on the page. */
export async function pickFirstOfEmpty(page: Page, fields: string[]): Promise<void> {
  for (const field of fields) {
    if (!page.querySelector(`#f-${field}`)) continue
    if (page.instance.data.form?.[field]) continue
    await pick(page, `#f-${field}`, 0)
  }
}

/** Wait until the page has stopped loading (a control it renders only after load is there). */
export async function loaded(page: Page, what: string): Promise<void> {
  await until(() => page.instance.data.loaded === true, what)
}
