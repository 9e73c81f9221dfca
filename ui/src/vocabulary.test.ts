import { describe, expect, it } from 'vitest'
import { OUTBOX, outboxStateLabel, untitled } from './vocabulary'

describe('the outbox’s labels', () => {
  it('names the list 同步队列 and a command in it 待同步 or 被拒绝', () => {
    expect(OUTBOX).toBe('同步队列')
    expect(outboxStateLabel('pending')).toBe('待同步')
    expect(outboxStateLabel('rejected')).toBe('被拒绝')
  })
})

describe('untitled', () => {
  it('shows each label through a function (no native tooltip) and keeps it for aria-label', () => {
    const [o] = untitled([{ value: 'notice', label: '通知' }])
    expect(o?.label).toBe('通知')
    expect(typeof o?.shown).toBe('function')
    expect(o?.shown()).toBe('通知')
  })
})
