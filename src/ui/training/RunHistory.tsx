import { useStudio } from '../storeContext.tsx';
import { fmt } from './ChartBox.tsx';
import { STEP_TIME_TIPS, stepMs } from './stepTimeWords.ts';

/**
 * The runs of this page session side by side: switch one setting (kernels, precision, replicas, where it
 * trains), train again, and read the speed-up here. Speeds are medians without the first step, which
 * compiles shaders and allocates. The three columns after the speed say why a run with replicas is as fast as it is:
 * where a step's time went (compute, all-reduce, idle; one replica: compute only).
 */
/** The idle tip, with how much of this run's idle was waiting for the slowest replica. */
function idleTip(slowestWaitMs: number | null | undefined): string {
  return slowestWaitMs === null || slowestWaitMs === undefined ? STEP_TIME_TIPS.idle : `${STEP_TIME_TIPS.idle} In this run ${stepMs(slowestWaitMs)} ms of it was waiting for the slowest replica.`;
}

export function RunHistory() {
  const history = useStudio((s) => s.training.history);
  if (history.length === 0) return null;
  return (
    <figure className="sp-history" data-testid="run-history" data-runs={history.length}>
      <figcaption>
        <b>Runs on this page</b> (median tokens per second after the first step; compute, all-reduce and idle in ms per step)
      </figcaption>
      <table className="sp-table">
        <thead>
          <tr>
            <th>#</th>
            <th>Backend</th>
            <th>Precision</th>
            <th>Kernels</th>
            <th>Where</th>
            <th>Batch</th>
            <th>Steps</th>
            <th>Skipped</th>
            <th>Tokens/s</th>
            <th title={STEP_TIME_TIPS.compute}>Compute ms</th>
            <th title={STEP_TIME_TIPS.allReduce}>All-reduce ms</th>
            <th title={STEP_TIME_TIPS.idle}>Idle ms</th>
            <th>Loss (last steps)</th>
          </tr>
        </thead>
        <tbody>
          {history.map((run, i) => (
            <tr key={i} data-kernels={run.kernels} data-precision={run.precision} data-ended={run.ended}>
              <td>{i + 1}</td>
              <td>{run.backend}</td>
              <td>{run.precision}</td>
              <td>{run.kernels}</td>
              <td>{run.placement === 'pytorch' ? `PyTorch DDP, ${run.replicas} rank(s)` : run.replicas > 1 ? `${run.replicas} replicas` : run.placement === 'page' ? 'this page' : 'a worker'}</td>
              <td>{run.batchSize}</td>
              <td>
                {run.steps}
                {` (${run.ended})`}
              </td>
              <td>{run.skippedSteps}</td>
              <td>{fmt(run.medianTokensPerSecond, 0)}</td>
              <td data-testid="history-compute-ms" data-ms={run.breakdown?.computeMs ?? ''} title={STEP_TIME_TIPS.compute}>
                {stepMs(run.breakdown?.computeMs)}
              </td>
              <td data-testid="history-allreduce-ms" data-ms={run.breakdown?.allReduceMs ?? ''} title={STEP_TIME_TIPS.allReduce}>
                {stepMs(run.breakdown?.allReduceMs)}
              </td>
              <td data-testid="history-idle-ms" data-ms={run.breakdown?.idleMs ?? ''} title={idleTip(run.breakdown?.slowestWaitMs)}>
                {stepMs(run.breakdown?.idleMs)}
              </td>
              <td>{fmt(run.finalLoss, 3)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
