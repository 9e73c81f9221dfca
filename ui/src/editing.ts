/**
 * The editor's pure parts: its form, the 附件 lines and their files, and a problem's
 * suggestion put into its field. Kept out of EditorView so they are unit-tested.
 */
import type { Attachment } from './bindings/Attachment'
import type { Document } from './bindings/Document'
import { lines } from './format'

/** The editor's copy of the document, shaped for input controls: one-per-line lists
 *  stay as the clerk's text so typing a newline is never undone. */
export interface Form {
  kind: Document['kind']
  direction: Document['direction']
  copy_number: string
  classification: Document['classification']
  secrecy_term: string
  urgency: Document['urgency']
  issuer_mark: string
  doc_number: string
  signers: string[]
  title: string
  main_recipients: string[]
  body: string
  attachments: string
  issuer_signature: string
  date_of_issue: string
  sealed: boolean
  note: string
  cc_recipients: string[]
  printing_office: string
  printing_date: string
  template: string
}
export type FieldKey = keyof Form

/** The 附件 field's text: one attachment name a line. */
export function attachmentLines(attachments: Attachment[]): string {
  return attachments.map((a) => a.name).join('\n')
}

/** A stored document as the editor's form. */
export function toForm(d: Document): Form {
  return {
    ...d,
    issuer_mark: d.issuer_mark.join('\n'),
    attachments: attachmentLines(d.attachments),
    issuer_signature: d.issuer_signature.join('\n'),
    signers: [...d.signers],
    main_recipients: [...d.main_recipients],
    cc_recipients: [...d.cc_recipients],
  }
}

/** The form as a document to save, validate or typeset. Attachment file data (hash, file
 *  name) is not edited in the form: `files` are the attachments as last stored, and each
 *  line keeps its file (see `withFiles`). */
export function toDocument(f: Form, files: Attachment[]): Document {
  return {
    ...f,
    issuer_mark: lines(f.issuer_mark),
    issuer_signature: lines(f.issuer_signature),
    attachments: withFiles(lines(f.attachments), files),
  }
}

/** The 附件 lines with their files: a line keeps the file of the attachment of the same
 *  name; a renamed line (no such name) keeps the file that was on its line before, so
 *  editing a 附件名称 never silently drops the file. A file whose line was cleared or
 *  deleted stays too, after the lines under its name: a file leaves only through its own
 *  移除 button (which takes it out of `before`). */
export function withFiles(names: string[], before: Attachment[]): Attachment[] {
  const taken = new Set<Attachment>()
  const byName = names.map((name) => {
    const same = before.find((a) => a.name === name && !taken.has(a))
    if (same) taken.add(same)
    return same
  })
  const out = names.map((name, i) => {
    let file = byName[i]
    const inPlace = before[i]
    if (!file && inPlace && !taken.has(inPlace) && !names.includes(inPlace.name)) {
      file = inPlace
      taken.add(inPlace)
    }
    return { ...file, name }
  })
  for (const a of before) if (a.sha256 && !taken.has(a)) out.push({ ...a })
  return out
}

/** Puts a problem's suggestion into the field it belongs to (only the fields in
 *  `fixable`); for 附件 it replaces the one line the suggestion corrects. */
export function applySuggestion(f: Form, key: FieldKey, suggestion: string): void {
  switch (key) {
    case 'copy_number':
    case 'doc_number':
    case 'date_of_issue':
    case 'printing_date':
      f[key] = suggestion
      break
    case 'attachments': {
      // The suggestion is an attachment name without its final punctuation.
      const all = f.attachments.split('\n')
      const i = all.findIndex((l) => l.trim() !== suggestion && l.trim().replace(/[。，；：.,;]+$/u, '') === suggestion)
      if (i >= 0) all[i] = suggestion
      f.attachments = all.join('\n')
      break
    }
  }
}
