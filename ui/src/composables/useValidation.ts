/**
 * The editor's live validation: the draft is checked a moment after each change (the
 * Rust `validate`, through `api.validateDocument`), and each problem is shown under the
 * field of its element. Fields find their problems through `provideFieldValidation`, so a
 * `FormField` needs only its key.
 */
import { computed, inject, onScopeDispose, provide, ref, type InjectionKey, type Ref } from 'vue'
import type { Document, Problem } from '../api'
import type { Element } from '../bindings/Element'
import { applySuggestion, type FieldKey, type Form } from '../editing'
import { debounce } from '../format'

export const VALIDATE_MS = 300

export type FieldStatus = 'error' | 'warning' | undefined

/** Which field shows the problems of each element; null: no field (shown in the summary). */
export const fieldOf: Record<Element, FieldKey | null> = {
  copy_number: 'copy_number',
  classification: 'classification',
  urgency: 'urgency',
  issuer_mark: 'issuer_mark',
  doc_number: 'doc_number',
  signers: 'signers',
  title: 'title',
  main_recipients: 'main_recipients',
  body: 'body',
  attachment_note: 'attachments',
  attachments: 'attachments',
  issuer_signature: 'issuer_signature',
  date_of_issue: 'date_of_issue',
  seal: 'sealed',
  note: 'note',
  cc_recipients: 'cc_recipients',
  printing: 'printing_date',
  page_number: null,
}

/** Fields whose suggestion can replace the value as is (`applySuggestion`). */
export const fixable: readonly FieldKey[] = ['copy_number', 'doc_number', 'date_of_issue', 'printing_date', 'attachments']

/** The problems of each field, in the order validation gave them. */
export function problemsByField(problems: Problem[]): Partial<Record<FieldKey, Problem[]>> {
  const out: Partial<Record<FieldKey, Problem[]>> = {}
  for (const p of problems) {
    const key = fieldOf[p.element]
    if (key) (out[key] ??= []).push(p)
  }
  return out
}

/** Problems no field shows (the page numbers): the summary line shows them. */
export function unplacedProblems(problems: Problem[]): Problem[] {
  return problems.filter((p) => fieldOf[p.element] === null)
}

/** A field's look: red with any error, amber with only warnings, plain without problems.
 *  Something not written yet (`missing`: 缺少标题 on a blank draft) is no mistake of the
 *  clerk's: it leaves the field plain and is listed as 待填写. */
export function fieldStatus(problems: Problem[]): FieldStatus {
  const made = problems.filter((p) => !p.missing)
  if (made.some((p) => p.severity === 'error')) return 'error'
  return made.length ? 'warning' : undefined
}

/** What a field needs to show its problems. */
export interface FieldValidation {
  problemsOf(key: FieldKey): Problem[]
  statusOf(key: FieldKey): FieldStatus
  canFix(key: FieldKey): boolean
  /** Puts a problem's suggestion into the field. */
  fix(key: FieldKey, suggestion: string): void
}

const fieldValidationKey: InjectionKey<FieldValidation> = Symbol('field validation')

/** Gives the fields below this component their problems. */
export function provideFieldValidation(validation: FieldValidation): void {
  provide(fieldValidationKey, validation)
}

/** The problems of the form this field is in; null outside a validated form. */
export function injectFieldValidation(): FieldValidation | null {
  return inject(fieldValidationKey, null)
}

export function useValidation(options: {
  form: Ref<Form | null>
  /** The draft as it stands now; null before it is loaded. */
  current: () => Document | null
  /** Checks a draft (the Rust `validate`). */
  check: (doc: Document) => Promise<Problem[]>
  delayMs?: number
}) {
  const problems = ref<Problem[]>([])
  let validation = 0

  /** Checks the draft a moment after the last change; an answer to an older check,
   *  arriving late, is dropped. */
  const validate = debounce(async () => {
    const doc = options.current()
    if (!doc) return
    const mine = ++validation
    try {
      const found = await options.check(doc)
      if (mine === validation) problems.value = found
    } catch (e) {
      console.error('validation failed', e)
    }
  }, options.delayMs ?? VALIDATE_MS)
  onScopeDispose(() => validate.cancel())

  const byField = computed(() => problemsByField(problems.value))
  const unplaced = computed(() => unplacedProblems(problems.value))
  const errorCount = computed(() => problems.value.filter((p) => p.severity === 'error' && !p.missing).length)
  const warningCount = computed(() => problems.value.filter((p) => p.severity === 'warning' && !p.missing).length)
  /** Elements not written yet (they still block 分发, as errors do). */
  const missingCount = computed(() => problems.value.filter((p) => p.missing).length)

  function problemsOf(key: FieldKey): Problem[] {
    return byField.value[key] ?? []
  }

  const fields: FieldValidation = {
    problemsOf,
    statusOf: (key) => fieldStatus(problemsOf(key)),
    canFix: (key) => fixable.includes(key),
    fix(key, suggestion) {
      if (options.form.value) applySuggestion(options.form.value, key, suggestion)
    },
  }

  return { problems, validate, unplaced, errorCount, warningCount, missingCount, fields }
}
