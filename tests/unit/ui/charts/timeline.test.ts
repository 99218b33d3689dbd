/** The replica timeline: every interval drawn, idle counted from the segments, validation its own phase, seconds. */
import { describe, expect, it } from 'vitest';
import { stepParts, timeline } from '../../../../src/ui/charts/timeline';
import type { TimelineSegment } from '../../../../src/store/slices/training/index';

const phases = { compute: 400, readback: 100, allReduceWait: 200, apply: 100, idle: 0 };
const segment = (replica: number, step: number, startMs: number): TimelineSegment => ({ replica, step, startMs, phasesMs: phases });

describe('timeline', () => {
  it('stacks the wait before each step and its phases so every replica row lines up in time (seconds)', () => {
    const t = timeline([segment(0, 0, 100), segment(1, 0, 300), segment(0, 1, 2000), segment(1, 1, 2000)]);
    expect(t.series.map((s) => s.key).slice(0, 5)).toEqual(stepParts.map((p) => `s0_${p}`));
    expect(t.rows[0]).toMatchObject({ replica: 'replica 0', s0_wait: 0, s0_compute: 0.5, s0_communication: 0.2, s0_apply: 0.1, s1_wait: 1.1 });
    expect(t.rows[1]).toMatchObject({ replica: 'replica 1', s0_wait: 0.2, s1_wait: 0.9 });
    // Step 1 starts at the same time (1.9 s after the window's start) in both rows.
    const startOfStep1 = (row: Record<string, number | string>) => ['s0_wait', 's0_compute', 's0_communication', 's0_apply', 's0_idle', 's1_wait'].reduce((a, k) => a + (row[k] as number), 0);
    expect(startOfStep1(t.rows[0])).toBeCloseTo(1.9, 9);
    expect(startOfStep1(t.rows[1])).toBeCloseTo(1.9, 9);
    expect(t.spanS).toBeCloseTo(2.7, 9);
  });

  it('counts the gaps between segments as idle, drawn, so the shares agree with the picture', () => {
    // 0.8 s of work per step, steps 2 s apart: 1.2 s of every step after the first is a gap.
    const t = timeline([segment(0, 0, 0), segment(0, 1, 2000), segment(0, 2, 4000)]);
    const shares = t.shares.get(0)!;
    expect(shares.idle).toBeCloseTo(2.4 / 4.8, 9);
    expect(shares.compute).toBeCloseTo((3 * 0.6) / 4.8, 9);
    expect(shares.communication).toBeCloseTo(0.6 / 4.8, 9);
    expect(shares.validation).toBe(0);
    const idleBars = t.bars.filter((b) => b.phase === 'idle');
    expect(idleBars.map((b) => [b.step, Number(b.startS.toFixed(9)), Number(b.durationS.toFixed(9))])).toEqual([
      [1, 0.8, 1.2],
      [2, 2.8, 1.2],
    ]);
    expect(t.series.find((s) => s.key === 's1_wait')?.phase).toBe('idle');
  });

  it('labels the wait before the first step of an epoch as validation (the previous epoch\'s decoding)', () => {
    // Two steps an epoch: step 2 starts epoch 2, after 5 s of validation.
    const t = timeline([segment(0, 0, 0), segment(0, 1, 1000), segment(0, 2, 6800), segment(0, 3, 7800)], { stepsPerEpoch: 2 });
    expect(t.series.filter((s) => s.part === 'wait').map((s) => [s.step, s.phase])).toEqual([
      [0, 'idle'],
      [1, 'idle'],
      [2, 'validation'],
      [3, 'idle'],
    ]);
    const validation = t.bars.filter((b) => b.phase === 'validation');
    expect(validation).toHaveLength(1);
    expect(validation[0].durationS).toBeCloseTo(5, 9);
    expect(t.shares.get(0)!.validation).toBeCloseTo(5 / 8.6, 9);
  });

  it('counts the idle time a replica reports inside a step, and shows only the last steps', () => {
    const busy = { compute: 100, readback: 0, allReduceWait: 0, apply: 0, idle: 300 };
    const segments = Array.from({ length: 20 }, (_, step): TimelineSegment => ({ replica: 0, step, startMs: step * 400, phasesMs: busy }));
    const t = timeline(segments, { lastSteps: 5 });
    expect(t.steps).toEqual([15, 16, 17, 18, 19]);
    expect(t.shares.get(0)!.idle).toBeCloseTo(0.75, 9);
    expect(timeline([])).toMatchObject({ rows: [], bars: [], spanS: 0 });
  });
});
