import { setToken } from '../../utils/storage'
import { errorBody, type FakeWx, installFakeWx, settle } from '../helpers/fake-wx'
import { attrs, type Page, renderPage, tap, text, type } from '../helpers/simulate'

let wxf: FakeWx
let page: Page

async function open(query: Record<string, string> = {}): Promise<Page> {
  page = renderPage('pages/password/index')
  page.instance.onLoad(query)
  await settle()
  return page
}

async function fill(old: string, next: string, again = next): Promise<void> {
  await type(page, '#old-password', old)
  await type(page, '#new-password', next)
  await type(page, '#new-password2', again)
}

beforeEach(() => {
  wxf = installFakeWx()
  setToken('qx_abc', '2999-01-01T00:00:00Z')
})

test('forced after binding: says why, hides the way home, labels every input', async () => {
  await open({ forced: '1' })
  expect(text(page, '#forced-notice')).toBe('首次使用须先修改初始密码，修改后才能办理去向登记。')
  expect(wxf.hideHomeButton).toHaveBeenCalled()
  expect(attrs(page, 'old-password')).toMatchObject({ ariaLabel: '原密码', password: true })
  expect(attrs(page, 'new-password')).toMatchObject({ ariaLabel: '新密码', password: true })
  expect(attrs(page, 'new-password2')).toMatchObject({ ariaLabel: '确认新密码', password: true })
})

test('opened from 我的 it is not forced', async () => {
  await open()
  expect(text(page, '#forced-notice')).toBeNull()
  expect(wxf.hideHomeButton).not.toHaveBeenCalled()
})

test('a good change sends the old and new password once, then opens 去向管理', async () => {
  wxf.on('POST', '/api/v1/auth/password', { status: 204 })
  await open({ forced: '1' })
  await fill('12345X', 'N3w-passw0rd!')
  await tap(page, '#submit')
  await settle()
  expect(wxf.sentTo('POST', '/api/v1/auth/password')[0].data).toEqual({ old_password: '12345X', new_password: 'N3w-passw0rd!' })
  expect(wxf.sentTo('POST', '/api/v1/auth/password')[0].header.Authorization).toBe('Bearer qx_abc')
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/home/index' }))
})

test('two different new passwords are caught before sending', async () => {
  await open()
  await fill('12345X', 'N3w-passw0rd!', 'N3w-passw0rd?')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#new-password2-error')).toBe('两次输入的新密码不一致。')
  expect(wxf.sent).toHaveLength(0)
})

test("the server's messages land under the inputs they are about", async () => {
  wxf.on('POST', '/api/v1/auth/password', {
    status: 422,
    body: errorBody('invalid', '原密码不正确。', {
      old_password: ['原密码不正确。'],
      new_password2: ['密码太短，至少需要 8 个字符。', '这个密码太常见了。'],
    }),
  })
  await open()
  await fill('bad', 'short')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#old-password-error')).toBe('原密码不正确。')
  expect(text(page, '#new-password-error')).toBe('密码太短，至少需要 8 个字符。；这个密码太常见了。')
  expect(text(page, '#form-error')).toBeNull()
  expect(wxf.reLaunch).not.toHaveBeenCalled()
})

test('typing in an input clears its error', async () => {
  wxf.on('POST', '/api/v1/auth/password', { status: 422, body: errorBody('invalid', 'x', { old_password: ['原密码不正确。'] }) })
  await open()
  await fill('bad', 'N3w-passw0rd!')
  await tap(page, '#submit')
  await settle()
  await type(page, '#old-password', 'better')
  expect(text(page, '#old-password-error')).toBeNull()
})

test('no network: everything typed stays, 重试 sends it again', async () => {
  wxf.on('POST', '/api/v1/auth/password', { fail: 'request:fail timeout' }, { status: 204 })
  await open({ forced: '1' })
  await fill('12345X', 'N3w-passw0rd!')
  await tap(page, '#submit')
  await settle()
  expect(text(page, '#network-error')).toContain('网络超时，请检查网络后重试。')
  expect(page.instance.data).toMatchObject({ oldPassword: '12345X', newPassword: 'N3w-passw0rd!', newPassword2: 'N3w-passw0rd!' })
  await tap(page, '#retry')
  await settle()
  expect(wxf.sentTo('POST', '/api/v1/auth/password')).toHaveLength(2)
  expect(wxf.reLaunch).toHaveBeenCalledWith(expect.objectContaining({ url: '/pages/home/index' }))
})
