import { spanRates } from '../../store/slices/training/hiddenPage.ts';
import { formatDuration } from '../panelKit/ProgressBar.tsx';
import { useSession } from '../panelKit/hooks.ts';
import { useStudio } from '../storeContext.tsx';
import { fmt } from './ChartBox.tsx';

const clock = (ms: number) => new Date(ms).toLocaleTimeString('en-GB');

/**
 * A hidden tab and the run: a run on the page's own thread says that it slows while the tab is hidden and
 * offers to continue in a worker from its last checkpoint; each time the page was hidden during the run is
 * listed with the steps per second then and in the visible stretch before.
 */
export function HiddenPage() {
  const session = useSession();
  const state = useStudio((s) => s.training.state);
  const placement = useStudio((s) => s.training.placement);
  const replicas = useStudio((s) => s.training.config.replicas);
  const checkpoint = useStudio((s) => s.training.lastCheckpoint);
  const spans = useStudio((s) => s.training.visibility.spans);
  const active = state === 'running' || state === 'paused';
  const onPage = placement === 'page' && replicas <= 1;
  return (
    <>
      {active && onPage ? (
        <p className="sp-notice" role="status" data-testid="page-thread-notice">
          This run trains on the page&apos;s own thread: while this tab is hidden the browser may slow it down or freeze it (a hidden
          tab&apos;s timers wake about once a second, and a tab in the background may be frozen to save energy); a worker goes on at
          full speed.{' '}
          <button type="button" data-testid="move-to-worker" disabled={!checkpoint} onClick={() => void session.moveToWorker()}>
            Move to a worker
          </button>{' '}
          {checkpoint ? `continues from the last checkpoint (step ${checkpoint.step}) in a worker` : <span className="sp-reason">possible once the first checkpoint is written (end of epoch 1)</span>}
        </p>
      ) : null}
      {active && !onPage ? <p className="sp-status">This run trains in workers: it goes on while this tab is hidden.</p> : null}
      {spans.length ? (
        <ul className="sp-status" data-testid="hidden-spans">
          {spans.map((span) => {
            const { hiddenStepsPerSecond, visibleStepsPerSecond } = spanRates(span);
            const steps = span.stepsAtShow === null ? null : span.stepsAtShow - span.stepsAtHide;
            return (
              <li
                key={span.fromMs}
                data-testid="hidden-span"
                data-hidden-steps={steps ?? ''}
                data-hidden-rate={hiddenStepsPerSecond ?? ''}
                data-visible-rate={visibleStepsPerSecond ?? ''}
              >
                Page hidden from {clock(span.fromMs)}
                {span.toMs === null ? ' (still hidden)' : ` to ${clock(span.toMs)} (${formatDuration(span.toMs - span.fromMs)})`}
                {steps === null ? '' : `: ${steps} steps, ${fmt(hiddenStepsPerSecond, 2)} steps/s`}
                {visibleStepsPerSecond === null ? '' : `; visible before: ${fmt(visibleStepsPerSecond, 2)} steps/s`}
                {hiddenStepsPerSecond !== null && visibleStepsPerSecond ? ` (${fmt(hiddenStepsPerSecond / visibleStepsPerSecond, 2)}× while hidden)` : ''}
              </li>
            );
          })}
        </ul>
      ) : null}
    </>
  );
}
