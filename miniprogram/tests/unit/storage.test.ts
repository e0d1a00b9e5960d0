import { clearToken, getToken, setToken } from '../../utils/storage'
import { type FakeWx, installFakeWx } from '../helpers/fake-wx'

let wxf: FakeWx
beforeEach(() => {
  wxf = installFakeWx()
})

test('the token is kept in wx storage and read back', () => {
  setToken('qx_1', '2999-01-01T00:00:00Z')
  expect(wxf.storage.get('quxiang.token')).toEqual({ token: 'qx_1', expiresAt: '2999-01-01T00:00:00Z' })
  expect(getToken()).toBe('qx_1')
})

test('an expired token is dropped instead of being sent', () => {
  setToken('qx_1', '2024-06-01T08:00:00+08:00')
  expect(getToken(new Date('2024-06-01T00:00:01Z'))).toBeNull()
  expect(wxf.storage.has('quxiang.token')).toBe(false)
})

test('nothing stored, or something unreadable, means no token', () => {
  expect(getToken()).toBeNull()
  wxf.storage.set('quxiang.token', 'a bare string from an old version')
  expect(getToken()).toBeNull()
})

test('clearToken forgets it', () => {
  setToken('qx_1', '2999-01-01T00:00:00Z')
  clearToken()
  expect(getToken()).toBeNull()
})
