/**
 * Seeded pseudo-random numbers for everything that must be reproducible from a seed: shuffling, the demo
 * dataset, weight initialisation seeds. mulberry32: 32-bit state, fast, good enough for ML shuffling (not
 * for cryptography). No DOM, no tfjs.
 */

/** A random source returning floats uniformly in [0, 1). */
export type RandomSource = () => number;

/** mulberry32 generator; the same seed always yields the same sequence. */
export function mulberry32(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Integer uniformly in [min, max] (both inclusive). */
export function randInt(rand: RandomSource, min: number, max: number): number {
  if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
    throw new RangeError(`randInt: need integers min <= max, got ${min}, ${max}`);
  }
  return min + Math.floor(rand() * (max - min + 1));
}

/** One element chosen uniformly. Throws on an empty array (a caller bug, not a user mistake). */
export function pick<T>(rand: RandomSource, items: readonly T[]): T {
  if (items.length === 0) throw new RangeError('pick: empty array');
  return items[Math.floor(rand() * items.length)];
}

/** Fisher–Yates shuffle in place; returns the same array for chaining. */
export function shuffle<T>(rand: RandomSource, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** Normal deviate via Box–Muller (one of the pair; the other is discarded to keep the state simple). */
export function normal(rand: RandomSource, mean = 0, stdDev = 1): number {
  // 1 - rand() lies in (0, 1], so the log is finite.
  const u1 = 1 - rand();
  const u2 = rand();
  return mean + stdDev * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** Derives an independent 32-bit seed from a seed and a label, so sub-streams do not overlap trivially. */
export function deriveSeed(seed: number, label: string): number {
  // FNV-1a over the label, mixed with the seed.
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}
