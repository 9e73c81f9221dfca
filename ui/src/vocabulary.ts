/**
 * Labels for enum values, loaded once from the `vocabulary` command so the UI never
 * keeps its own copy of the Chinese names.
 */
import { shallowRef } from 'vue'
import { api, type Vocabulary } from './api'
import type { OutboxItemState } from './bindings/OutboxItemState'

export const vocabulary = shallowRef<Vocabulary | null>(null)

export async function loadVocabulary(): Promise<void> {
  vocabulary.value = await api.vocabulary()
}

type Key = keyof Vocabulary

/** The label of a value in one vocabulary, or the value itself if unknown. */
export function label<K extends Key>(list: K, value: Vocabulary[K][number]['value']): string {
  const v = vocabulary.value
  if (!v) return String(value)
  const found = (v[list] as Array<{ value: unknown; label: string }>).find((c) => c.value === value)
  return found ? found.label : String(value)
}

/** Options for an NSelect. */
export function options<K extends Key>(list: K): Array<{ value: Vocabulary[K][number]['value']; label: string }> {
  const v = vocabulary.value
  return v ? (v[list] as Array<{ value: Vocabulary[K][number]['value']; label: string }>) : []
}

/** Options whose text an NSelect shows from `shown` (use `label-field="shown"`): naive-ui
 *  puts a string label into a native `title` tooltip, which then covers the open list;
 *  a label given as a render function gets none. `label` stays for `optionProps`. */
export function untitled<O extends { label: string }>(opts: O[]): Array<O & { shown: () => string }> {
  return opts.map((o) => ({ ...o, shown: () => o.label }))
}

/** Gives each dropdown option the `option` role and its label, for assistive tools and tests. */
export function optionProps(option: { label?: unknown }): Record<string, string> {
  return { role: 'option', 'aria-label': String(option.label ?? '') }
}

/**
 * The outbox (the commands waiting to go to the exchange server) as the window names it,
 * in one place: the list is the 同步队列; a command in it is 待同步 until the server
 * accepts it, or 被拒绝 with the server's reason. The `vocabulary` command has no label for
 * a queued command's state yet, so the UI keeps these two here and nowhere else.
 */
export const OUTBOX = '同步队列'

/** A queued command's state as the 同步队列, the status bar and a document show it. */
export function outboxStateLabel(state: OutboxItemState): string {
  return state === 'rejected' ? '被拒绝' : '待同步'
}
