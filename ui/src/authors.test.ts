import { describe, expect, it } from 'vitest'
import { authorColour } from './authors'

describe('authorColour', () => {
  it('is the same for the same name, whatever its spaces', () => {
    expect(authorColour('张明')).toEqual(authorColour('张明'))
    expect(authorColour(' 张明 ')).toEqual(authorColour('张明'))
  })

  it('tells the drafter, the reviewer and the leader of one draft apart', () => {
    // Two names can share a hue (twelve of them); these three do not.
    const names = ['张明', '李四', '王局长']
    const inks = new Set(names.map((n) => authorColour(n).ink))
    expect(inks.size).toBe(names.length)
  })

  it('is one of twelve readable hues', () => {
    const { ink, wash } = authorColour('赵六')
    const hue = Number(/^hsl\((\d+),/.exec(ink)?.[1])
    expect(hue % 30).toBe(0)
    expect(hue).toBeLessThan(360)
    expect(wash.startsWith(`hsla(${hue},`)).toBe(true)
  })
})
