import { runTiming } from '../../store/slices/training/runTiming.ts';
import { formatDuration, ProgressBar } from '../panelKit/ProgressBar.tsx';
import { useStudio } from '../storeContext.tsx';

/** Where the run is: steps of all epochs, the time an epoch takes and, while it goes, the time left. */
export function RunProgress() {
  const t = useStudio((s) => s.training);
  const timing = runTiming(t);
  if (timing.stepsDone === 0) return null;
  const active = t.state === 'running' || t.state === 'paused';
  const perEpoch =
    timing.msPerEpoch === null
      ? null
      : timing.estimated
        ? `about ${formatDuration(timing.msPerEpoch)} per epoch (estimated from ${timing.stepsDone} steps)`
        : `${formatDuration(timing.msPerEpoch)} per epoch${t.epochs.length > 1 && timing.lastEpochMs !== null ? ` (last: ${formatDuration(timing.lastEpochMs)})` : ''}`;
  return (
    <div data-testid="run-progress" data-eta-ms={active && timing.etaMs !== null ? Math.round(timing.etaMs) : ''} data-epoch-ms={timing.msPerEpoch === null ? '' : Math.round(timing.msPerEpoch)}>
      {timing.totalSteps !== null ? (
        <ProgressBar label="Steps" done={Math.min(timing.stepsDone, timing.totalSteps)} total={timing.totalSteps} rate={perEpoch} etaMs={active ? timing.etaMs : null} />
      ) : perEpoch ? (
        <p className="sp-status">{perEpoch}</p>
      ) : null}
    </div>
  );
}
