import { describe, expect, it } from 'vitest'
import type { Document } from '../api'
import { addedName, filesOf } from './useAttachmentFiles'

const doc = (attachments: Document['attachments']) => ({ attachments }) as Document

describe('filesOf', () => {
  it('lists the attachments that carry a file, in the field’s order', () => {
    const d = doc([
      { name: '物资清单', sha256: 'b'.repeat(64), file_name: '物资清单.xlsx', size: 812 },
      { name: '联系人名单' },
      { name: '防汛责任人名单', sha256: 'a'.repeat(64), file_name: '名单.docx', size: 4096 },
    ])
    expect(filesOf(d).map((a) => a.name)).toEqual(['物资清单', '防汛责任人名单'])
  })

  it('is empty before the draft is loaded', () => {
    expect(filesOf(null)).toEqual([])
  })
})

describe('addedName', () => {
  it('names the attachment the file was added as (the last one)', () => {
    expect(addedName(doc([{ name: '物资清单' }, { name: '重点项目清单' }]))).toBe('重点项目清单')
    expect(addedName(doc([]))).toBe('')
  })
})
