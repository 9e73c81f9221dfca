import { describe, expect, it } from 'vitest'
import type { Attachment } from './bindings/Attachment'
import type { Document } from './bindings/Document'
import { applySuggestion, attachmentLines, toDocument, toForm, withFiles, type Form } from './editing'

const file = (name: string, sha: string): Attachment => ({
  name,
  sha256: sha.repeat(64),
  file_name: `${name}.xlsx`,
  size: 812,
})

describe('withFiles', () => {
  const before = [file('防汛责任人名单', 'a'), file('物资清单', 'b')]

  it('keeps each line with the file of the same name', () => {
    const after = withFiles(['物资清单', '防汛责任人名单'], before)
    expect(after.map((a) => a.sha256)).toEqual(['b'.repeat(64), 'a'.repeat(64)])
  })

  it('keeps the file of a renamed line', () => {
    const after = withFiles(['防汛责任人名单（修订）', '物资清单'], before)
    expect(after[0]).toEqual({ ...before[0], name: '防汛责任人名单（修订）' })
    expect(after[1]?.sha256).toBe('b'.repeat(64))
  })

  it('keeps the file of a deleted line under its name, after a new line without a file', () => {
    const after = withFiles(['物资清单', '联系人名单'], before)
    expect(after[0]?.sha256).toBe('b'.repeat(64))
    expect(after[1]).toEqual({ name: '联系人名单' })
    expect(after[2]).toEqual(before[0])
  })

  it('keeps every file when the 附件 field is cleared', () => {
    expect(withFiles([], before)).toEqual(before)
  })

  it('lets a file go once it is no longer among the stored ones (its 移除 button)', () => {
    const left = [file('物资清单', 'b')]
    expect(withFiles(['物资清单'], left)).toEqual(left)
  })

  it('gives each file to one line only', () => {
    const after = withFiles(['物资清单', '物资清单'], before)
    expect(after[0]?.sha256).toBe('b'.repeat(64))
    expect(after[1]?.sha256).toBeUndefined()
  })
})

function form(overrides: Partial<Form> = {}): Form {
  return {
    kind: 'notice',
    direction: 'downward',
    copy_number: '',
    classification: 'unclassified',
    secrecy_term: '',
    urgency: 'normal',
    issuer_mark: '',
    doc_number: '宿政[2026]012号',
    signers: [],
    title: '',
    main_recipients: [],
    body: '',
    attachments: '',
    issuer_signature: '',
    date_of_issue: '2026年11月05日',
    sealed: false,
    note: '',
    cc_recipients: [],
    printing_office: '',
    printing_date: '',
    template: '',
    ...overrides,
  }
}

describe('applySuggestion', () => {
  it('replaces a field with its suggestion', () => {
    const f = form()
    applySuggestion(f, 'doc_number', '宿政〔2026〕12号')
    applySuggestion(f, 'date_of_issue', '2026年11月5日')
    expect(f.doc_number).toBe('宿政〔2026〕12号')
    expect(f.date_of_issue).toBe('2026年11月5日')
  })

  it('fixes only the 附件 line the suggestion corrects', () => {
    const f = form({ attachments: '防汛责任人名单。\n物资清单' })
    applySuggestion(f, 'attachments', '防汛责任人名单')
    expect(f.attachments).toBe('防汛责任人名单\n物资清单')
  })

  it('leaves 附件 alone when no line matches', () => {
    const f = form({ attachments: '物资清单' })
    applySuggestion(f, 'attachments', '防汛责任人名单')
    expect(f.attachments).toBe('物资清单')
  })

  it('changes nothing for a field that takes no suggestion', () => {
    const f = form({ title: '关于防汛的通知' })
    applySuggestion(f, 'title', '别的标题')
    expect(f.title).toBe('关于防汛的通知')
  })
})

describe('toForm and toDocument', () => {
  const stored: Document = {
    kind: 'notice',
    direction: 'downward',
    copy_number: '',
    classification: 'unclassified',
    secrecy_term: '',
    urgency: 'normal',
    issuer_mark: ['宿州市人民政府', '宿州市财政局'],
    doc_number: '宿政〔2026〕12号',
    signers: ['张明'],
    title: '宿州市人民政府关于做好防汛工作的通知',
    main_recipients: ['各县、区人民政府'],
    body: '一、压实责任\n各地要落实。',
    attachments: [file('防汛责任人名单', 'a'), { name: '物资清单' }],
    issuer_signature: ['宿州市人民政府'],
    date_of_issue: '2026年11月25日',
    sealed: true,
    note: '',
    cc_recipients: ['市委办公室'],
    printing_office: '宿州市人民政府办公室',
    printing_date: '2026年11月25日',
    template: '',
  }

  it('gives one line per entry, and gets the same document back', () => {
    const f = toForm(stored)
    expect(f.issuer_mark).toBe('宿州市人民政府\n宿州市财政局')
    expect(f.attachments).toBe(attachmentLines(stored.attachments))
    expect(f.attachments).toBe('防汛责任人名单\n物资清单')
    expect(toDocument(f, stored.attachments)).toEqual(stored)
  })

  it('copies the lists, so editing the form leaves the stored document alone', () => {
    const f = toForm(stored)
    f.signers.push('李华')
    f.main_recipients.push('市直各单位')
    expect(stored.signers).toEqual(['张明'])
    expect(stored.main_recipients).toEqual(['各县、区人民政府'])
  })

  it('drops empty lines and spaces around entries as typed', () => {
    const f = toForm(stored)
    f.issuer_mark = ' 宿州市人民政府 \n\n'
    f.attachments = '防汛责任人名单（修订）\n\n'
    const d = toDocument(f, stored.attachments)
    expect(d.issuer_mark).toEqual(['宿州市人民政府'])
    // A renamed line keeps its file.
    expect(d.attachments).toEqual([{ ...file('防汛责任人名单', 'a'), name: '防汛责任人名单（修订）' }])
  })
})
