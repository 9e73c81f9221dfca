import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { effectScope } from 'vue'
import { flushAll } from '../flush'
import { AUTOSAVE_MS, saveLabel, stateAfterEdit, useAutosave } from './useAutosave'

describe('saveLabel', () => {
  const at = new Date(2026, 10, 25, 9, 5, 7)

  it('says what the indicator shows in each state', () => {
    expect(saveLabel('clean', null, null)).toBe('未修改')
    expect(saveLabel('saving', at, null)).toBe('保存中…')
    expect(saveLabel('saved', at, null)).toBe('已保存 09:05:07')
    expect(saveLabel('saved', null, null)).toBe('已保存')
    expect(saveLabel('dirty', at, null)).toBe('有未保存的修改（上次保存 09:05:07）')
    expect(saveLabel('dirty', null, null)).toBe('有未保存的修改')
    expect(saveLabel('failed', at, '磁盘已满')).toBe('保存失败：磁盘已满')
  })
})

describe('stateAfterEdit', () => {
  it('marks an unsaved edit, but keeps a failure and a save under way', () => {
    expect(stateAfterEdit('clean', true)).toBe('dirty')
    expect(stateAfterEdit('saved', true)).toBe('dirty')
    expect(stateAfterEdit('failed', true)).toBe('failed')
    expect(stateAfterEdit('saving', true)).toBe('saving')
  })

  it('leaves the state alone when nothing is unsaved', () => {
    expect(stateAfterEdit('saved', false)).toBe('saved')
    expect(stateAfterEdit('clean', false)).toBe('clean')
  })
})

/** A draft, a store whose saves the test answers one by one, and the autosave over them. */
function setup() {
  const draft = { value: { title: '关于防汛的通知' } as { title: string } | null }
  const stored: string[] = []
  const pending: Array<{ resolve: () => void; reject: (e: unknown) => void }> = []
  const store = vi.fn(
    (doc: { title: string }) =>
      new Promise<void>((resolve, reject) => {
        pending.push({
          resolve: () => {
            stored.push(doc.title)
            resolve()
          },
          reject,
        })
      }),
  )
  const scope = effectScope()
  const autosave = scope.run(() =>
    useAutosave({ current: () => draft.value, store, errorText: (e) => String(e) }),
  )!
  /** Answers the oldest save not yet answered. */
  const answer = async (error?: string) => {
    const next = pending.shift()
    if (!next) throw new Error('no save under way')
    if (error) next.reject(error)
    else next.resolve()
    await vi.advanceTimersByTimeAsync(0)
  }
  return { draft, stored, store, scope, autosave, answer }
}

describe('useAutosave', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  it('is clean when loaded and saves nothing until an edit', async () => {
    const { autosave, store, scope } = setup()
    autosave.markClean()
    autosave.start()
    expect(autosave.isDirty()).toBe(false)
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS * 3)
    expect(store).not.toHaveBeenCalled()
    expect(autosave.label.value).toBe('未修改')
    scope.stop()
  })

  it('saves an edit on the next tick of the timer', async () => {
    const { draft, autosave, store, stored, answer, scope } = setup()
    autosave.markClean()
    autosave.start()
    draft.value = { title: '关于防汛抗旱的通知' }
    autosave.noteEdit()
    expect(autosave.state.value).toBe('dirty')
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS - 1)
    expect(store).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(autosave.state.value).toBe('saving')
    await answer()
    expect(stored).toEqual(['关于防汛抗旱的通知'])
    expect(autosave.state.value).toBe('saved')
    expect(autosave.savedAt.value).not.toBeNull()
    scope.stop()
  })

  it('flush saves what was typed while a save was under way', async () => {
    const { draft, autosave, stored, answer, scope } = setup()
    autosave.markClean()
    draft.value = { title: '甲' }
    void autosave.save()
    // A keystroke lands while the first save is under way.
    draft.value = { title: '甲乙' }
    autosave.noteEdit()
    expect(autosave.state.value).toBe('saving')
    let flushed = false
    const flushing = autosave.flush().then(() => (flushed = true))
    await answer()
    // The first save ended with the draft still dirty: it says so and saves again.
    expect(flushed).toBe(false)
    await answer()
    await flushing
    expect(stored).toEqual(['甲', '甲乙'])
    expect(autosave.isDirty()).toBe(false)
    expect(autosave.state.value).toBe('saved')
    scope.stop()
  })

  it('a failed save fails the flush and keeps saying so after more typing', async () => {
    const { draft, autosave, answer, scope } = setup()
    autosave.markClean()
    draft.value = { title: '甲' }
    const flushing = autosave.flush()
    const failed = expect(flushing).rejects.toThrow('磁盘已满')
    await answer('磁盘已满')
    await failed
    expect(autosave.state.value).toBe('failed')
    expect(autosave.label.value).toBe('保存失败：磁盘已满')
    draft.value = { title: '甲乙' }
    autosave.noteEdit()
    expect(autosave.state.value).toBe('failed')
    expect(autosave.isDirty()).toBe(true)
    scope.stop()
  })

  it('closing the window flushes a started editor, and no longer once it is gone', async () => {
    const { draft, autosave, store, stored, answer, scope } = setup()
    autosave.markClean()
    autosave.start()
    draft.value = { title: '最后一个字' }
    const closing = flushAll()
    await answer()
    await closing
    expect(stored).toEqual(['最后一个字'])
    scope.stop()
    draft.value = { title: '离开之后' }
    await flushAll()
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS * 2)
    expect(store).toHaveBeenCalledTimes(1)
    // Started after the editor went (its draft loaded late): nothing runs.
    autosave.start()
    await flushAll()
    await vi.advanceTimersByTimeAsync(AUTOSAVE_MS * 2)
    expect(store).toHaveBeenCalledTimes(1)
  })

  it('a save by another way (a file attached) counts as saved', () => {
    const { draft, autosave, store, scope } = setup()
    autosave.markClean()
    draft.value = { title: '附件已添加' }
    autosave.markSaved()
    expect(autosave.isDirty()).toBe(false)
    expect(autosave.state.value).toBe('saved')
    expect(store).not.toHaveBeenCalled()
    scope.stop()
  })

  it('commit (保存) waits for an autosave under way, then stores even when nothing is dirty', async () => {
    const { draft, autosave, stored, answer, scope } = setup()
    autosave.markClean()
    draft.value = { title: '甲' }
    void autosave.save()
    const versions: string[] = []
    const committing = autosave.commit(async (doc) => {
      versions.push(doc.title)
    })
    // The autosave has not answered yet: the version waits for it.
    await vi.advanceTimersByTimeAsync(0)
    expect(versions).toEqual([])
    await answer()
    await committing
    expect(stored).toEqual(['甲'])
    expect(versions).toEqual(['甲'])
    expect(autosave.state.value).toBe('saved')
    // Nothing typed since: 保存 still makes the version (the working copy becomes one).
    await autosave.commit(async (doc) => {
      versions.push(doc.title)
    })
    expect(versions).toEqual(['甲', '甲'])
    // A failed version says so and rejects.
    const failing = autosave.commit(() => Promise.reject('磁盘已满'))
    await expect(failing).rejects.toThrow('磁盘已满')
    expect(autosave.label.value).toBe('保存失败：磁盘已满')
    scope.stop()
  })

  it('has nothing to save before the draft is loaded', async () => {
    const { draft, autosave, store, scope } = setup()
    draft.value = null
    expect(autosave.isDirty()).toBe(false)
    await autosave.flush()
    await autosave.save()
    expect(store).not.toHaveBeenCalled()
    scope.stop()
  })
})
