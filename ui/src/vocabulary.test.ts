import { describe, expect, it } from 'vitest'
import { OUTBOX, outboxStateLabel } from './vocabulary'

describe('the outbox’s labels', () => {
  it('names the list 同步队列 and a command in it 待同步 or 被拒绝', () => {
    expect(OUTBOX).toBe('同步队列')
    expect(outboxStateLabel('pending')).toBe('待同步')
    expect(outboxStateLabel('rejected')).toBe('被拒绝')
  })
})
