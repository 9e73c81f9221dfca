import { describe, expect, it } from 'vitest'
import { directionAfterKindChange } from './useKindDirection'

describe('directionAfterKindChange', () => {
  it("follows the new 文种's usual 行文方向", () => {
    // 通知 (下行文) → 请示 (上行文)
    expect(directionAfterKindChange('downward', 'downward', 'upward')).toBe('upward')
  })

  it('keeps a 行文方向 the clerk set by hand', () => {
    // A 通知 set to 平行文 by hand stays 平行文 when it becomes a 通报.
    expect(directionAfterKindChange('lateral', 'downward', 'downward')).toBe('lateral')
    expect(directionAfterKindChange('lateral', 'upward', 'downward')).toBe('lateral')
  })
})
