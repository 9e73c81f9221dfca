/**
 * Work that must finish before the window closes (an editor's unsaved draft).
 * App.vue runs every registered flusher when the window is asked to close, and
 * closes only once they have all succeeded.
 */
type Flusher = () => Promise<void>

const flushers = new Set<Flusher>()

export function registerFlusher(f: Flusher): () => void {
  flushers.add(f)
  return () => flushers.delete(f)
}

export async function flushAll(): Promise<void> {
  await Promise.all([...flushers].map((f) => f()))
}
