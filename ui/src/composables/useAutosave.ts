/**
 * Autosave of the draft being edited: every few seconds when it changed, on leaving the
 * editor (the view's route guard calls `flush`), and on window close (`start` registers
 * `flush` with flush.ts, which App.vue runs before the window may close). No keystroke is
 * lost: `flush` saves until nothing typed is left unsaved, also what was typed while a
 * save was under way, and rejects when a save fails, so the window stays open.
 * Autosave keeps the working copy safe; a numbered version (保存, 完成) goes through
 * `commit`, which shares this bookkeeping so the two never race.
 */
import { computed, onScopeDispose, ref } from 'vue'
import { clockTime } from '../format'
import { registerFlusher } from '../flush'

export const AUTOSAVE_MS = 3000

export type SaveState = 'clean' | 'dirty' | 'saving' | 'saved' | 'failed'

/** The save indicator's text. */
export function saveLabel(state: SaveState, savedAt: Date | null, error: string | null): string {
  switch (state) {
    case 'saving':
      return '保存中…'
    case 'failed':
      return `保存失败：${error ?? ''}`
    case 'dirty':
      return savedAt ? `有未保存的修改（上次保存 ${clockTime(savedAt)}）` : '有未保存的修改'
    case 'saved':
      return savedAt ? `已保存 ${clockTime(savedAt)}` : '已保存'
    default:
      return '未修改'
  }
}

/** The state after an edit: a failure keeps saying so until a save succeeds, and a save
 *  under way says so until it ends (then it looks again). */
export function stateAfterEdit(state: SaveState, dirty: boolean): SaveState {
  if (state === 'saving' || !dirty) return state
  return state === 'failed' ? 'failed' : 'dirty'
}

export function useAutosave<D>(options: {
  /** The document as it stands now; null before it is loaded. */
  current: () => D | null
  /** Stores the document; rejects with the reason it could not. */
  store: (doc: D) => Promise<void>
  /** The reason of a failed store, as shown to the clerk. */
  errorText: (e: unknown) => string
  intervalMs?: number
}) {
  /** What was last stored, as JSON: the draft is dirty while it differs. */
  let lastSaved = ''
  let saving: Promise<void> | null = null
  const state = ref<SaveState>('clean')
  const savedAt = ref<Date | null>(null)
  const error = ref<string | null>(null)
  const label = computed(() => saveLabel(state.value, savedAt.value, error.value))

  function snapshot(): string | null {
    const doc = options.current()
    return doc === null ? null : JSON.stringify(doc)
  }

  function isDirty(): boolean {
    const json = snapshot()
    return json !== null && json !== lastSaved
  }

  /** Saves what is there now; while a save is under way, that save's promise. */
  function save(): Promise<void> {
    if (saving) return saving
    const doc = options.current()
    if (doc === null) return Promise.resolve()
    const json = JSON.stringify(doc)
    if (json === lastSaved) return Promise.resolve()
    state.value = 'saving'
    saving = options
      .store(doc)
      .then(
        () => {
          lastSaved = json
          savedAt.value = new Date()
          error.value = null
          state.value = isDirty() ? 'dirty' : 'saved'
        },
        (e: unknown) => {
          error.value = options.errorText(e)
          state.value = 'failed'
          throw new Error(error.value)
        },
      )
      .finally(() => {
        saving = null
      })
    return saving
  }

  /** Stores the document as it stands with `store` (保存, 完成: a numbered version), also
   *  when autosave has nothing left to save (its working copy still becomes a version);
   *  waits for an autosave under way first. Rejects if the store fails. */
  async function commit(store: (doc: D) => Promise<void>): Promise<void> {
    while (saving) await saving.catch(() => undefined)
    const doc = options.current()
    if (doc === null) return
    const json = JSON.stringify(doc)
    state.value = 'saving'
    saving = store(doc)
      .then(
        () => {
          lastSaved = json
          savedAt.value = new Date()
          error.value = null
          state.value = isDirty() ? 'dirty' : 'saved'
        },
        (e: unknown) => {
          error.value = options.errorText(e)
          state.value = 'failed'
          throw new Error(error.value)
        },
      )
      .finally(() => {
        saving = null
      })
    return saving
  }

  /** Saves until nothing is left unsaved; rejects if a save fails. */
  async function flush(): Promise<void> {
    for (;;) {
      if (saving) {
        await saving
        continue
      }
      if (!isDirty()) return
      await save()
    }
  }

  /** An edit was made: the indicator says whether it is unsaved. */
  function noteEdit(): void {
    state.value = stateAfterEdit(state.value, isDirty())
  }

  /** The document as it stands is what the store holds (just loaded): nothing to save. */
  function markClean(): void {
    lastSaved = snapshot() ?? ''
  }

  /** The store took the document as it stands now by another way (a file attached). */
  function markSaved(): void {
    markClean()
    savedAt.value = new Date()
    state.value = 'saved'
  }

  let timer: ReturnType<typeof setInterval> | undefined
  let unregister: (() => void) | undefined
  let stopped = false

  /** Starts saving every few seconds, and on window close. */
  function start(): void {
    if (stopped || timer !== undefined) return
    unregister = registerFlusher(flush)
    timer = setInterval(() => {
      if (isDirty()) save().catch(() => undefined) // the indicator shows the failure
    }, options.intervalMs ?? AUTOSAVE_MS)
  }

  // The editor is gone: no more timed saves, and closing the window no longer waits for it.
  onScopeDispose(() => {
    stopped = true
    if (timer !== undefined) clearInterval(timer)
    unregister?.()
  })

  return { state, savedAt, error, label, isDirty, save, commit, flush, noteEdit, markClean, markSaved, start }
}
