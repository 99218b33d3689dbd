import { describe, expect, it } from 'vitest';
import { lttb, lttbIndices, minMaxIndices } from '../../../../src/ui/charts/downsample';
import { emaSmooth, RunningEma } from '../../../../src/ui/charts/smoothing';
import { FrameBatcher } from '../../../../src/studio/training/frameBatcher';

describe('lttb', () => {
  it('keeps first and last points and returns at most threshold points in order', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => i);
    const ys = xs.map((x) => Math.sin(x / 100));
    const idx = lttbIndices(xs, ys, 300);
    expect(idx.length).toBe(300);
    expect(idx[0]).toBe(0);
    expect(idx[idx.length - 1]).toBe(9_999);
    for (let i = 1; i < idx.length; i++) expect(idx[i]).toBeGreaterThan(idx[i - 1]);
  });

  it('keeps a single spike that every-nth sampling would miss', () => {
    const xs = Array.from({ length: 1000 }, (_, i) => i);
    const ys = xs.map((x) => (x === 503 ? 50 : 1));
    const idx = lttbIndices(xs, ys, 50);
    expect(idx).toContain(503);
  });

  it('returns the series unchanged when it is shorter than the threshold', () => {
    const pts = [
      { x: 0, y: 1 },
      { x: 1, y: 2 },
      { x: 2, y: 0 },
    ];
    expect(lttb(pts, 10)).toEqual(pts);
    expect(lttbIndices([0, 1, 2, 3], [1, 2, 3, 4], 2)).toEqual([0, 3]);
  });
});

describe('minMaxIndices', () => {
  it('keeps every bucket extreme', () => {
    const ys = Array.from({ length: 1000 }, (_, i) => (i % 97 === 0 ? -5 : i % 89 === 0 ? 9 : 0));
    const idx = minMaxIndices(ys, 100);
    expect(idx.length).toBeLessThanOrEqual(200);
    const kept = idx.map((i) => ys[i]);
    expect(Math.min(...kept)).toBe(-5);
    expect(Math.max(...kept)).toBe(9);
    // every global extreme position survives
    for (let i = 0; i < 1000; i++) if (i % 97 === 0) expect(idx).toContain(i);
  });
});

describe('emaSmooth', () => {
  it('is debiased: a constant series stays constant from the first point', () => {
    expect(emaSmooth([2, 2, 2, 2], 0.9)).toEqual([2, 2, 2, 2].map(() => expect.closeTo(2, 12)));
  });

  it('matches the TensorBoard formula and carries over non-finite points', () => {
    const s = emaSmooth([1, 3, Number.NaN, 5], 0.5);
    expect(s[0]).toBeCloseTo(1);
    expect(s[1]).toBeCloseTo((0.5 * 0.5 + 0.5 * 3) / (1 - 0.25));
    expect(s[2]).toBe(s[1]);
    const ema3 = 0.5 * (0.5 * 0.5 + 0.5 * 3) + 0.5 * 5;
    expect(s[3]).toBeCloseTo(ema3 / (1 - 0.125));
    const running = new RunningEma(0.5);
    [1, 3, Number.NaN, 5].forEach((v) => running.push(v));
    expect(running.value).toBeCloseTo(s[3]);
  });

  it('rejects a weight outside [0, 1)', () => {
    expect(() => emaSmooth([1], 1)).toThrow(RangeError);
  });
});

describe('FrameBatcher', () => {
  it('delivers all events of a frame in one call, in order', () => {
    const frames: (() => void)[] = [];
    const delivered: number[][] = [];
    const b = new FrameBatcher<number>((ev) => delivered.push(ev), (flush) => {
      frames.push(flush);
      return () => {};
    });
    for (let i = 0; i < 100; i++) b.push(i);
    expect(frames.length).toBe(1); // one frame scheduled for 100 events
    expect(delivered).toEqual([]);
    frames[0]();
    expect(delivered).toEqual([Array.from({ length: 100 }, (_, i) => i)]);
    b.push(100);
    expect(frames.length).toBe(2);
    b.dispose();
    expect(delivered[1]).toEqual([100]);
    expect(b.pending).toBe(0);
  });
});

describe('defaultFrameScheduler', () => {
  it('flushes by itself where there are no animation frames (Node, workers)', async () => {
    const { defaultFrameScheduler } = await import('../../../../src/studio/training/frameBatcher');
    const delivered: string[][] = [];
    const b = new FrameBatcher<string>((ev) => delivered.push(ev), defaultFrameScheduler);
    b.push('a');
    b.push('b');
    await new Promise((r) => setTimeout(r, 60));
    expect(delivered).toEqual([['a', 'b']]);
  });
});
