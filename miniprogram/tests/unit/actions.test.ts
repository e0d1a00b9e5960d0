import { nextActions, type Registration } from '../../utils/actions'

const reg = (status: string) => ({ id: 1, status }) as unknown as Registration

test.each([
  [null, '去向录入', []],
  ['draft', '继续填写', []],
  ['returned', '继续填写', []],
  ['submitted', '查看', ['撤回修改']],
  ['verified', '下载登记表', ['查看', '申请变更']],
])('record %s → the one next action %s', (status, primary, secondary) => {
  const actions = nextActions(status ? reg(status) : null)
  expect(actions.primary.label).toBe(primary)
  expect(actions.secondary.map((a) => a.label)).toEqual(secondary)
})
