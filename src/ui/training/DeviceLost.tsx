import { useSession } from '../panelKit/hooks.ts';
import { useStudio } from '../storeContext.tsx';

/**
 * A GPU device the run trained on was lost: what is kept (the last checkpoint) and the user's choice of
 * where the run goes on, a new GPU device or wasm.
 */
export function DeviceLost() {
  const session = useSession();
  const lost = useStudio((s) => s.training.deviceLost);
  const state = useStudio((s) => s.training.state);
  const checkpoint = useStudio((s) => s.training.lastCheckpoint);
  const replicas = useStudio((s) => s.training.mirrored?.replicas ?? 1);
  if (!lost || state === 'running') return null;
  const whose = lost.replica === undefined ? "This page's GPU device" : `The GPU device of replica ${lost.replica}`;
  const restartsReplica = lost.replica !== undefined && replicas > 1 && state === 'paused';
  const from = restartsReplica ? 'from the other replicas\u2019 weights, no step lost' : checkpoint ? `from the checkpoint of step ${checkpoint.step}` : null;
  return (
    <div className="sp-notice" role="alert" data-testid="device-lost" data-step={lost.step} data-replica={lost.replica ?? ''}>
      <p>
        {whose} was lost at step {lost.step} ({lost.message}). {checkpoint ? `The last checkpoint (step ${checkpoint.step}) is kept.` : 'There is no checkpoint yet: start the run again.'}
      </p>
      {lost.continuingOn ? (
        <p className="sp-reason" data-testid="device-lost-continuing">
          Continuing on {lost.continuingOn === 'gpu' ? 'a new GPU device' : 'wasm'}…
        </p>
      ) : from ? (
        <p className="sp-actions">
          <button type="button" data-testid="continue-new-device" onClick={() => void session.continueAfterDeviceLoss('gpu')}>
            Continue on a new GPU device
          </button>
          <button type="button" data-testid="continue-wasm" disabled={!checkpoint} onClick={() => void session.continueAfterDeviceLoss('wasm')}>
            Continue on wasm
          </button>
          <span className="sp-reason">
            a new device: {from}; wasm: {checkpoint ? `from the checkpoint of step ${checkpoint.step}` : 'needs a checkpoint'}
          </span>
        </p>
      ) : null}
    </div>
  );
}
