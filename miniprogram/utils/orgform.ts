/**
 * 单位信息 / 学校信息: which fields the step shows for the type's organisation kind, as on the web
 * (quxiang/registrations/rules.py ORG_KIND_FIELDS and the labels of its OrganisationForm). Which are required
 * is only marked here; the server decides, and its messages are shown under the inputs.
 */
import type { Schemas } from './api'

export type OrgField = keyof Schemas['OrganisationIn']
export type Widget = 'text' | 'uscc' | 'code' | 'region' | 'country' | 'date'

export interface FieldSpec {
  name: OrgField
  label: string
  widget: Widget
  required: boolean
  /** input type for the keyboard */
  keyboard?: 'text' | 'number'
}

type Row = [OrgField, string, Widget, boolean, ('number' | undefined)?]

const EMPLOYER: Row[] = [
  ['org_uscc', '统一社会信用代码', 'uscc', true],
  ['org_name', '单位名称', 'text', true],
  ['org_shanghai_reg_no', '单位信息登记号', 'text', false],
  ['org_nature', '单位性质', 'code', true],
  ['org_industry', '单位行业', 'code', true],
  ['org_region', '单位所在地', 'region', true],
  ['org_address', '单位地址', 'text', true],
  ['org_postcode', '邮编', 'text', true, 'number'],
  ['org_contact_name', '联系人', 'text', true],
  ['org_contact_phone', '联系电话', 'text', true, 'number'],
  ['job_category', '工作职位类别', 'code', true],
  ['signed_on', '签约日期', 'date', true],
]

const SCHOOL: Row[] = [
  ['org_uscc', '统一社会信用代码', 'uscc', true],
  ['org_name', '录取学校全称', 'text', true],
  ['org_region', '学校所在地', 'region', true],
  ['org_address', '单位地址', 'text', false],
  ['org_postcode', '邮编', 'text', false, 'number'],
]

function abroad(study: boolean): Row[] {
  return [
    ['abroad_country', '国家（地区）', 'country', true],
    ['org_name', '学校或单位中文名称', 'text', true],
    ['abroad_name_original', '学校或单位外文名称', 'text', true],
    ['programme', study ? '就读专业' : '工作岗位', 'text', true],
    ['programme_original', study ? '专业外文名称' : '岗位外文名称', 'text', false],
    ['signed_on', '录取或签证日期', 'date', false],
  ]
}

/** The step's fields; the date's label is the server's `signed_on_label` when it sends one. */
export function orgFields(orgKind: string, options: { typeKey?: string; signedOnLabel?: string } = {}): FieldSpec[] {
  const rows = orgKind === 'employer' ? EMPLOYER : orgKind === 'school' ? SCHOOL
    : orgKind === 'abroad' ? abroad(options.typeKey === 'abroad_study') : []
  return rows.map(([name, label, widget, required, keyboard]) => ({
    name,
    label: name === 'signed_on' && options.signedOnLabel ? options.signedOnLabel : label,
    widget,
    required,
    keyboard: keyboard ?? 'text',
  }))
}

/** 单位信息, or 学校信息 when the type's organisation is a school. */
export function stepTitle(orgKind: string): string {
  return orgKind === 'school' ? '学校信息' : '单位信息'
}

// --- the region cascade (the API's GB/T 2260 tree, not WeChat's built-in region picker) ----------

export type RegionNode = Schemas['RegionNode']

/** Indexes of the province → city → county path to `code` ([] when it is not in the tree). */
export function regionPath(tree: RegionNode[], code: string | null | undefined): number[] {
  if (!code) return []
  const walk = (nodes: RegionNode[], trail: number[]): number[] | null => {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i]
      if (node.code === code) return [...trail, i]
      const found = walk(node.children, [...trail, i])
      if (found) return found
    }
    return null
  }
  return walk(tree, []) ?? []
}

/** The nodes along a path of indexes (stops where the tree does). */
export function regionNodes(tree: RegionNode[], path: number[]): RegionNode[] {
  const out: RegionNode[] = []
  let level = tree
  for (const index of path) {
    const node = level[index]
    if (!node) break
    out.push(node)
    level = node.children
  }
  return out
}

/** The three picker columns for a path (the first entry of each level where the path is shorter). */
export function regionColumns(tree: RegionNode[], path: number[]): { columns: string[][]; index: number[] } {
  const columns: string[][] = []
  const index: number[] = []
  let level = tree
  for (let depth = 0; depth < 3; depth++) {
    columns.push(level.map((n) => n.name))
    const i = Math.min(path[depth] ?? 0, Math.max(level.length - 1, 0))
    index.push(i)
    level = level[i] ? level[i].children : []
  }
  return { columns, index }
}

/** The region chosen with a path: its deepest node (a county, or a city or county-level unit with none below). */
export function regionChosen(tree: RegionNode[], path: number[]): { code: string; name: string } | null {
  const nodes = regionNodes(tree, path)
  const last = nodes[nodes.length - 1]
  if (!last) return null
  return { code: last.code, name: nodes.map((n) => n.name).join(' ') }
}

/** 中国香港 / 中国澳门 / 中国台湾 first (the server's order otherwise kept). */
export function countriesChinaRegionsFirst(list: Schemas['CountryOut'][]): Schemas['CountryOut'][] {
  return [...list.filter((c) => c.is_china_region), ...list.filter((c) => !c.is_china_region)]
}
