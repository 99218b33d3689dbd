import { describe, expect, it } from 'vitest';
import { epochRows, lossRows, lossScaleRows, throughputRows } from '../../../../src/ui/charts/trainingSeries';
import { emptySteps, reduceTrainerEvents, initialTrainingData } from '../../../../src/store/slices/training/index';
import type { TrainerEvent } from '../../../../src/engine/training/trainer';

function stepEvents(n: number, opts: { skipEvery?: number } = {}): TrainerEvent[] {
  return Array.from({ length: n }, (_, i) => ({
    type: 'stepCompleted' as const,
    epoch: Math.floor(i / 100),
    step: i % 100,
    loss: 5 * Math.exp(-i / 500) + 0.3 * Math.sin(i),
    tokens: 100,
    durationMs: 10,
    tokensPerSecond: 1000 + (i % 7),
    lossScale: 32768,
    skipped: opts.skipEvery ? i % opts.skipEvery === 0 : false,
  }));
}

describe('training chart series', () => {
  it('downsamples a long loss series to the budget, smoothed below raw noise, falling', () => {
    const t = reduceTrainerEvents(initialTrainingData(), stepEvents(5000));
    const rows = lossRows(t.steps, 0.9, 300);
    expect(rows.length).toBe(300);
    expect(rows[0].step).toBe(0);
    expect(rows[rows.length - 1].step).toBe(4999);
    expect(rows[rows.length - 1].smoothed!).toBeLessThan(rows[0].raw!);
    // memoised: same arrays, same rows object
    expect(lossRows(t.steps, 0.9, 300)).toBe(rows);
    expect(lossRows(t.steps, 0.5, 300)).not.toBe(rows);
  });

  it('shows skipped steps as gaps in loss and as marks on the loss-scale chart', () => {
    const t = reduceTrainerEvents(initialTrainingData(), stepEvents(1000, { skipEvery: 250 }));
    expect(t.skippedSteps).toBe(4);
    const rows = lossRows(t.steps, 0, 2000);
    expect(rows[250].raw).toBeNull();
    const scale = lossScaleRows(t.steps, 50);
    // Every skipped step is kept through downsampling, its dot drawn at the loss scale (not at the step number).
    expect(scale.filter((r) => r.skippedScale !== null).map((r) => r.step)).toEqual([0, 250, 500, 750]);
    expect(scale.filter((r) => r.skippedScale !== null).map((r) => r.skippedScale)).toEqual([32768, 32768, 32768, 32768]);
  });

  it('keeps throughput rows within budget', () => {
    const t = reduceTrainerEvents(initialTrainingData(), stepEvents(3000));
    const rows = throughputRows(t.steps, 200);
    expect(rows.length).toBeLessThanOrEqual(200);
    expect(Math.max(...rows.map((r) => r.tokensPerSecond))).toBe(1006);
    expect(throughputRows(emptySteps())).toEqual([]);
  });

  it('numbers epochs from 1 and spreads BLEU', () => {
    const rows = epochRows([{ epoch: 0, trainLoss: 4, valLoss: null, bleu: { bleu1: 0.4, bleu2: 0.2, bleu3: 0.1, bleu4: 0.05 }, durationMs: 1 }]);
    expect(rows).toEqual([{ epoch: 1, trainLoss: 4, valLoss: null, bleu1: 0.4, bleu2: 0.2, bleu3: 0.1, bleu4: 0.05 }]);
    // 1-based series (in-process trainer) stay as they are; NaN validation loss is drawn as a gap
    const oneBased = epochRows([{ epoch: 1, trainLoss: 4, valLoss: Number.NaN, bleu: null, durationMs: 1 }]);
    expect(oneBased[0]).toMatchObject({ epoch: 1, valLoss: null });
  });
});
