// 单位信息 / 学校信息: the fields of the type's organisation kind, 检索匹配 by USCC from the unit library, the
// region cascade from the API's GB/T 2260 tree, the country list (中国香港/澳门/台湾 first). The server checks it all.
import { api, ApiError, type Schemas } from '../../utils/api'
import { attempt, clearFeedback, explain, showFeedback, toast } from '../../utils/feedback'
import {
  type FieldSpec, orgFields, type RegionNode, regionChosen, regionColumns, regionPath,
  stepTitle,
} from '../../utils/orgform'
import { codeLists, loadStep, type Option } from '../../utils/reference'
import { goToStep, skipToStep, stepLabel } from '../../utils/routes'

type Form = Record<string, string>

// What 检索匹配 fills: OrganisationOut's names → the step's fields.
const PREFILL: Array<[keyof Schemas['OrganisationOut'], string]> = [
  ['uscc', 'org_uscc'], ['name', 'org_name'], ['nature', 'org_nature'], ['industry', 'org_industry'],
  ['region', 'org_region'], ['address', 'org_address'], ['postcode', 'org_postcode'],
  ['contact_name', 'org_contact_name'], ['contact_phone', 'org_contact_phone'], ['shanghai_reg_no', 'org_shanghai_reg_no'],
]

// The tree stays outside setData: it is large, and only the three columns are rendered.
let regionTree: RegionNode[] = []

// Typed outside Component(): inside, `{} as X` reads as an unnecessary assertion to the linter.
const form: Form = {}
const options: Record<string, Option[]> = {}
const optionNames: Record<string, string[]> = {}
const optionIndex: Record<string, number> = {}
const display: Record<string, string> = {}

