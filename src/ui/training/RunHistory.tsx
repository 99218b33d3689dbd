import { useStudio } from '../storeContext.tsx';
import { fmt } from './ChartBox.tsx';

/**
 * The runs of this page session side by side: switch one setting (kernels, precision, replicas, where it
 * trains), train again, and read the speed-up here. Speeds are medians without the first step, which
 * compiles shaders and allocates.
 */
export function RunHistory() {
  const history = useStudio((s) => s.training.history);
  if (history.length === 0) return null;
  return (
    <figure className="sp-history" data-testid="run-history" data-runs={history.length}>
      <figcaption>
        <b>Runs on this page</b> (median tokens per second after the first step)
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
              <td>{fmt(run.finalLoss, 3)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}
