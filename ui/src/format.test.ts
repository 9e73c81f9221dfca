import { describe, expect, it } from 'vitest'
import { formatDocDate, lines, localDateTime, parseDocDate } from './format'

describe('成文日期', () => {
  it('is written with Arabic numerals and no leading zeros', () => {
    expect(formatDocDate(new Date(2026, 10, 5))).toBe('2026年11月5日')
    expect(formatDocDate(new Date(2026, 0, 25))).toBe('2026年1月25日')
  })

  it('reads back what it writes', () => {
    const ts = parseDocDate('2026年11月25日')
    expect(ts).not.toBeNull()
    expect(formatDocDate(new Date(ts as number))).toBe('2026年11月25日')
    expect(parseDocDate(' 2024年2月29日 ')).toBe(new Date(2024, 1, 29).getTime())
  })

  it('is no date when the calendar has no such day', () => {
    expect(parseDocDate('2026年2月31日')).toBeNull()
    expect(parseDocDate('2026年2月29日')).toBeNull()
    expect(parseDocDate('2026年13月1日')).toBeNull()
    expect(parseDocDate('2026年4月31日')).toBeNull()
    expect(parseDocDate('2026年0月10日')).toBeNull()
  })

  it('is no date in another form', () => {
    expect(parseDocDate('二〇二六年十一月二十五日')).toBeNull()
    expect(parseDocDate('2026-11-25')).toBeNull()
    expect(parseDocDate('')).toBeNull()
  })
})

describe('other formats', () => {
  it('shows a timestamp as a local date and time, and leaves a bad one as it is', () => {
    const d = new Date(2026, 10, 25, 8, 5, 9)
    expect(localDateTime(d.toISOString())).toBe('2026年11月25日 08:05:09')
    expect(localDateTime('not a time')).toBe('not a time')
  })

  it('splits one entry per line, trimmed, without empty lines', () => {
    expect(lines(' 甲 \n\n乙\n  ')).toEqual(['甲', '乙'])
  })
})
