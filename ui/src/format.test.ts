import { describe, expect, it } from 'vitest'
import { backTarget, duration, formatDocDate, lines, localDateTime, markParts, namesKey, parseDocDate, suggestNames, transferText } from './format'

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

describe('transfers', () => {
  const base = { bytes: 0, total_bytes: null, entries: 0, total_entries: null, seconds_left: null, finished: false }

  it('says an attachment download in bytes, with the share done and the time left', () => {
    const t = transferText({
      ...base,
      what: { kind: 'download', sha256: 'ab' },
      bytes: 50 * 1024 * 1024,
      total_bytes: 200 * 1024 * 1024,
      seconds_left: 95,
    })
    expect(t.text).toBe('正在下载附件：50 MB / 200 MB，约剩 1 分 35 秒')
    expect(t.percent).toBe(25)
  })

  it('says a first sync in entries and bytes received; no time left until it is known', () => {
    const t = transferText({ ...base, what: { kind: 'pull' }, entries: 3400, total_entries: 10000, bytes: 5 * 1024 * 1024 })
    expect(t.text).toBe('正在同步：3,400 / 10,000 条（已接收 5.0 MB）')
    expect(t.percent).toBe(34)
    expect(transferText({ ...base, what: { kind: 'pull' }, entries: 500 }).percent).toBeNull()
  })

  it('says durations as a clerk does', () => {
    expect(duration(45)).toBe('45 秒')
    expect(duration(120)).toBe('2 分')
    expect(duration(3900)).toBe('1 小时 5 分')
  })
})

describe('suggestNames', () => {
  const units = ['宿州市发展和改革委员会', '宿州市统计局', '宿州市人民政府']
  it('offers the names containing what is typed, not those already chosen', () => {
    expect(suggestNames(units, '统计', [])).toEqual(['宿州市统计局'])
    expect(suggestNames(units, ' 宿州市', ['宿州市统计局'])).toEqual(['宿州市发展和改革委员会', '宿州市人民政府'])
    expect(suggestNames(units, '各县', [])).toEqual([])
    expect(suggestNames(units, '', [], 2)).toEqual(['宿州市发展和改革委员会', '宿州市统计局'])
  })

  it('finds a unit by its 规范化简称 too, and offers its full name', () => {
    const directory = [
      { name: '宿州市发展和改革委员会', short_name: '市发展改革委' },
      { name: '宿州市统计局', short_name: '市统计局' },
      { name: '宿州市档案馆' },
    ]
    expect(suggestNames(directory, '市发展改革', [])).toEqual(['宿州市发展和改革委员会'])
    expect(suggestNames(directory, '市统计局', [])).toEqual(['宿州市统计局'])
    expect(suggestNames(directory, '市发展改革委', ['宿州市发展和改革委员会'])).toEqual([])
    // Named already by its short name: not offered again by its full name.
    expect(suggestNames(directory, '宿州市', ['市统计局'])).toEqual(['宿州市发展和改革委员会', '宿州市档案馆'])
  })
})

describe('namesKey', () => {
  /** What a run of keys does, from a fresh entry with suggestions listed: the field's
   *  take (typed) or the list's (its marked suggestion) on the last Enter. */
  function enter(keys: string[]): 'typed' | 'list' {
    let picking = false
    for (const key of keys) {
      const step = namesKey(key, picking, true)
      picking = step.picking
      if (key === 'Enter') {
        expect(step.toList).not.toBe(step.takeTyped)
        return step.takeTyped ? 'typed' : 'list'
      }
    }
    throw new Error('no Enter')
  }

  it('takes what was typed on Enter, though a suggestion is listed first', () => {
    expect(enter(['Enter'])).toBe('typed')
    const step = namesKey('Enter', false, true)
    expect(step.toList).toBe(false)
  })

  it('takes the suggestion picked with ↓ or ↑', () => {
    expect(enter(['ArrowDown', 'Enter'])).toBe('list')
    expect(enter(['ArrowUp', 'Enter'])).toBe('list')
    expect(enter(['ArrowDown', 'ArrowDown', 'ArrowUp', 'Enter'])).toBe('list')
  })

  it('shows the first suggestion on the first ↓ rather than moving past it', () => {
    expect(namesKey('ArrowDown', false, true)).toEqual({ picking: true, toList: false, takeTyped: false })
    expect(namesKey('ArrowDown', true, true)).toEqual({ picking: true, toList: true, takeTyped: false })
  })

  it('takes what was typed when nothing is listed', () => {
    expect(namesKey('Enter', true, false)).toEqual({ picking: false, toList: false, takeTyped: true })
    expect(namesKey('ArrowDown', false, false).picking).toBe(false)
  })

  it('leaves other keys to the field and the list', () => {
    expect(namesKey('a', true, true)).toEqual({ picking: true, toList: true, takeTyped: false })
  })
})

describe('markParts', () => {
  it('marks each occurrence of each word of the query', () => {
    expect(markParts('各地要落实护林员进山蹲守制度，蹲守到位', '蹲守')).toEqual([
      { text: '各地要落实护林员进山', highlighted: false },
      { text: '蹲守', highlighted: true },
      { text: '制度，', highlighted: false },
      { text: '蹲守', highlighted: true },
      { text: '到位', highlighted: false },
    ])
    expect(markParts('GDP增速', 'gdp 增速')).toEqual([
      { text: 'GDP', highlighted: true },
      { text: '增速', highlighted: true },
    ])
  })

  it('leaves the text whole without a query or a match', () => {
    expect(markParts('正文', '')).toEqual([{ text: '正文', highlighted: false }])
    expect(markParts('正文', '标题')).toEqual([{ text: '正文', highlighted: false }])
  })
})

describe('backTarget', () => {
  it('goes back to the list the document was opened from', () => {
    expect(backTarget('/inbox')).toEqual({ previous: true, label: '返回收文箱' })
    expect(backTarget('/search?q=%E8%B9%B2')).toEqual({ previous: true, label: '返回搜索结果' })
    expect(backTarget('/')).toEqual({ previous: true, label: '返回列表' })
  })

  it('goes to the list from the editor or a fresh start', () => {
    expect(backTarget('/doc/1/edit')).toEqual({ previous: false, label: '返回列表' })
    expect(backTarget(null)).toEqual({ previous: false, label: '返回列表' })
  })
})
