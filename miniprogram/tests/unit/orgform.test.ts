import { countriesChinaRegionsFirst, orgFields, regionChosen, regionColumns, regionPath, stepTitle } from '../../utils/orgform'
import { stepLabel, stepRoute } from '../../utils/routes'

const TREE = [
  { code: '110000', name: '北京市', children: [{ code: '110101', name: '东城区', children: [] }] },
  { code: '440000', name: '广东省', children: [{ code: '441900', name: '东莞市', children: [] }] },
]

test('the fields follow the organisation kind of rules.py', () => {
  expect(orgFields('employer').map((f) => f.name)).toEqual([
    'org_uscc', 'org_name', 'org_shanghai_reg_no', 'org_nature', 'org_industry', 'org_region', 'org_address',
    'org_postcode', 'org_contact_name', 'org_contact_phone', 'job_category', 'signed_on',
  ])
  expect(orgFields('school').filter((f) => f.required).map((f) => f.name)).toEqual(['org_uscc', 'org_name', 'org_region'])
  expect(orgFields('abroad', { typeKey: 'abroad_work' }).find((f) => f.name === 'programme')?.label).toBe('工作岗位')
  expect(orgFields('none')).toEqual([])
  expect(orgFields('employer', { signedOnLabel: '签约日期（协议书落款）' }).pop()?.label).toBe('签约日期（协议书落款）')
  expect(stepTitle('school')).toBe('学校信息')
})

test('a municipality’s district and a city without counties are both choosable', () => {
  expect(regionPath(TREE, '110101')).toEqual([0, 0])
  expect(regionChosen(TREE, [0, 0])).toEqual({ code: '110101', name: '北京市 东城区' })
  expect(regionChosen(TREE, [1, 0, 0])).toEqual({ code: '441900', name: '广东省 东莞市' })
  expect(regionColumns(TREE, [1])).toEqual({ columns: [['北京市', '广东省'], ['东莞市'], []], index: [1, 0, 0] })
  expect(regionPath(TREE, '999999')).toEqual([])
})

test('中国香港 / 中国澳门 / 中国台湾 come first, the rest in the server’s order', () => {
  const list = [
    { code: 'AUS', name: '澳大利亚', is_china_region: false },
    { code: 'HKG', name: '中国香港', is_china_region: true },
    { code: 'JPN', name: '日本', is_china_region: false },
  ]
  expect(countriesChinaRegionsFirst(list).map((c) => c.code)).toEqual(['HKG', 'AUS', 'JPN'])
})

test('each step the server names has its page; anything else starts at 去向类型', () => {
  expect(stepRoute('archive')).toBe('/pages/archive/index')
  expect(stepRoute('review')).toBe('/pages/review/index')
  expect(stepRoute('nonsense')).toBe('/pages/type/index')
  expect(stepRoute(null)).toBe('/pages/type/index')
})

test('the step label counts the record’s own steps', () => {
  expect(stepLabel(['type', 'organisation', 'evidence', 'archive', 'review'], 'evidence')).toBe('第 3 步 / 共 5 步 · 佐证材料')
  expect(stepLabel(['type', 'organisation', 'evidence', 'review'], 'review')).toBe('第 4 步 / 共 4 步 · 确认提交')
  expect(stepLabel(['type', 'review'], 'archive')).toBe('')
})
