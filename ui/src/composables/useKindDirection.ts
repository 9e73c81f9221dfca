/**
 * 文种 → 行文方向: a new 文种 brings its usual 行文方向, unless the clerk had set the
 * direction by hand (it differed from the old kind's usual one).
 */
import { watch, type Ref } from 'vue'
import { api, type DocKind } from '../api'
import type { Direction } from '../bindings/Direction'
import type { Form } from '../editing'

/** The direction after the 文种 changed: the new kind's usual one, unless set by hand. */
export function directionAfterKindChange(direction: Direction, usualBefore: Direction, usualNow: Direction): Direction {
  return direction === usualBefore ? usualNow : direction
}

export function useKindDirection(form: Ref<Form | null>): void {
  watch(
    () => form.value?.kind,
    async (kind: DocKind | undefined, before: DocKind | undefined) => {
      const f = form.value
      if (!f || !kind || !before || kind === before) return
      try {
        const [usualBefore, usualNow] = await Promise.all([api.defaultDirection(before), api.defaultDirection(kind)])
        // Only if the clerk has not since changed the kind again or opened another draft.
        if (form.value === f && f.kind === kind) f.direction = directionAfterKindChange(f.direction, usualBefore, usualNow)
      } catch (e) {
        console.error('default direction failed', e)
      }
    },
  )
}