Component({
  data: {
    loaded: false,
    stepLabel: '',
    title: '单位信息',
    fields: [] as FieldSpec[],
    form,
    options,
    optionNames,
    optionIndex,
    display,
    regionColumns: [[], [], []] as string[][],
    regionIndex: [0, 0, 0] as number[],
    matchHint: '',
    notices: [] as string[],
    busy: '' as '' | 'save' | 'match',
    retryAction: '' as '' | 'load' | 'save' | 'match',
    errors: {},
    formError: '',
    networkError: '',
  },
  methods: {
    onLoad(): void {
      void this.load()
    },

    async load(): Promise<void> {
      await attempt(this, 'load', async () => {
        const { reg, leaf } = await loadStep()
        const kind = leaf ? leaf.org_kind : 'none'
        const fields = orgFields(kind, { typeKey: leaf?.key, signedOnLabel: reg.signed_on_label })
        if (!fields.length) {
          skipToStep(reg.next_step)
          return
        }
        const needsRegions = fields.some((f) => f.widget === 'region')
        const [options, tree] = await Promise.all([
          codeLists(kind),
          needsRegions ? api.get('/api/v1/reference/regions') : Promise.resolve([] as RegionNode[]),
        ])
        regionTree = tree
        const saved = reg.organisation as Record<string, string | null | undefined>
        // A retry after a failed load keeps what was typed meanwhile (nothing is typed before the first load).
        const form: Form = {}
        for (const f of fields) form[f.name] = this.data.form[f.name] ?? saved[f.name] ?? ''
        const optionNames: Record<string, string[]> = {}
        for (const [name, list] of Object.entries(options)) optionNames[name] = list.map((o) => o.name)
        this.setData({
          loaded: true, fields, options, optionNames, title: stepTitle(kind),
          stepLabel: stepLabel(reg.steps, 'organisation'),
        })
        if (typeof wx.setNavigationBarTitle === 'function') {
          wx.setNavigationBarTitle({ title: stepTitle(kind), fail: () => undefined })
        }
        this.fill(form)
      })
    },

    /** Put values into the form and the pickers' display names. */
    fill(values: Form): void {
      const form = { ...this.data.form, ...values }
      const display: Record<string, string> = { ...this.data.display }
      const optionIndex: Record<string, number> = { ...this.data.optionIndex }
      for (const [name, list] of Object.entries(this.data.options)) {
        const i = list.findIndex((o) => o.code === form[name])
        optionIndex[name] = Math.max(i, 0)
        display[name] = i >= 0 ? list[i].name : ''
      }
      const path = regionPath(regionTree, form.org_region)
      const chosen = path.length ? regionChosen(regionTree, path) : null
      display.org_region = chosen ? chosen.name : ''
      const { columns, index } = regionColumns(regionTree, path)
      this.setData({ form, display, optionIndex, regionColumns: columns, regionIndex: index })
    },

    onInput(e: WechatMiniprogram.Input): void {
      const field = String(e.currentTarget.dataset.field)
      this.setData({ [`form.${field}`]: e.detail.value, [`errors.${field}`]: '' })
    },

    onPick(e: WechatMiniprogram.PickerChange): void {
      const field = String(e.currentTarget.dataset.field)
      const option = (this.data.options[field] ?? [])[Number(e.detail.value)]
      if (!option) return
      this.setData({ [`errors.${field}`]: '' })
      this.fill({ [field]: option.code })
    },

    onDate(e: WechatMiniprogram.PickerChange): void {
      this.setData({ 'form.signed_on': String(e.detail.value), 'errors.signed_on': '' })
    },

    /** A column moved: the columns below follow it (province → its cities → their counties). */
    onRegionColumn(e: WechatMiniprogram.CustomEvent<{ column: number; value: number }>): void {
      const path = this.data.regionIndex.slice(0, e.detail.column)
      path.push(e.detail.value)
      const { columns, index } = regionColumns(regionTree, path)
      this.setData({ regionColumns: columns, regionIndex: index })
    },

    onRegion(e: WechatMiniprogram.CustomEvent<{ value: number[] }>): void {
      const chosen = regionChosen(regionTree, e.detail.value.map(Number))
      if (!chosen) return
      this.setData({ 'errors.org_region': '' })
      this.fill({ org_region: chosen.code })
    },

    onRetry(): void {
      const action = this.data.retryAction
      if (action === 'save') void this.onSubmit()
      else if (action === 'match') void this.onMatch()
      else void this.load()
    },

    /** 检索匹配: the unit library's record for this USCC fills the fields this step shows. */
    async onMatch(): Promise<void> {
      if (this.data.busy) return
      const uscc = (this.data.form.org_uscc ?? '').trim()
      if (!uscc) {
        this.setData({ 'errors.org_uscc': '请先输入统一社会信用代码。' })
        return
      }
      clearFeedback(this)
      this.setData({ busy: 'match', retryAction: 'match', matchHint: '', notices: [] })
      try {
        const found = await api.get('/api/v1/organisations/{uscc}', { path: { uscc } })
        const shown = new Set(this.data.fields.map((f) => f.name as string))
        const values: Form = {}
        for (const [from, to] of PREFILL) {
          const value = found[from]
          if (shown.has(to) && value) values[to] = String(value)
        }
        this.fill(values)
        this.setData({ notices: found.notices, matchHint: '已按单位库填入，请核对。', retryAction: '' })
      } catch (err) {
        this.setData({ retryAction: '' })
        if (err instanceof ApiError && err.code === 'not_found') {
          // Not an error: the unit is new to the library, so the student types it from the agreement.
          this.setData({ matchHint: err.message })
          return
        }
        if (!(err instanceof ApiError)) this.setData({ retryAction: 'match' })
        showFeedback(this, explain(err, { uscc: 'org_uscc' }))
      } finally {
        this.setData({ busy: '' })
      }
    },

    async onSubmit(): Promise<void> {
      if (this.data.busy) return
      clearFeedback(this)
      this.setData({ busy: 'save', retryAction: 'save' })
      const body: Record<string, string | null> = {}
      for (const f of this.data.fields) {
        const value = (this.data.form[f.name] ?? '').trim()
        body[f.name] = value === '' ? null : value
      }
      try {
        const reg = await api.put('/api/v1/registration/organisation', { body })
        this.setData({ retryAction: '' })
        toast('已保存', 'success')
        goToStep(reg.next_step)
      } catch (err) {
        showFeedback(this, explain(err, this.data.fields.map((f) => f.name as string)))
      } finally {
        this.setData({ busy: '' })
      }
    },
  },
})
