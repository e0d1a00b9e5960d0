// 去向类型: the two-level choice (一级去向, then the type) with the manual's explanation and the evidence
// each type needs. Changing the type clears what no longer applies; the server lists that in `notices`.
import { api, type Schemas } from '../../utils/api'
import { attempt, clearFeedback, explain, showFeedback } from '../../utils/feedback'
import { loadStep } from '../../utils/reference'
import { goToStep, stepLabel } from '../../utils/routes'

type Group = Schemas['DestinationGroupOut']
type Leaf = Schemas['DestinationLeafOut']

function tell(title: string, content: string): Promise<void> {
  return new Promise((resolve) => {
    wx.showModal({ title, content, showCancel: false, success: () => resolve(), fail: () => resolve() })
  })
}

Component({
  data: {
    loaded: false,
    stepLabel: '',
    groups: [] as Group[],
    groupIndex: -1,
    leaves: [] as Leaf[],
    selected: '',
    leaf: null as Leaf | null,
    notices: [] as string[],
    busy: false,
    retryAction: '' as '' | 'load' | 'save',
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
        const { reg, groups } = await loadStep()
        this.setData({ groups, loaded: true, stepLabel: stepLabel(reg.steps, 'type') })
        if (reg.destination_type) this.pick(reg.destination_type)
      })
    },

    /** Select a type by key, opening its group. */
    pick(key: string): void {
      const groupIndex = this.data.groups.findIndex((g) => g.leaves.some((l) => l.key === key))
      if (groupIndex < 0) return
      const leaves = this.data.groups[groupIndex].leaves
      this.setData({ groupIndex, leaves, selected: key, leaf: leaves.find((l) => l.key === key) ?? null })
    },

    onGroup(e: WechatMiniprogram.BaseEvent): void {
      const groupIndex = Number(e.currentTarget.dataset.index)
      const group = this.data.groups[groupIndex]
      if (!group) return
      // A group with one type (e.g. 待就业) needs no second tap.
      if (group.leaves.length === 1) {
        this.pick(group.leaves[0].key)
      } else if (groupIndex !== this.data.groupIndex) {
        this.setData({ groupIndex, leaves: group.leaves, selected: '', leaf: null })
      }
      this.setData({ 'errors.destinationType': '' })
    },

    onLeaf(e: WechatMiniprogram.BaseEvent): void {
      this.pick(String(e.currentTarget.dataset.key))
      this.setData({ 'errors.destinationType': '' })
    },

    onRetry(): void {
      if (this.data.retryAction === 'save') void this.onSubmit()
      else void this.load()
    },

    async onSubmit(): Promise<void> {
      if (this.data.busy) return
      if (!this.data.selected) {
        this.setData({ errors: { destinationType: '请选择去向类型。' }, formError: '' })
        return
      }
      clearFeedback(this)
      this.setData({ busy: true, retryAction: 'save' })
      try {
        const reg = await api.put('/api/v1/registration/type', { body: { destination_type: this.data.selected } })
        this.setData({ notices: reg.notices, retryAction: '' })
        // What the change cleared is said before moving on, so nothing disappears silently.
        if (reg.notices.length) await tell('更换去向类型', reg.notices.join('\n'))
        goToStep(reg.next_step)
      } catch (err) {
        showFeedback(this, explain(err, { destination_type: 'destinationType' }))
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})
