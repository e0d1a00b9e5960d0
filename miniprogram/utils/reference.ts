/** The code tables a step needs for a type's organisation kind (单位性质, 行业, 职位类别; or the countries). */
import { api, type Schemas } from './api'
import { countriesChinaRegionsFirst } from './orgform'

export type Option = { code: string; name: string }

export async function codeLists(kind: string): Promise<Record<string, Option[]>> {
  if (kind === 'employer') {
    const [natures, industries, jobs] = await Promise.all([
      api.get('/api/v1/reference/org-natures'),
      api.get('/api/v1/reference/industries'),
      api.get('/api/v1/reference/job-categories'),
    ])
    return { org_nature: natures, org_industry: industries, job_category: jobs }
  }
  if (kind === 'abroad') {
    return { abroad_country: countriesChinaRegionsFirst(await api.get('/api/v1/reference/countries')) }
  }
  return {}
}

export type Leaf = Schemas['DestinationLeafOut']
export type Registration = Schemas['RegistrationOut']

function findLeaf(groups: Array<Schemas['DestinationGroupOut']>, key: string | null): Leaf | null {
  for (const g of groups) for (const l of g.leaves) if (l.key === key) return l
  return null
}

/** The destination type's leaf (org_kind, evidence hint…) by key, or null. */
export async function destinationLeaf(key: string | null): Promise<Leaf | null> {
  return findLeaf(await api.get('/api/v1/reference/destination-types'), key)
}

/** What a wizard step loads first: the record, the type tree and the record's own type (leaf). */
export async function loadStep(): Promise<{ reg: Registration; groups: Array<Schemas['DestinationGroupOut']>; leaf: Leaf | null }> {
  const [reg, groups] = await Promise.all([
    api.get('/api/v1/registration'),
    api.get('/api/v1/reference/destination-types'),
  ])
  return { reg, groups, leaf: findLeaf(groups, reg.destination_type ?? null) }
}
