/** 去向管理: what the student can do next with their record, as on the web status page. */
import type { Schemas } from './api'

export type Registration = Schemas['RegistrationOut']

export type ActionKey = 'start' | 'continue' | 'view' | 'withdraw' | 'change' | 'sheet'

export interface Action {
  key: ActionKey
  label: string
}

const LABELS: Record<ActionKey, string> = {
  start: '去向录入',
  continue: '继续填写',
  view: '查看',
  withdraw: '撤回修改',
  change: '申请变更',
  sheet: '下载登记表',
}

function action(key: ActionKey): Action {
  return { key, label: LABELS[key] }
}

export interface NextActions {
  /** the one next action, shown as the primary button */
  primary: Action
  /** what else the record allows, shown as plain buttons below */
  secondary: Action[]
}

export function nextActions(reg: Registration | null): NextActions {
  if (!reg) return { primary: action('start'), secondary: [] }
  switch (reg.status) {
    case 'draft':
    case 'returned':
      return { primary: action('continue'), secondary: [] }
    case 'submitted':
      return { primary: action('view'), secondary: [action('withdraw')] }
    case 'verified':
      return { primary: action('sheet'), secondary: [action('view'), action('change')] }
    default:
      return { primary: action('view'), secondary: [] }
  }
}

/** The line under the status: what the status means for the student. */
export function statusHint(reg: Registration | null): string {
  if (!reg) return '您还没有登记毕业去向。签订就业协议书、劳动合同，收到调档函或境外录取通知后，请及时登记。'
  switch (reg.status) {
    case 'draft':
      return '登记尚未提交，请继续填写并提交。'
    case 'returned':
      return '辅导员已退回，请按退回原因修改后重新提交。'
    case 'submitted':
      return '已提交，等待辅导员鉴证。签订协议书的同学请携带协议书到辅导员处办理鉴证盖章。'
    case 'verified':
      return '已鉴证通过，可下载毕业去向登记表。'
    default:
      return ''
  }
}
