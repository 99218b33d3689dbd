/**
 * What the run table's and the timeline's step-time numbers mean, in a student's words (the headers' and
 * labels' tooltips). The numbers come from src/store/slices/training/stepBreakdown.ts.
 */
export const STEP_TIME_TIPS = {
  compute:
    'Compute: ms per step a replica spends on its own work — forward and backward pass on its share of the batch, reading the gradients back, and the optimizer update. Median over the steps (the first left out).',
  allReduce:
    'All-reduce: ms per step spent exchanging and summing the gradients between replicas once all of them are ready. Only runs with 2 or more replicas have one.',
  idle:
    'Idle: ms per step a replica waits without working — for the slowest replica to finish its gradients, and for the step\'s messages from and to the coordinating page. Only runs with 2 or more replicas have one.',
} as const;

/** Milliseconds for a table cell: whole ms from 10 up, one decimal below. */
export function stepMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  return ms >= 10 ? ms.toFixed(0) : ms.toFixed(1);
}
