import { ApiError, NetworkError } from '../../utils/api'
import { attempt, explain, showFeedback } from '../../utils/feedback'
import { type FakeWx, installFakeWx } from '../helpers/fake-wx'

let wxf: FakeWx
beforeEach(() => {
  wxf = installFakeWx()
})

const MAP = { student_number: 'studentNumber', password: 'password' }

test('server field messages go under the matching inputs, no toast when all are placed', () => {
  const err = new ApiError(422, 'invalid', '请输入学号。', { student_number: ['请输入学号。'], password: ['太短。', '太常见。'] })
  expect(explain(err, MAP)).toEqual({
    fieldErrors: { studentNumber: '请输入学号。', password: '太短。；太常见。' },
    formError: '',
    networkError: '',
  })
})

test('field messages without an input on this page become the form error', () => {
  const err = new ApiError(422, 'invalid', '请求内容有误', { student_number: ['学号太长。'], code: ['code 无效。'] })
  expect(explain(err, MAP)).toMatchObject({ fieldErrors: { studentNumber: '学号太长。' }, formError: 'code 无效。' })
})

test('two server fields may land on one input', () => {
  const err = new ApiError(422, 'invalid', 'x', { new_password1: ['太短。'], new_password2: ['不一致。'] })
  expect(explain(err, { new_password1: 'newPassword', new_password2: 'newPassword' }).fieldErrors).toEqual({ newPassword: '太短。；不一致。' })
})

test('an error without fields is the form error (banner + toast)', () => {
  const err = new ApiError(409, 'account_bound', '该学号已绑定其他微信，请先解除绑定或联系辅导员。')
  const page = { setData: jest.fn() }
  showFeedback(page, explain(err, MAP))
  expect(page.setData).toHaveBeenCalledWith({ errors: {}, formError: '该学号已绑定其他微信，请先解除绑定或联系辅导员。', networkError: '' })
  expect(wxf.showToast).toHaveBeenCalledWith(expect.objectContaining({ title: '该学号已绑定其他微信，请先解除绑定或联系辅导员。', icon: 'none' }))
})

test('a network failure offers 重试 and shows no toast', () => {
  const page = { setData: jest.fn() }
  showFeedback(page, explain(new NetworkError('request:fail')))
  expect(page.setData).toHaveBeenCalledWith({ errors: {}, formError: '', networkError: '网络连接失败，请检查网络后重试。' })
  expect(wxf.showToast).not.toHaveBeenCalled()
})

test('an error the client already acted on (redirect) shows nothing', () => {
  const err = new ApiError(401, 'unauthorized', '登录已过期')
  err.redirected = true
  expect(explain(err)).toEqual({ fieldErrors: {}, formError: '', networkError: '' })
})

test('a bug in our code still gives a Chinese message, never a raw exception', () => {
  expect(explain(new TypeError('x is undefined')).formError).toBe('出了点问题，请稍后再试。')
})

function fakePage(data: Record<string, unknown> = {}) {
  return { data, setData(patch: Record<string, unknown>) { Object.assign(this.data, patch) } }
}

test('attempt: a dropped connection keeps the action for 重试 and shows the network message', async () => {
  const page = fakePage({ formError: '旧的错误', form: { name: '已填写' } })
  const ok = await attempt(page, 'save', () => Promise.reject(new NetworkError('timeout', '网络不给力，请重试。')))
  expect(ok).toBe(false)
  expect(page.data).toMatchObject({ retryAction: 'save', networkError: '网络不给力，请重试。', formError: '', form: { name: '已填写' } })
})

test('attempt: a refusal places field messages through the map; success clears 重试 and old messages', async () => {
  const page = fakePage()
  await attempt(page, 'save', () => Promise.reject(new ApiError(422, 'invalid', '请检查', { student_number: ['请输入学号。'] })), MAP)
  expect(page.data).toMatchObject({ errors: { studentNumber: '请输入学号。' } })
  const ok = await attempt(page, 'save', () => Promise.resolve())
  expect(ok).toBe(true)
  expect(page.data).toMatchObject({ retryAction: '', errors: {}, formError: '', networkError: '' })
})
