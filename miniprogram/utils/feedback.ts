/**
 * Turning a failed call into what the page shows: the server's field messages under the inputs, a toast
 * (and a banner, which a screen reader can reach) for the rest, and a 重试 offer when there was no answer.
 */
import { ApiError, NetworkError } from './api'

export interface Feedback {
  /** page input name → message shown under it */
  fieldErrors: Record<string, string>
  /** what could not be placed under an input; shown as a banner and a toast */
  formError: string
  /** set when the server was not reached: the page keeps the input and shows 重试 */
  networkError: string
}

/** serverField → page input, e.g. {student_number: 'studentNumber'}; a list means the same names. */
export type FieldMap = Record<string, string> | string[]

export function explain(err: unknown, fieldMap: FieldMap = {}): Feedback {
  const feedback: Feedback = { fieldErrors: {}, formError: '', networkError: '' }
  if (err instanceof NetworkError) {
    feedback.networkError = err.message
    return feedback
  }
  if (!(err instanceof ApiError)) {
    feedback.formError = '出了点问题，请稍后再试。'
    return feedback
  }
  if (err.redirected) return feedback
  let map: Record<string, string> = {}
  if (Array.isArray(fieldMap)) fieldMap.forEach((name) => (map[name] = name))
  else map = fieldMap
  const rest: string[] = []
  for (const [name, messages] of Object.entries(err.fields)) {
    const input = map[name]
    if (input) {
      const previous = feedback.fieldErrors[input]
      feedback.fieldErrors[input] = previous ? `${previous}；${messages.join('；')}` : messages.join('；')
    } else {
      rest.push(...messages)
    }
  }
  const placed = Object.keys(feedback.fieldErrors).length > 0
  if (!placed) feedback.formError = err.message
  else if (rest.length) feedback.formError = rest.join('；')
  return feedback
}

interface PageLike {
  setData(data: Record<string, unknown>): void
}

/** Writes feedback into the page's data (errors, formError, networkError) and toasts the form error. */
export function showFeedback(page: PageLike, feedback: Feedback): void {
  page.setData({
    errors: feedback.fieldErrors,
    formError: feedback.formError,
    networkError: feedback.networkError,
  })
  if (feedback.formError) {
    toast(feedback.formError)
  }
}

export function clearFeedback(page: PageLike): void {
  page.setData({ errors: {}, formError: '', networkError: '' })
}

/** A short message over the page (icon none shows up to two lines of text). */
export function toast(title: string, icon: 'none' | 'success' = 'none'): void {
  wx.showToast({ title, icon, duration: icon === 'none' ? 3000 : 1500, fail: () => undefined })
}

/**
 * Runs one page action the same way everywhere: the old feedback goes, the action is remembered for
 * 重试 while it runs, and a failure is shown on the page (the input stays). Returns whether it worked.
 */
export async function attempt(
  page: PageLike, action: string, work: () => Promise<void>, fieldMap: FieldMap = {},
): Promise<boolean> {
  clearFeedback(page)
  page.setData({ retryAction: action })
  try {
    await work()
    page.setData({ retryAction: '' })
    return true
  } catch (err) {
    showFeedback(page, explain(err, fieldMap))
    return false
  }
}
