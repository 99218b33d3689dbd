import { describe, expect, it } from 'vitest';
import { nextMacrotask } from '../../../src/core/macrotask.ts';

describe('nextMacrotask', () => {
  it('resolves after the microtasks queued before it, in order', async () => {
    const seen: string[] = [];
    const yielded = nextMacrotask().then(() => seen.push('macrotask'));
    void Promise.resolve().then(() => seen.push('microtask'));
    await yielded;
    expect(seen).toEqual(['microtask', 'macrotask']);
  });

  it('keeps the order of many waiting callers', async () => {
    const seen: number[] = [];
    await Promise.all(Array.from({ length: 100 }, (_, k) => nextMacrotask().then(() => seen.push(k))));
    expect(seen).toEqual(Array.from({ length: 100 }, (_, k) => k));
  });
});
