/**
 * One line per finished or stopped run of this page session, so an instructor can switch one knob (kernels,
 * precision, replicas, placement) and compare speed side by side. Plain data, kept across new runs.
 */
import type { RunBackend, StepSeries } from './training.ts';

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
}

export const maxRunHistory = 12;

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function summarizeRun(
  steps: StepSeries,
  backend: RunBackend | null,
  run: { replicas: number; placement: 'worker' | 'page'; batchSize: number; ended: string },
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
  };
}
