/**
 * 痕迹保留 colours: each person's insertions and deletions in one colour, the same every
 * time and on every computer, because it comes from the name alone (no list to keep).
 * Twelve hues 30° apart, dark enough to read on white; two names may share one, which the
 * legend beside the marked text makes plain.
 */

/** FNV-1a over the name's UTF-16 code units: small, stable, spreads similar names. */
function hash(name: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h
}

export interface AuthorColour {
  /** Text and underline/strike colour. */
  ink: string
  /** A light background behind the marked characters. */
  wash: string
}

export function authorColour(name: string): AuthorColour {
  const hue = (hash(name.trim()) % 12) * 30
  return { ink: `hsl(${hue}, 75%, 32%)`, wash: `hsla(${hue}, 75%, 45%, 0.14)` }
}
