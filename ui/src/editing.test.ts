import { describe, expect, it } from 'vitest'
import type { Attachment } from './bindings/Attachment'
import { applySuggestion, withFiles, type Form } from './editing'

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

  it('drops the file of a deleted line and adds a new line without a file', () => {
    const after = withFiles(['物资清单', '联系人名单'], before)
    expect(after[0]?.sha256).toBe('b'.repeat(64))
    expect(after[1]).toEqual({ name: '联系人名单' })
    expect(after.some((a) => a.sha256 === 'a'.repeat(64))).toBe(false)
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
