import { config } from '../../config'
import { requestReviewSubscription } from '../../utils/subscribe'
import { type FakeWx, installFakeWx } from '../helpers/fake-wx'

let wxf: FakeWx

beforeEach(() => {
  wxf = installFakeWx()
  config.subscribeTemplateId = 'tmpl-1'
})

afterAll(() => {
  config.subscribeTemplateId = ''
})

test('accepted and rejected come from the answer for our template', async () => {
  wxf.subscribeAnswer = { 'tmpl-1': 'accept' }
  await expect(requestReviewSubscription()).resolves.toBe('accepted')
  expect(wxf.requestSubscribeMessage.mock.calls[0][0].tmplIds).toEqual(['tmpl-1'])
  wxf.subscribeAnswer = { 'tmpl-1': 'reject' }
  await expect(requestReviewSubscription()).resolves.toBe('rejected')
  wxf.subscribeAnswer = { 'tmpl-1': 'ban' }
  await expect(requestReviewSubscription()).resolves.toBe('rejected')
})

test('a failure or a throw resolves to failed, never rejects', async () => {
  wxf.subscribeAnswer = { fail: 'requestSubscribeMessage:fail' }
  await expect(requestReviewSubscription()).resolves.toBe('failed')
  wxf.requestSubscribeMessage.mockImplementation(() => {
    throw new Error('not supported')
  })
  await expect(requestReviewSubscription()).resolves.toBe('failed')
})

test('the empty placeholder: skipped, WeChat never asked', async () => {
  config.subscribeTemplateId = ''
  await expect(requestReviewSubscription()).resolves.toBe('skipped')
  expect(wxf.requestSubscribeMessage).not.toHaveBeenCalled()
})
