/**
 * Chart data from the training slice: downsampled, smoothed rows ready for recharts. Each function is memoised
 * on the input arrays' identity (the store replaces them only when new events arrive), so a render that did
 * not bring new steps costs nothing.
 */
import type { EpochPoint, StepSeries, TimelineSegment } from '../../store/slices/training.ts';
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

export type GanttPhase = 'compute' | 'communication' | 'idle';

export interface GanttBar {
  replica: number;
  step: number;
  phase: GanttPhase;
  startMs: number;
  durationMs: number;
}

/**
 * Gantt bars per replica: compute (forward/backward + readback + apply), communication (all-reduce wait),
 * idle; times relative to the earliest shown segment so the window starts at 0.
 */
export function ganttBars(segments: readonly TimelineSegment[]): { bars: GanttBar[]; replicas: number[]; spanMs: number } {
  if (segments.length === 0) return { bars: [], replicas: [], spanMs: 0 };
  const origin = Math.min(...segments.map((s) => s.startMs));
  const bars: GanttBar[] = [];
  let end = 0;
  const replicas = new Set<number>();
  for (const s of segments) {
    replicas.add(s.replica);
    let t = s.startMs - origin;
    const p = s.phasesMs;
    const phases: [GanttPhase, number][] = [
      ['compute', p.compute + p.readback],
      ['communication', p.allReduceWait],
      ['compute', p.apply],
      ['idle', p.idle],
    ];
    for (const [phase, durationMs] of phases) {
      if (durationMs > 0) bars.push({ replica: s.replica, step: s.step, phase, startMs: t, durationMs });
      t += Math.max(durationMs, 0);
    }
    end = Math.max(end, t);
  }
  return { bars, replicas: [...replicas].sort((a, b) => a - b), spanMs: end };
}

/** Share of time per phase over the shown window, per replica (for the legend and a screen reader). */
export function phaseShares(bars: readonly GanttBar[]): Map<number, Record<GanttPhase, number>> {
  const out = new Map<number, Record<GanttPhase, number>>();
  for (const b of bars) {
    const r = out.get(b.replica) ?? { compute: 0, communication: 0, idle: 0 };
    r[b.phase] += b.durationMs;
    out.set(b.replica, r);
  }
  for (const r of out.values()) {
    const total = r.compute + r.communication + r.idle;
    if (total > 0) for (const k of ['compute', 'communication', 'idle'] as const) r[k] /= total;
  }
  return out;
}

/** Per-step phases in a fixed order so stacked bars line up: gap (not drawn), then the four phases. */
export const ganttKeys = ['gap', 'compute', 'communication', 'apply', 'idle'] as const;
export type GanttKey = (typeof ganttKeys)[number];

export interface GanttRow {
  replica: string;
  /** `s{step}_{key}` → milliseconds. */
  [segment: string]: number | string;
}

/**
 * Rows for a stacked horizontal bar chart (one row per replica): for each of the last `lastSteps` steps the
 * wait since the previous segment ended ('gap', drawn transparent) then compute, communication, apply, idle.
 * `series` lists the data keys in stacking order with their phase, for the chart's <Bar> elements.
 */
export function ganttRows(
  segments: readonly TimelineSegment[],
  lastSteps = 12,
): { rows: GanttRow[]; series: { key: string; phase: GanttKey; step: number }[] } {
  if (segments.length === 0) return { rows: [], series: [] };
  const maxStep = Math.max(...segments.map((s) => s.step));
  const shown = segments.filter((s) => s.step > maxStep - lastSteps);
  const steps = [...new Set(shown.map((s) => s.step))].sort((a, b) => a - b);
  const origin = Math.min(...shown.map((s) => s.startMs));
  const replicas = [...new Set(shown.map((s) => s.replica))].sort((a, b) => a - b);
  const series = steps.flatMap((step) => ganttKeys.map((phase) => ({ key: `s${step}_${phase}`, phase, step })));
  const rows = replicas.map((replica) => {
    const row: GanttRow = { replica: `replica ${replica}` };
    let endMs = 0;
    for (const step of steps) {
      const seg = shown.find((s) => s.replica === replica && s.step === step);
      const p = seg?.phasesMs;
      const start = seg ? seg.startMs - origin : endMs;
      const values: Record<GanttKey, number> = {
        gap: Math.max(start - endMs, 0),
        compute: p ? p.compute + p.readback : 0,
        communication: p ? p.allReduceWait : 0,
        apply: p ? p.apply : 0,
        idle: p ? p.idle : 0,
      };
      for (const k of ganttKeys) row[`s${step}_${k}`] = values[k];
      endMs = Math.max(start, endMs) + values.compute + values.communication + values.apply + values.idle;
    }
    return row;
  });
  return { rows, series };
}
