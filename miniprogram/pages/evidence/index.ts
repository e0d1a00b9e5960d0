// 佐证材料: a file from a chat (wx.chooseMessageFile, where students receive PDFs) or the camera / album
// (wx.chooseMedia), uploaded one at a time with a progress bar, listed with remove. The server checks the
// file (type, size, at most 3) and its message is shown as it is.
import { api, ApiError, idempotentAction, type Schemas, uploadEvidence } from '../../utils/api'
import { attempt, clearFeedback, explain, showFeedback, toast } from '../../utils/feedback'
import { loadStep } from '../../utils/reference'
import { goToStep, stepLabel } from '../../utils/routes'

type Evidence = Schemas['EvidenceOut']

/** The file being uploaded: its 重试 sends the same Idempotency-Key, so the server keeps one copy. */
let pending: { name: string; send: () => Promise<Evidence> } | null = null
/** The running upload, aborted when the student leaves the page (the server keeps no half file). */
let task: WechatMiniprogram.UploadTask | null = null

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`
}

function chosenFile(source: 'chat' | 'camera'): Promise<{ path: string; name: string } | null> {
  return new Promise((resolve) => {
    // Cancelling the picker is not an error: nothing happens.
    if (source === 'chat') {
      wx.chooseMessageFile({
        count: 1,
        type: 'file',
        extension: ['pdf', 'jpg', 'jpeg', 'png'],
        success: (res) => resolve({ path: res.tempFiles[0].path, name: res.tempFiles[0].name }),
        fail: () => resolve(null),
      })
    } else {
      wx.chooseMedia({
        count: 1,
        mediaType: ['image'],
        sourceType: ['album', 'camera'],
        success: (res) => resolve({ path: res.tempFiles[0].tempFilePath, name: '照片' }),
        fail: () => resolve(null),
      })
    }
  })
}

function confirm(title: string, content: string): Promise<boolean> {
  return new Promise((resolve) => {
    wx.showModal({ title, content, success: (res) => resolve(res.confirm), fail: () => resolve(false) })
  })
}

Component({
  data: {
    loaded: false,
    stepLabel: '',
    files: [] as Array<Evidence & { sizeText: string }>,
    evidenceHint: '',
    uploading: '',
    progress: 0,
    busy: false,
    retryAction: '' as '' | 'load' | 'upload' | 'next',
    errors: {},
    formError: '',
    networkError: '',
  },
  methods: {
    onLoad(): void {
      pending = null
      void this.load()
    },

    onUnload(): void {
      if (task) task.abort()
      task = null
      pending = null
    },

    async load(): Promise<void> {
      await attempt(this, 'load', async () => {
        const { reg, leaf } = await loadStep()
        this.setData({ loaded: true, evidenceHint: leaf?.evidence_hint ?? '', stepLabel: stepLabel(reg.steps, 'evidence') })
        this.list(reg.evidence)
      })
    },

    list(files: Evidence[]): void {
      this.setData({ files: files.map((f) => ({ ...f, sizeText: sizeText(f.size) })) })
    },

    onChoose(e: WechatMiniprogram.BaseEvent): void {
      void this.choose(e.currentTarget.dataset.source === 'camera' ? 'camera' : 'chat')
    },

    async choose(source: 'chat' | 'camera'): Promise<void> {
      if (this.data.busy) return
      const file = await chosenFile(source)
      if (!file) return
      const send = idempotentAction((key) =>
        uploadEvidence({
          filePath: file.path,
          idempotencyKey: key,
          onProgress: (percent) => this.setData({ progress: percent }),
          onTask: (t) => (task = t),
        }),
      )
      pending = { name: file.name, send }
      await this.upload()
    },

    async upload(): Promise<void> {
      if (!pending || this.data.busy) return
      const current = pending
      clearFeedback(this)
      this.setData({ busy: true, uploading: current.name, progress: 0, retryAction: 'upload' })
      try {
        const added = await current.send()
        pending = null
        this.setData({ retryAction: '' })
        this.list([...this.data.files, added])
        toast('已上传', 'success')
      } catch (err) {
        // A refusal (wrong type, too large, a fourth file) ends this file; only no answer keeps it for 重试.
        if (err instanceof ApiError) pending = null
        showFeedback(this, explain(err, { file: 'file' }))
      } finally {
        task = null
        this.setData({ busy: false, uploading: '' })
      }
    },

    async onRemove(e: WechatMiniprogram.BaseEvent): Promise<void> {
      if (this.data.busy) return
      const id = Number(e.currentTarget.dataset.id)
      const file = this.data.files.find((f) => f.id === id)
      if (!file || !(await confirm('删除佐证材料', `确定删除「${file.name}」吗？`))) return
      clearFeedback(this)
      this.setData({ busy: true })
      try {
        await api.delete('/api/v1/registration/evidence/{evidence_id}', { path: { evidence_id: id } })
        this.list(this.data.files.filter((f) => f.id !== id))
      } catch (err) {
        showFeedback(this, explain(err))
      } finally {
        this.setData({ busy: false })
      }
    },

    onRetry(): void {
      const action = this.data.retryAction
      if (action === 'upload') void this.upload()
      else if (action === 'next') void this.onNext()
      else void this.load()
    },

    /** 下一步: where the server says the record stands (still here while the evidence it needs is missing). */
    async onNext(): Promise<void> {
      if (this.data.busy) return
      clearFeedback(this)
      this.setData({ busy: true, retryAction: 'next' })
      try {
        const reg = await api.get('/api/v1/registration')
        this.setData({ retryAction: '' })
        if (reg.next_step === 'evidence') {
          this.setData({ errors: { file: '请先上传佐证材料。' } })
          return
        }
        goToStep(reg.next_step)
      } catch (err) {
        showFeedback(this, explain(err))
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})
