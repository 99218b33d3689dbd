/**
 * Chart data from the training slice: downsampled, smoothed rows ready for recharts. Each function is memoised
 * on the input arrays' identity (the store replaces them only when new events arrive), so a render that did
 * not bring new steps costs nothing.
 */
import type { EpochPoint, StepSeries } from '../../store/slices/training/index.ts';
import { lttbIndices, minMaxIndices } from './downsample.ts';
import { emaSmooth } from './smoothing.ts';

export const defaultMaxPoints = 400;

export interface LossRow {
  step: number;
  epoch: number;
  raw: number | null;
  smoothed: number | null;
}

function memo<K extends object, R>(compute: (key: K, extra: string) => R): (key: K, extra: string) => R {
  const cache = new WeakMap<K, Map<string, R>>();
  return (key, extra) => {
    let byExtra = cache.get(key);
    if (!byExtra) cache.set(key, (byExtra = new Map()));
    let value = byExtra.get(extra);
    if (value === undefined) {
      value = compute(key, extra);
      byExtra.clear(); // only the latest setting per series is worth keeping
      byExtra.set(extra, value);
    }
    return value;
  };
}

const finiteOrNull = (v: number) => (Number.isFinite(v) ? v : null);

const lossRowsMemo = memo((steps: StepSeries, extra: string): LossRow[] => {
  const [alphaText, maxText] = extra.split('|');
  const smoothed = emaSmooth(steps.loss, Number(alphaText));
  // LTTB on the smoothed curve keeps its shape; raw values at the same indices show the noise around it.
  const ys = smoothed.map((v) => (Number.isFinite(v) ? v : 0));
  return lttbIndices(steps.step, ys, Number(maxText)).map((i) => ({
    step: steps.step[i],
    epoch: steps.epoch[i],
    raw: finiteOrNull(steps.loss[i]),
    smoothed: finiteOrNull(smoothed[i]),
  }));
});

/** Loss per step, raw and EMA-smoothed (weight `alpha`), at most `maxPoints` rows. */
export function lossRows(steps: StepSeries, alpha = 0.9, maxPoints = defaultMaxPoints): LossRow[] {
  return lossRowsMemo(steps, `${alpha}|${maxPoints}`);
}

export interface ThroughputRow {
  step: number;
  tokensPerSecond: number;
}

const throughputMemo = memo((steps: StepSeries, extra: string): ThroughputRow[] =>
  minMaxIndices(steps.tokensPerSecond, Math.floor(Number(extra) / 2)).map((i) => ({
    step: steps.step[i],
    tokensPerSecond: steps.tokensPerSecond[i],
  })),
);

/** Tokens per second per step, min/max-bucketed so throughput dips stay visible. */
export function throughputRows(steps: StepSeries, maxPoints = defaultMaxPoints): ThroughputRow[] {
  return throughputMemo(steps, String(maxPoints));
}

export interface LossScaleRow {
  step: number;
  lossScale: number | null;
  /** At a skipped step: the loss scale after it was halved, the height of the red dot; else null. */
  skippedScale: number | null;
}

const lossScaleMemo = memo((steps: StepSeries, extra: string): LossScaleRow[] => {
  const n = steps.step.length;
  const maxPoints = Number(extra);
  // Every skipped step is kept (they are rare and the point of the chart); the scale itself is bucketed.
  const keep = new Set(minMaxIndices(steps.lossScale.map((v) => (Number.isFinite(v) ? v : 0)), Math.floor(maxPoints / 2)));
  for (let i = 0; i < n; i++) if (steps.skipped[i]) keep.add(i);
  return [...keep]
    .sort((a, b) => a - b)
    .map((i) => ({ step: steps.step[i], lossScale: finiteOrNull(steps.lossScale[i]), skippedScale: steps.skipped[i] ? finiteOrNull(steps.lossScale[i]) : null }));
});

export function lossScaleRows(steps: StepSeries, maxPoints = defaultMaxPoints): LossScaleRow[] {
  return lossScaleMemo(steps, String(maxPoints));
}

export function hasLossScale(steps: StepSeries): boolean {
  return steps.lossScale.some(Number.isFinite);
}

export interface EpochRow {
  epoch: number;
  trainLoss: number;
  valLoss: number | null;
  bleu1: number | null;
  bleu2: number | null;
  bleu3: number | null;
  bleu4: number | null;
}

/**
 * Epochs are few (tens): no downsampling, numbered from 1 for people. Both trainers number epochs from 1;
 * runs saved before the mirrored trainer did so hold epoch 0, and such a series is shifted by one.
 */
export function epochRows(epochs: readonly EpochPoint[]): EpochRow[] {
  const shift = epochs.some((e) => e.epoch === 0) ? 1 : 0;
  const finite = (v: number | null) => (v !== null && Number.isFinite(v) ? v : null);
  return epochs.map((e) => ({
    epoch: e.epoch + shift,
    trainLoss: e.trainLoss,
    valLoss: finite(e.valLoss),
    bleu1: e.bleu?.bleu1 ?? null,
    bleu2: e.bleu?.bleu2 ?? null,
    bleu3: e.bleu?.bleu3 ?? null,
    bleu4: e.bleu?.bleu4 ?? null,
  }));
}
