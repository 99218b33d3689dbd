/**
 * One line per finished or stopped run of this page session, so an instructor can switch one knob (kernels,
 * precision, replicas, placement) and compare speed side by side. Plain data, kept across new runs.
 */
import type { RunBackend, StepSeries } from './data.ts';
import { computeOnlyBreakdown, median, stepBreakdown, type PhaseSegment, type StepBreakdown } from './stepBreakdown.ts';

export interface RunSummary {
  backend: string;
  precision: string;
  kernels: string;
  replicas: number;
  /** 'pytorch': a run exported for PyTorch DDP and imported back with its log (replicas = its ranks). */
  placement: 'worker' | 'page' | 'pytorch';
  batchSize: number;
  steps: number;
  skippedSteps: number;
  /** Median over the steps after the first (the first compiles shaders and allocates): null with one step. */
  medianTokensPerSecond: number | null;
  /** Mean of the last (up to 10) finite step losses. */
  finalLoss: number | null;
  /** How the run ended: 'finished' or 'stopped'. */
  ended: string;
  /**
   * Where a step's time went (stepBreakdown.ts): with replicas, the medians over the timeline's last steps;
   * with one replica its compute only. Absent for a run imported from elsewhere (a PyTorch DDP log).
   */
  breakdown?: StepBreakdown | null;
}

export const maxRunHistory = 12;

export function summarizeRun(
  steps: StepSeries,
  backend: RunBackend | null,
  run: { replicas: number; placement: 'worker' | 'page'; batchSize: number; ended: string },
  timeline: readonly PhaseSegment[] = [],
): RunSummary {
  const rates = steps.tokensPerSecond.slice(1).filter(Number.isFinite);
  const losses = steps.loss.filter(Number.isFinite).slice(-10);
  return {
    backend: backend?.backend ?? 'unknown',
    precision: backend?.precision ?? 'float32',
    kernels: backend?.kernels ?? 'not reported',
    replicas: run.replicas,
    placement: run.placement,
    batchSize: run.batchSize,
    steps: steps.step.length,
    skippedSteps: steps.skipped.reduce((n, s) => n + s, 0),
    medianTokensPerSecond: median(rates),
    finalLoss: losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : null,
    ended: run.ended,
    // Mirrored replicas report their phases; one replica on the page or in a worker spends its step computing.
    breakdown: timeline.length ? stepBreakdown(timeline) : computeOnlyBreakdown(steps.durationMs),
  };
}
