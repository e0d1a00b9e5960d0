/**
 * End to end: one registration per leaf 去向 type that GET /api/v1/reference/destination-types lists (a
 * fresh demo student each), through the type → organisation → evidence → archive → 提交 pages that the type
 * needs, against the real server. The values typed are what a student would copy from the documents.
 */
import { type Page, tap, text, type } from '../helpers/simulate'
import { bindWithForcedPasswordChange, chooseType, lastAnswers, loaded } from './helpers/flows'
import { claimStudent, control, e2eEnv, installRealWx, openPage, type RealWx, until } from './helpers/real-wx'

jest.setTimeout(60000)

let wxr: RealWx

beforeEach(() => {
  wxr = installRealWx()
})

afterAll(async () => {
  expect(await control<string[]>('GET', '/server-errors')).toEqual([])
})

const USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY'

/** A USCC with a correct GB 32100 check digit (schools are not in the demo directory). */
function validUscc(first17: string): string {
  const sum = [...first17].reduce((acc, ch, i) => acc + USCC_CHARS.indexOf(ch) * (3 ** i % 31), 0)
  return first17 + USCC_CHARS[(31 - (sum % 31)) % 31]
}

const TEXT: Record<string, string> = {
  org_name: '复旦大学', org_address: '邯郸路 220 号', org_postcode: '200433', org_contact_name: '李明',
  org_contact_phone: '13812345678', abroad_name_original: 'University of Edinburgh', programme: '计算机科学',
  programme_original: 'Computer Science',
  archive_unit: '生源地毕业生就业主管部门', archive_address: '人民路 1 号', archive_postcode: '200001',
  archive_contact: '王老师', archive_phone: '021-63210000', origin_authority_name: '生源地毕业生就业主管部门',
}

async function fillOrganisation(page: Page, kind: string): Promise<void> {
  if (kind === 'employer') {
    const org = await control<{ uscc: string; name: string }>('POST', '/organisation')
    await type(page, '#f-org_uscc', org.uscc)
    await tap(page, '#match')
    await until(() => page.instance.data.form.org_name === org.name, `检索匹配 (${lastAnswers(wxr)})`)
  } else if (page.querySelector('#f-org_uscc')) {
    await type(page, '#f-org_uscc', validUscc('12100000425010000'))
  }
  const fields = page.instance.data.fields as Array<{ name: string; widget: string }>
  for (const f of fields) {
    if (page.instance.data.form[f.name]) continue
    const node = page.querySelector(`#f-${f.name}`)
    if (!node) continue
    if (f.widget === 'text' && TEXT[f.name]) await type(page, `#f-${f.name}`, TEXT[f.name])
    else if (f.widget === 'code' || f.widget === 'country') node.dispatchEvent('change', { detail: { value: 0 } })
    else if (f.widget === 'region') node.dispatchEvent('change', { detail: { value: [0, 0, 0] } })
    else if (f.widget === 'date') node.dispatchEvent('change', { detail: { value: '2027-04-15' } })
    await new Promise((resolve) => setTimeout(resolve, 0))
  }
}

async function fillArchive(page: Page): Promise<void> {
  await tap(page, '#match')
  await until(() => wxr.sentTo('POST', '/api/v1/registration/archive/match').length && !page.instance.data.busy, `匹配 (${lastAnswers(wxr)})`)
  if (page.instance.data.hasEmployer) {
    await tap(page, '#copy')
    await until(() => wxr.sentTo('POST', '/api/v1/registration/archive/copy-organisation').length && !page.instance.data.busy, '与签约单位相同')
  } else if (!page.instance.data.form.archive_destination) {
    await tap(page, '#dest-origin')
  }
  for (const [name, value] of Object.entries(TEXT)) {
    if (name.startsWith('org_') || name.startsWith('abroad') || name.startsWith('programme')) continue
    if (page.querySelector(`#f-${name}`) && !page.instance.data.form[name]) await type(page, `#f-${name}`, value)
  }
}

/** The page the client opened last, once it is not `from` any more. */
async function nextPage(from: string): Promise<string> {
  return until(() => {
    const last = wxr.lastNavigation()
    return last && last.page !== from ? last.page : null
  }, `the step after ${from} (${lastAnswers(wxr, 2)})`)
}

interface Leaf { key: string; name: string; org_kind: string }
interface Group { key: string; name: string; leaves: Leaf[] }

// Every leaf type the API lists (fetched once by global-setup.js), so a type added later is covered too.
const TYPES: Array<[string, string, string]> = (e2eEnv() as unknown as { destination_types: Group[] }).destination_types
  .flatMap((g) => g.leaves.map((l): [string, string, string] => [g.key, l.key, l.org_kind]))

test('the API lists the types of the manual', () => {
  expect(TYPES.length).toBeGreaterThan(9)
})

test.each(TYPES)('%s / %s: every step the type needs, then 提交 → 待鉴证', async (group, leaf, kind) => {
  const student = await claimStudent()
  await bindWithForcedPasswordChange(wxr, student)
  let page = await chooseType(wxr, group, leaf)
  const visited = [page]
  for (let guard = 0; page !== 'pages/review/index' && guard < 5; guard++) {
    const current = openPage(page)
    await loaded(current, page)
    wxr.clearNavigation()
    if (page === 'pages/organisation/index') {
      await fillOrganisation(current, kind)
      await tap(current, '#submit')
    } else if (page === 'pages/evidence/index') {
      wxr.choose(e2eEnv().files['agreement.pdf'])
      await tap(current, '#choose-chat')
      await until(() => current.instance.data.files.length === 1, `the file listed (${lastAnswers(wxr)})`)
      await tap(current, '#next')
    } else if (page === 'pages/archive/index') {
      await fillArchive(current)
      await tap(current, '#submit')
    } else {
      throw new Error(`unexpected page ${page}`)
    }
    page = await nextPage(page)
    visited.push(page)
  }
  if (kind === 'none') expect(visited).not.toContain('pages/organisation/index')
  const review = openPage('pages/review/index')
  await until(() => review.querySelector('#submit'), 'the review page')
  await tap(review, '#submit')
  await until(() => text(review, '#result-message'), `the submit result (${lastAnswers(wxr)})`)
  const home = openPage('pages/home/index')
  await until(() => text(home, '#status'), 'the home status')
  expect(text(home, '#status')).toBe('待鉴证')
})
