/**
 * The replica timeline (Gantt chart) from the run's own segments: what each replica did in each of the last
 * steps, and the time between its segments, which is part of the timeline too. A wait before the first
 * step of an epoch is the previous epoch's validation (validation loss and BLEU decoding); any other wait,
 * and the idle time a replica reports inside a step, is idle. The bars drawn and the shares said in words
 * come from the same intervals, so a chart with grey in it never reads "0% idle". Times are in seconds.
 */
import type { TimelineSegment } from '../../store/slices/training/index.ts';

export type GanttPhase = 'compute' | 'communication' | 'validation' | 'idle';

/** Data keys of one step, stacked in this order: the wait before it, then its phases. */
export const stepParts = ['wait', 'compute', 'communication', 'apply', 'idle'] as const;
export type StepPart = (typeof stepParts)[number];

export interface GanttBar {
  replica: number;
  step: number;
  phase: GanttPhase;
  startS: number;
  durationS: number;
}

export interface GanttRow {
  replica: string;
  /** `s{step}_{part}` → seconds. */
  [segment: string]: number | string;
}

export interface Timeline {
  replicas: number[];
  steps: number[];
  bars: GanttBar[];
  /** One row per replica for a stacked horizontal bar chart, and its data keys in stacking order. */
  rows: GanttRow[];
  series: { key: string; part: StepPart; phase: GanttPhase; step: number }[];
  /** Share of the shown window per phase, per replica (0..1, summing to 1). */
  shares: Map<number, Record<GanttPhase, number>>;
  spanS: number;
}

export interface TimelineOptions {
  /** Steps in an epoch (0-based step k with k % stepsPerEpoch === 0 starts one); null: no validation phase. */
  stepsPerEpoch?: number | null;
  /** Steps shown (the most recent). */
  lastSteps?: number;
}

const partPhase = (part: StepPart, waitPhase: GanttPhase): GanttPhase =>
  part === 'wait' ? waitPhase : part === 'communication' ? 'communication' : part === 'idle' ? 'idle' : 'compute';

export function timeline(segments: readonly TimelineSegment[], options: TimelineOptions = {}): Timeline {
  const empty: Timeline = { replicas: [], steps: [], bars: [], rows: [], series: [], shares: new Map(), spanS: 0 };
  if (segments.length === 0) return empty;
  const lastSteps = options.lastSteps ?? 12;
  const perEpoch = options.stepsPerEpoch && options.stepsPerEpoch > 0 ? options.stepsPerEpoch : null;
  const maxStep = Math.max(...segments.map((s) => s.step));
  const shown = segments.filter((s) => s.step > maxStep - lastSteps);
  const steps = [...new Set(shown.map((s) => s.step))].sort((a, b) => a - b);
  const replicas = [...new Set(shown.map((s) => s.replica))].sort((a, b) => a - b);
  const originMs = Math.min(...shown.map((s) => s.startMs));
  const waitPhaseOf = (step: number): GanttPhase => (perEpoch !== null && step > 0 && step % perEpoch === 0 && step !== steps[0] ? 'validation' : 'idle');
  const series = steps.flatMap((step) => stepParts.map((part) => ({ key: `s${step}_${part}`, part, phase: partPhase(part, waitPhaseOf(step)), step })));

  const bars: GanttBar[] = [];
  const rows: GanttRow[] = [];
  let spanS = 0;
  for (const replica of replicas) {
    const row: GanttRow = { replica: `replica ${replica}` };
    let endS = 0;
    for (const step of steps) {
      const segment = shown.find((s) => s.replica === replica && s.step === step);
      const p = segment?.phasesMs;
      const startS = segment ? (segment.startMs - originMs) / 1000 : endS;
      const seconds: Record<StepPart, number> = {
        wait: Math.max(startS - endS, 0),
        compute: p ? (p.compute + p.readback) / 1000 : 0,
        communication: p ? p.allReduceWait / 1000 : 0,
        apply: p ? p.apply / 1000 : 0,
        idle: p ? p.idle / 1000 : 0,
      };
      let t = endS;
      for (const part of stepParts) {
        row[`s${step}_${part}`] = seconds[part];
        if (seconds[part] > 0) bars.push({ replica, step, phase: partPhase(part, waitPhaseOf(step)), startS: t, durationS: seconds[part] });
        t += seconds[part];
      }
      endS = t;
    }
    spanS = Math.max(spanS, endS);
    rows.push(row);
  }
  return { replicas, steps, bars, rows, series, shares: phaseShares(bars), spanS };
}

/** Share of time per phase over the shown window, per replica. */
export function phaseShares(bars: readonly GanttBar[]): Map<number, Record<GanttPhase, number>> {
  const out = new Map<number, Record<GanttPhase, number>>();
  for (const b of bars) {
    const r = out.get(b.replica) ?? { compute: 0, communication: 0, validation: 0, idle: 0 };
    r[b.phase] += b.durationS;
    out.set(b.replica, r);
  }
  for (const r of out.values()) {
    const total = r.compute + r.communication + r.validation + r.idle;
    if (total > 0) for (const k of ['compute', 'communication', 'validation', 'idle'] as const) r[k] /= total;
  }
  return out;
}
