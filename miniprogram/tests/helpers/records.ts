/** Server answers the wizard's page tests share: a RegistrationOut and the reference data, as the API sends them. */
export function registration(extra: Record<string, unknown> = {}) {
  return {
    id: 12, version: 1, status: 'draft', status_display: '草稿', destination_type: null, destination_type_name: null,
    category_code: null, steps: ['type', 'organisation', 'evidence', 'archive', 'review'], done_steps: [],
    next_step: 'type', organisation: {}, archive: {}, evidence: [], signed_on_label: '签约日期',
    submit_guidance: '', notices: [], return_reason: '', submitted_at: null, verified_at: null,
    verification_no: null, changed_from_version: null, events: [], ...extra,
  }
}

function leaf(key: string, name: string, extra: Record<string, unknown> = {}) {
  return {
    key, name, category_code: null, category_name: null, explanation: '', evidence_hint: '', org_kind: 'employer',
    needs_evidence: true, needs_archive: true, ...extra,
  }
}

export const DESTINATION_GROUPS = [
  {
    key: 'dispatch', name: '派遣', explanation: '签订就业协议书的毕业生选择此项。',
    leaves: [
      leaf('dispatch_general', '一般单位录用', { explanation: '与企事业单位签订就业协议书。', evidence_hint: '就业协议书（第一联）扫描件' }),
      leaf('dispatch_military', '部队录用', { evidence_hint: '入伍通知书或与部队单位签订的协议书' }),
    ],
  },
  {
    key: 'study', name: '升学', explanation: '',
    leaves: [leaf('study_master', '研究生', { org_kind: 'school', needs_archive: false, evidence_hint: '调档政审函' })],
  },
  {
    key: 'pending', name: '待就业', explanation: '',
    leaves: [leaf('pending_job', '求职中', { org_kind: 'none', needs_evidence: false, needs_archive: false })],
  },
]
