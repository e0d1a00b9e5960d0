/**
 * 审核结果通知: after 提交 the student is asked once for the subscribe message the server sends when the
 * counselor verifies or returns the record. Asking is a courtesy: a refusal, a failure, or a template id
 * not set yet (config.ts) never changes what the submit did.
 */
import { config } from '../config'

export type SubscribeOutcome = 'accepted' | 'rejected' | 'skipped' | 'failed'

export function requestReviewSubscription(): Promise<SubscribeOutcome> {
  const templateId = config.subscribeTemplateId
  if (!templateId || typeof wx.requestSubscribeMessage !== 'function') return Promise.resolve('skipped')
  return new Promise<SubscribeOutcome>((resolve) => {
    try {
      wx.requestSubscribeMessage({
        tmplIds: [templateId],
        success: (res) => resolve((res as unknown as Record<string, string>)[templateId] === 'accept' ? 'accepted' : 'rejected'),
        fail: () => resolve('failed'),
      })
    } catch {
      resolve('failed')
    }
  })
}
