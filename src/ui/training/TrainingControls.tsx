import { ErrorNote } from '../panelKit/ErrorNote.tsx';
import { useStudio } from '../storeContext.tsx';
import { useSession } from '../panelKit/hooks.ts';
import { calibrationStatus } from '../../store/slices/backendChoice.ts';

const STATE_TEXT: Record<string, string> = {
  idle: 'Not started.',
  running: 'Training…',
  paused: 'Paused: resume to go on from the same step.',
  stopped: 'Stopped. The last checkpoint is kept.',
  finished: 'Finished.',
  failed: 'Training stopped because of an error.',
};

// Between the click on Pause and the run's wait: an epoch's last step goes on to validation and a checkpoint.
const PAUSING_TEXT = "Pausing: finishing the step in progress (at an epoch's end, its validation and checkpoint too)…";
// Between the click (and auto's measuring) and the first step: the trainer is being built (workers start and
// load the model), seconds on a busy laptop, where the line read 'Not started.'.
const STARTING_TEXT = 'Starting the run: setting up the trainer (workers start and load the model)…';

export function TrainingControls() {
  const session = useSession();
  const state = useStudio((s) => s.training.state);
  const reason = useStudio((s) => s.training.stateReason);
  const atRest = useStudio((s) => s.training.atRest);
  const error = useStudio((s) => s.training.error);
  const epochsDone = useStudio((s) => s.training.epochs.length);
  const epochs = useStudio((s) => s.training.config.epochs);
  const steps = useStudio((s) => s.training.steps.step.length);
  const features = useStudio((s) => s.features.status);
  const checkpoint = useStudio((s) => s.training.lastCheckpoint);
  const keptStep = useStudio((s) => s.training.keptForReloadStep);
  const runId = useStudio((s) => s.training.runId);
  const stepsPerEpoch = useStudio((s) => s.training.stepsPerEpoch);
  // The Dataset panel's notice for the protocol this run would use: an empty training split comes first.
  const emptyTrain = useStudio((s) =>
    s.protocol === s.training.config.protocol ? (s.splitNotices.find((notice) => notice.split === 'train')?.message ?? null) : null,
  );
  // Between the click and the run's first step, auto measures each backend (seconds on a laptop): said here,
  // next to the button, instead of 'Not started.'.
  const measuring = useStudio((s) => (s.backendChoice.calibrating === 'training' ? calibrationStatus(s.backendChoice, 'training') : null));
  const unavailable = session.unavailable('train');
  // A checkpoint at the last epoch has nothing left to continue until Epochs is raised.
  const allEpochsDone = Boolean(checkpoint && checkpoint.epoch >= epochs);
  const active = state === 'running' || state === 'paused';
  const pausing = state === 'paused' && !atRest;
  // A fresh run has its id from the click on; until its first state change it is being set up.
  const starting = state === 'idle' && Boolean(runId);
  // While auto measures the backends, or the trainer is set up, the run is starting: a second click would
  // start nothing new.
  const startable = !active && !measuring && !starting;
  const notReady = emptyTrain ?? (features !== 'done' ? 'extract the features first (Features tab)' : null);
  return (
    <div>
      <div className="sp-actions">
        <button type="button" data-testid="train-start" disabled={!startable || Boolean(unavailable) || Boolean(notReady)} onClick={() => void session.startTraining()}>
          Start training
        </button>
        <button
          type="button"
          data-testid="train-continue"
          title={
            allEpochsDone
              ? `The checkpoint has all ${epochs} epochs: raise Epochs to train it further`
              : 'Continue from the last checkpoint with the same settings'
          }
          disabled={!startable || Boolean(unavailable) || Boolean(notReady) || !checkpoint || allEpochsDone}
          onClick={() => void session.startTraining({ resume: true })}
        >
          Continue from checkpoint{checkpoint ? ` (step ${checkpoint.step})` : ''}
        </button>
        <button type="button" data-testid="train-pause" disabled={state !== 'running'} onClick={() => session.pauseTraining()}>
          Pause
        </button>
        <button type="button" data-testid="train-resume" disabled={state !== 'paused'} onClick={() => session.resumeTraining()}>
          Resume
        </button>
        <button type="button" data-testid="train-stop" disabled={!active} onClick={() => void session.stopTraining()}>
          Stop
        </button>
        {unavailable || notReady ? <span className="sp-reason">Unavailable: {unavailable ?? notReady}</span> : null}
      </div>
      <p className="sp-status" aria-live="polite" data-testid="training-state" data-state={state} data-at-rest={state === 'paused' ? String(atRest) : undefined} data-steps={steps} data-steps-per-epoch={stepsPerEpoch ?? ''} data-run-id={runId ?? ''}>
        {measuring && !active ? measuring : pausing ? PAUSING_TEXT : starting ? STARTING_TEXT : (STATE_TEXT[state] ?? state)}
        {reason && state !== 'running' && !measuring && !pausing ? ` (${reason})` : ''} · epoch {Math.min(epochsDone + (active ? 1 : 0), epochs)} of {epochs} · {steps} steps
      </p>
      {active && keptStep !== null ? (
        <p className="sp-status" data-testid="checkpoint-kept" data-step={keptStep}>
          Checkpoint at step {keptStep} kept: a reload of this page offers to continue from it.
        </p>
      ) : null}
      <ErrorNote
        error={error ? { message: studentMessage(error.message, error.replica), detail: `${error.name}: ${error.message}${error.stack ? `\n${error.stack}` : ''}` } : null}
        testId="training-error"
      />
    </div>
  );
}

function studentMessage(message: string, replica?: number): string {
  const where = replica !== undefined ? `Replica ${replica} failed. ` : '';
  if (/device.*lost/i.test(message)) return `${where}The GPU stopped responding. Reload the page: the last checkpoint is kept.`;
  if (/memory/i.test(message)) return `${where}The browser ran out of memory: try a smaller batch size.`;
  return `${where}${message}`;
}
