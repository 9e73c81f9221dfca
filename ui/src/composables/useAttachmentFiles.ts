/**
 * The files behind the 附件 lines. The 附件 field is text (one name a line); the file data
 * (hash, file name, size) is not edited there and stays with its line (`withFiles`).
 * 添加附件文件 saves what is typed, then the shell asks for a file and stores it as a new
 * version of the draft; the field then lists the file's name.
 */
import { computed, ref, type Ref } from 'vue'
import { useMessage } from 'naive-ui'
import { api, errorText, type Document, type SaveResult } from '../api'
import type { Attachment } from '../bindings/Attachment'
import { attachmentLines, type Form } from '../editing'

/** The attachments that carry a file, in the field's order. */
export function filesOf(doc: Document | null): Attachment[] {
  return doc ? doc.attachments.filter((a) => !!a.sha256) : []
}

/** The name of the attachment a file was just added as (the shell appends it). */
export function addedName(doc: Document): string {
  return doc.attachments[doc.attachments.length - 1]?.name ?? ''
}

export function useAttachmentFiles(options: {
  id: () => string
  form: Ref<Form | null>
  /** The draft as it stands now (its lines with their files); null before it is loaded. */
  current: () => Document | null
  /** Saves what is typed before the file is added. */
  flush: () => Promise<void>
  /** The store holds a new version with the file: the editor takes it in. */
  onStored: (result: SaveResult) => void
}) {
  const message = useMessage()
  /** The attachments as last stored, with their file data. */
  const stored = ref<Attachment[]>([])
  const files = computed(() => filesOf(options.current()))
  const attaching = ref(false)

  async function addFile() {
    if (!options.form.value) return
    attaching.value = true
    try {
      await options.flush()
      const result = await api.attachFile(options.id())
      if (!result || !options.form.value) return
      const doc = result.stored.document
      stored.value = doc.attachments
      options.form.value.attachments = attachmentLines(doc.attachments)
      options.onStored(result)
      message.success(`已添加附件“${addedName(doc)}”`)
    } catch (e) {
      message.error(`添加附件失败：${errorText(e)}`)
    } finally {
      attaching.value = false
    }
  }

  /** The file just removed, for 撤销: the attachments and the 附件 text as they were. */
  const removed = ref<{ name: string; attachments: Attachment[]; text: string } | null>(null)

  /** 移除 (after the clerk confirmed): the file and its 附件 line leave the draft; the
   *  next autosave stores that. The file's bytes stay in the store, so 撤销 can put it
   *  back as it was. */
  function removeFile(file: Attachment) {
    const form = options.form.value
    const doc = options.current()
    if (!form || !doc) return
    const left = doc.attachments.filter((a) => a.sha256 !== file.sha256)
    removed.value = { name: file.name, attachments: doc.attachments, text: form.attachments }
    // Every line as it stands, so the others keep their files by name (see `withFiles`).
    stored.value = left
    form.attachments = attachmentLines(left)
  }

  function undoRemove() {
    const form = options.form.value
    const was = removed.value
    if (!form || !was) return
    stored.value = was.attachments
    form.attachments = was.text
    removed.value = null
  }

  return { stored, files, attaching, addFile, removed, removeFile, undoRemove }
}
