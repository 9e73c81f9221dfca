import type { Transfer } from './bindings/Transfer'
/** 成文日期 as GB/T 9704 writes it: Arabic numerals, no leading zeros (2026年11月5日). */
export function formatDocDate(d: Date): string {
  return `${d.getFullYear()}年${d.getMonth() + 1}月${d.getDate()}日`
}

/** Reads `2026年11月25日` back into a timestamp for the calendar; null when not in that
 *  form or not a calendar date (2026年2月31日 is no date, not 3 March: gongwen-core's
 *  `parse_date` says the same). */
export function parseDocDate(text: string): number | null {
  const m = /^\s*(\d{4})年(\d{1,2})月(\d{1,2})日\s*$/.exec(text)
  if (!m) return null
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])]
  const d = new Date(year, month - 1, day)
  // Date rolls an impossible day over into the next month; such a date does not exist.
  if (d.getFullYear() !== year || d.getMonth() !== month - 1 || d.getDate() !== day) return null
  return d.getTime()
}

/** hh:mm:ss for the autosave indicator. */
export function clockTime(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

/** Local date and time of an RFC 3339 timestamp, for version lists. */
export function localDateTime(iso: string): string {
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return `${formatDocDate(d)} ${clockTime(d)}`
}

/** Splits a one-per-line textarea into trimmed, non-empty entries. */
export function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number) {
  let timer: ReturnType<typeof setTimeout> | undefined
  const debounced = (...args: A) => {
    if (timer !== undefined) clearTimeout(timer)
    timer = setTimeout(() => {
      timer = undefined
      fn(...args)
    }, ms)
  }
  debounced.cancel = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  }
  return debounced
}

/** A file size as a clerk reads it: 812 字节, 35.2 KB, 4.1 MB. */
export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} 字节`
  const units = ['KB', 'MB', 'GB']
  let n = bytes / 1024
  let unit = 0
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024
    unit++
  }
  return `${n.toFixed(n < 10 ? 1 : 0)} ${units[unit]}`
}

/** A duration in whole seconds as a clerk says it: 45 秒, 3 分 20 秒, 1 小时 5 分. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  if (s < 60) return `${s} 秒`
  if (s < 3600) return s % 60 ? `${Math.floor(s / 60)} 分 ${s % 60} 秒` : `${s / 60} 分`
  const m = Math.floor((s % 3600) / 60)
  return m ? `${Math.floor(s / 3600)} 小时 ${m} 分` : `${s / 3600} 小时`
}

/** What a transfer under way says in the status bar, and how far it is (0–100, or
 *  null when its end is not known). */
export function transferText(t: Transfer): { text: string; percent: number | null } {
  const left = t.seconds_left !== null && t.seconds_left > 0 ? `，约剩 ${duration(t.seconds_left)}` : ''
  if (t.what.kind === 'download') {
    const total = t.total_bytes
    const percent = total ? Math.min(100, Math.floor((t.bytes / total) * 100)) : null
    const amount = total ? `${fileSize(t.bytes)} / ${fileSize(total)}` : fileSize(t.bytes)
    return { text: `正在下载附件：${amount}${left}`, percent }
  }
  const total = t.total_entries
  const percent = total ? Math.min(100, Math.floor((t.entries / total) * 100)) : null
  const count = total ? `${t.entries.toLocaleString('zh-CN')} / ${total.toLocaleString('zh-CN')} 条` : `${t.entries.toLocaleString('zh-CN')} 条`
  return { text: `正在同步：${count}（已接收 ${fileSize(t.bytes)}）${left}`, percent }
}

/** A name to suggest, with the 规范化简称 it may also be found by (a directory unit). */
export type Suggestion = string | { name: string; short_name?: string }

/** What a names field suggests while `typed` is being written: the full names of the
 *  `names` whose full or short name contains it (all of them for nothing typed), without
 *  those already `chosen` by either name, at most `max`. */
export function suggestNames(names: Suggestion[], typed: string, chosen: string[], max = 8): string[] {
  const t = typed.trim()
  return names
    .map((n) => (typeof n === 'string' ? { name: n, short_name: undefined } : n))
    .filter((n) => n.name.includes(t) || (n.short_name?.includes(t) ?? false))
    .filter((n) => !chosen.includes(n.name) && !(n.short_name !== undefined && chosen.includes(n.short_name)))
    .map((n) => n.name)
    .slice(0, max)
}

/** Where a key pressed in a names field (主送, 抄送) goes, given whether the clerk is
 *  `picking` from the suggestions (has moved through them with ↑/↓) and whether any are
 *  `listed`. The list marks its first suggestion as soon as it opens, but that is only
 *  where ↓ starts: Enter takes exactly what was typed (宿州市人民政府 stays 宿州市人民政府,
 *  though 宿州市人民政府办公室 is listed) until a suggestion was picked. `toList`: the list
 *  handles the key too (moves its mark, or takes the marked suggestion on Enter);
 *  `takeTyped`: the field takes what was typed. */
export function namesKey(
  key: string,
  picking: boolean,
  listed: boolean,
): { picking: boolean; toList: boolean; takeTyped: boolean } {
  if (!listed) return { picking: false, toList: key !== 'Enter', takeTyped: key === 'Enter' }
  switch (key) {
    case 'Enter':
      return picking ? { picking: false, toList: true, takeTyped: false } : { picking: false, toList: false, takeTyped: true }
    // The first ↓ shows the mark where the list put it (the first suggestion) rather
    // than moving it past a suggestion the clerk never saw marked.
    case 'ArrowDown':
      return { picking: true, toList: picking, takeTyped: false }
    // ↑ goes round to the last suggestion, as the list does from its first.
    case 'ArrowUp':
      return { picking: true, toList: true, takeTyped: false }
    default:
      return { picking, toList: true, takeTyped: false }
  }
}

/** `text` cut into parts, those matching a word of the search `query` (words split at
 *  spaces; ASCII letters in any case) marked `highlighted`: what a search hit opened in the
 *  reading view shows. No query, or no match: the text as one part. */
export function markParts(text: string, query: string): Array<{ text: string; highlighted: boolean }> {
  const words = query
    .split(/\s+/)
    .map((w) => w.trim().toLowerCase())
    .filter((w) => w !== '')
  if (words.length === 0 || text === '') return [{ text, highlighted: false }]
  const lower = text.toLowerCase()
  const out: Array<{ text: string; highlighted: boolean }> = []
  let at = 0
  let plain = 0
  while (at < text.length) {
    const word = words.find((w) => lower.startsWith(w, at))
    if (word) {
      if (plain < at) out.push({ text: text.slice(plain, at), highlighted: false })
      out.push({ text: text.slice(at, at + word.length), highlighted: true })
      at += word.length
      plain = at
    } else {
      at += 1
    }
  }
  if (plain < text.length) out.push({ text: text.slice(plain), highlighted: false })
  return out
}

/** Where the reading view's 返回 goes, from the path the router came from (`history.state
 *  .back`): back to a list the clerk opened the document from, named on the button; from
 *  anywhere else (the editor, a fresh start) to the 公文列表. */
export function backTarget(back: unknown): { previous: boolean; label: string } {
  const path = typeof back === 'string' ? back.split('?')[0] : null
  switch (path) {
    case '/inbox':
      return { previous: true, label: '返回收文箱' }
    case '/search':
      return { previous: true, label: '返回搜索结果' }
    case '/desk':
      return { previous: true, label: '返回办文' }
    case '/':
      return { previous: true, label: '返回列表' }
    default:
      return { previous: false, label: '返回列表' }
  }
}
