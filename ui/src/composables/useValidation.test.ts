import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope, ref } from 'vue'
import type { Document, Problem } from '../api'
import type { Element } from '../bindings/Element'
import { applySuggestion, type FieldKey, type Form } from '../editing'
import { fieldOf, fieldStatus, fixable, problemsByField, unplacedProblems, useValidation, VALIDATE_MS } from './useValidation'

const problem = (element: Element, severity: Problem['severity'] = 'error', suggestion?: string): Problem => ({
  element,
  severity,
  message: `${element}有误`,
  message_en: `${element} is wrong`,
  ...(suggestion ? { suggestion } : {}),
})

describe('problemsByField', () => {
  it('puts each problem under the field of its element', () => {
    const by = problemsByField([problem('doc_number'), problem('title', 'warning'), problem('doc_number', 'warning')])
    expect(by.doc_number?.map((p) => p.severity)).toEqual(['error', 'warning'])
    expect(by.title).toHaveLength(1)
    expect(by.body).toBeUndefined()
  })

  it('shows elements without a field of their own under the field that holds them', () => {
    const by = problemsByField([problem('attachment_note'), problem('attachments'), problem('seal'), problem('printing')])
    expect(by.attachments?.map((p) => p.element)).toEqual(['attachment_note', 'attachments'])
    expect(by.sealed).toHaveLength(1)
    expect(by.printing_date).toHaveLength(1)
  })

  it('leaves the page numbers to the summary line', () => {
    const all = [problem('page_number', 'warning'), problem('title')]
    expect(problemsByField(all)).toEqual({ title: [all[1]] })
    expect(unplacedProblems(all)).toEqual([all[0]])
  })
})

describe('fieldStatus', () => {
  it('is an error with any error, a warning with only warnings, else plain', () => {
    expect(fieldStatus([problem('title', 'warning'), problem('title', 'error')])).toBe('error')
    expect(fieldStatus([problem('title', 'warning')])).toBe('warning')
    expect(fieldStatus([])).toBeUndefined()
  })

  it('stays plain for what is only not written yet', () => {
    const missing = { ...problem('title'), missing: true }
    expect(fieldStatus([missing])).toBeUndefined()
    expect(fieldStatus([missing, problem('title', 'warning')])).toBe('warning')
  })
})

function form(): Form {
  return {
    kind: 'notice',
    direction: 'downward',
    copy_number: '1',
    classification: 'unclassified',
    secrecy_term: '',
    urgency: 'normal',
    issuer_mark: '宿州市人民政府文件',
    doc_number: '宿政[2026]012号',
    signers: ['张明'],
    title: '关于防汛的通知',
    main_recipients: ['各县、区人民政府'],
    body: '正文',
    attachments: '物资清单。',
    issuer_signature: '宿州市人民政府',
    date_of_issue: '2026年11月05日',
    sealed: true,
    note: '',
    cc_recipients: [],
    printing_office: '',
    printing_date: '2026年11月06日',
    template: '',
  }
}

describe('fixable', () => {
  it('names exactly the fields a suggestion is put into', () => {
    const keys = Object.keys(form()) as FieldKey[]
    const changed = keys.filter((key) => {
      const f = form()
      applySuggestion(f, key, key === 'attachments' ? '物资清单' : '建议值')
      return JSON.stringify(f) !== JSON.stringify(form())
    })
    expect(changed.sort()).toEqual([...fixable].sort())
  })

  it('names only fields that show problems', () => {
    const shown = new Set(Object.values(fieldOf))
    for (const key of fixable) expect(shown.has(key)).toBe(true)
  })
})

describe('useValidation', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  function setup() {
    const f = ref<Form | null>(form())
    const answers: Array<(found: Problem[]) => void> = []
    const check = vi.fn(() => new Promise<Problem[]>((resolve) => answers.push(resolve)))
    const scope = effectScope()
    const v = scope.run(() =>
      useValidation({ form: f, current: () => (f.value ? ({ title: f.value.title } as Document) : null), check }),
    )!
    return { f, v, check, answers, scope }
  }

  it('checks once, a moment after the last change', async () => {
    const { v, check, scope } = setup()
    v.validate()
    await vi.advanceTimersByTimeAsync(VALIDATE_MS - 1)
    v.validate()
    await vi.advanceTimersByTimeAsync(VALIDATE_MS - 1)
    expect(check).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(check).toHaveBeenCalledTimes(1)
    scope.stop()
  })

  it('drops an answer that arrives after a newer check was asked', async () => {
    const { v, answers, scope } = setup()
    v.validate()
    await vi.advanceTimersByTimeAsync(VALIDATE_MS)
    v.validate()
    await vi.advanceTimersByTimeAsync(VALIDATE_MS)
    answers[1]?.([problem('title', 'warning')])
    await vi.advanceTimersByTimeAsync(0)
    answers[0]?.([problem('doc_number'), problem('page_number')])
    await vi.advanceTimersByTimeAsync(0)
    expect(v.problems.value.map((p) => p.element)).toEqual(['title'])
    expect(v.fields.statusOf('title')).toBe('warning')
    expect(v.fields.problemsOf('doc_number')).toEqual([])
    expect([v.errorCount.value, v.warningCount.value]).toEqual([0, 1])
    scope.stop()
  })

  it('gives each field its problems, and fixes the fields that take a suggestion', () => {
    const { f, v, scope } = setup()
    v.problems.value = [problem('doc_number', 'error', '宿政〔2026〕12号'), problem('page_number', 'warning')]
    expect(v.fields.problemsOf('doc_number')).toHaveLength(1)
    expect(v.fields.statusOf('doc_number')).toBe('error')
    expect(v.fields.statusOf('title')).toBeUndefined()
    expect(v.unplaced.value.map((p) => p.element)).toEqual(['page_number'])
    expect(v.fields.canFix('doc_number')).toBe(true)
    expect(v.fields.canFix('title')).toBe(false)
    v.fields.fix('doc_number', '宿政〔2026〕12号')
    expect(f.value?.doc_number).toBe('宿政〔2026〕12号')
    scope.stop()
  })

  it('checks nothing once the editor is gone or before the draft is loaded', async () => {
    const { f, v, check, scope } = setup()
    f.value = null
    v.validate()
    await vi.advanceTimersByTimeAsync(VALIDATE_MS)
    expect(check).not.toHaveBeenCalled()
    f.value = form()
    v.validate()
    scope.stop()
    await vi.advanceTimersByTimeAsync(VALIDATE_MS)
    expect(check).not.toHaveBeenCalled()
  })
})
