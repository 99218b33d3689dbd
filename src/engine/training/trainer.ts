/**
 * The Trainer contract: one for the in-process trainer (one replica on this thread) and the mirrored
 * trainer (N replicas in workers), so the page, the CLI and the tests drive either the same way, and both
 * behave the same (tests/unit/engine/training/contract.test.ts runs one suite against both):
 * - start() runs until the run is finished, stopped or failed. On an error the trainer emits `runFailed`
 *   (the Training panel shows it; a replica's fault names the replica), enters state `failed`, ends its
 *   workers, and start() rejects with that error (the CLI turns it into its exit status and message). An
 *   error after an abort is no failure: the run is `stopped`.
 * - pause() takes effect at once (state `paused`); the run waits before its next step until resume() (state
 *   `running`) or stop(). The step in flight, and its epoch's end (validation, checkpoint), are finished
 *   first: `runAtRest` says when the run waits. A mirrored run also pauses by itself when a replica fails,
 *   until resume() (continue with the replicas left), recoverWith('restart') or stop().
 * - start({ resume: true }) goes on after the checkpoint it finds, and says which (`resumedFrom`).
 * - stop() ends the run before its next step and resolves once it has ended (state `stopped`); an epoch
 *   whose last step was taken is still completed (validation, checkpoint). An abort signal ends it at once,
 *   completing nothing more (a mirrored run's workers end immediately). The last checkpoint stays intact.
 * - An epoch (or a step) without a single real token has no loss: NaN, not 0; such a step changes nothing.
 * Events are plain data (structured-clone safe): they cross threads and go into the store as they are.
 */
import { serializeError } from '../../protocol/replica.ts';
import { defaultTrainConfig, type Bleu, type TrainConfig, type TrainerEvent, type TrainerState } from '../../protocol/training.ts';

export {
  defaultTrainConfig,
  maxReplicas,
  zeroBleu,
  type AllReduceAlgorithm,
  type BackendName,
  type Bleu,
  type Layout,
  type Precision,
  type ReplicaFaultCause,
  type ReplicaPhasesMs,
  type SerializedError,
  type TrainConfig,
  type TrainerEvent,
  type TrainerState,
} from '../../protocol/training.ts';

/** Below this many training images a dataset is "small" (the demo: 210) for defaultTrainConfigFor. */
export const SMALL_DATASET_IMAGES = 1000;
/** Features narrower than this (the demo CNN's 39 attribute probabilities) get no dropout by default. */
export const NARROW_FEATURES = 100;

/**
 * The default settings for a dataset, read by the CLI and the studio alike: the notebook's (defaultTrainConfig)
 * for a Flickr8K-sized dataset with CNN features, adjusted where they cannot work:
 * - fewer than SMALL_DATASET_IMAGES training images: batch 16, since a batch of 64 leaves the default demo 4
 *   steps an epoch (80 in 20 epochs: it then says one caption for every picture); learning rate 5e-3, which
 *   learns the default demo faster than 2e-3 (validation BLEU-1 0.735 after 2 epochs against 0.491); and 15
 *   epochs, after which 5e-3 stands where 2e-3 stood after 20 (test BLEU-1 0.912 and demo score 97.8%, against
 *   0.916 and 95.6%; unseen seed BLEU-1 0.927), in three quarters of a student's wait;
 * - features narrower than NARROW_FEATURES values: dropout 0, since dropping one of the demo CNN's attribute
 *   probabilities erases the very colour or shape the caption must name (on the default demo, dropout 0.1
 *   named every object right in 87% of test pictures, 0 in 93%); wide CNN features (4096) are redundant and
 *   keep the notebook's 0.4 against overfitting.
 */
export function defaultTrainConfigFor(data: { trainImages: number; featureDim: number }): TrainConfig {
  const small = data.trainImages < SMALL_DATASET_IMAGES;
  return {
    ...defaultTrainConfig,
    ...(small ? { batchSize: 16, learningRate: 5e-3, epochs: 15 } : {}),
    ...(data.featureDim < NARROW_FEATURES ? { dropout: 0 } : {}),
  };
}

export type TrainerListener = (event: TrainerEvent) => void;

export interface StartOptions {
  /** Continue from the last checkpoint in the trainer's store. */
  resume?: boolean;
  /** Ends the run at once (see the contract above). */
  signal?: AbortSignal;
}

export interface Trainer {
  readonly state: TrainerState;
  /** Runs until finished, stopped or failed; resolves then, rejects with the error of a failed run. */
  start(options?: StartOptions): Promise<void>;
  pause(): void;
  resume(): void;
  /** Ends the run before its next step; resolves once it has ended. The last checkpoint stays intact. */
  stop(): Promise<void>;
  /** Loss and BLEU-1..4 on a split with greedy decoding, of the current weights (after a run: those it ended with). */
  evaluate(split: 'val' | 'test', options?: { limit?: number }): Promise<{ loss: number; bleu: Bleu }>;
  on(listener: TrainerListener): () => void;
  /** Ends a run still going as an abort would, then releases everything the trainer holds. */
  dispose(): Promise<void>;
}

/** What a paused run is told: go on (after a fault: with the replicas left), restart lost replicas first, or end. */
export type RunDecision = 'continue' | 'restart' | 'stop';

/**
 * The contract's shared half: listeners, state, start/pause/resume/stop, aborts and the failure rule.
 * A trainer implements run() (calling beforeStep() before every step) and, where it holds more, the hooks.
 */
export abstract class TrainerBase implements Trainer {
  state: TrainerState = 'idle';
  private readonly listeners = new Set<TrainerListener>();
  private running: Promise<void> | null = null;
  private stopping = false;
  private abortReason: string | null = null;
  private wake: ((decision: RunDecision) => void) | null = null;

  /** The run itself: returns when it is done or should end (beforeStep() said so); throws on an error. */
  protected abstract run(options: { resume: boolean }): Promise<void>;

  abstract evaluate(split: 'val' | 'test', options?: { limit?: number }): Promise<{ loss: number; bleu: Bleu }>;

  /** An abort: the run must end at once (the mirrored trainer ends its workers here). */
  protected onAbort(_reason: string): void {}

  /** After the run, whatever its outcome (the mirrored trainer keeps replica 0's state and ends its workers). */
  protected async afterRun(): Promise<void> {}

  /** Releases what the trainer holds (dispose(), after any run has ended). */
  protected async release(): Promise<void> {}

  /** What runFailed says besides the error (the mirrored trainer names a failed replica). */
  protected failureDetails(_error: unknown): { replica?: number } {
    return {};
  }

  on(listener: TrainerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected emit(event: TrainerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  protected setState(state: TrainerState, reason?: string): void {
    this.state = state;
    this.emit({ type: 'stateChanged', state, ...(reason ? { reason } : {}) });
  }

  /** stop() was called or the run was aborted: no further step. */
  protected get stopRequested(): boolean {
    return this.stopping;
  }

  protected get aborted(): boolean {
    return this.abortReason !== null;
  }

  /** Whether a run is going on now. */
  get isRunning(): boolean {
    return this.running !== null;
  }

  start(options: StartOptions = {}): Promise<void> {
    if (this.running) return this.running;
    this.stopping = false;
    this.abortReason = null;
    this.running = this.runToEnd(options).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runToEnd(options: StartOptions): Promise<void> {
    const signal = options.signal;
    const onAbort = () => this.abort('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      this.setState('running');
      if (signal?.aborted) onAbort();
      await this.run({ resume: options.resume ?? false });
      if (this.state !== 'stopped') this.setState(this.stopping ? 'stopped' : 'finished', this.stopping ? (this.abortReason ?? 'stopped by request') : undefined);
    } catch (error) {
      if (this.aborted) {
        // The abort cut the run short (its workers are gone): not a failure.
        if (this.state !== 'stopped') this.setState('stopped', this.abortReason!);
        return;
      }
      this.emit({ type: 'runFailed', error: serializeError(error), ...this.failureDetails(error) });
      this.setState('failed', error instanceof Error ? error.message : String(error));
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.afterRun();
    }
  }

  pause(): void {
    if (this.state === 'running') this.setState('paused', 'paused by the user');
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.setState('running');
    this.wake?.('continue');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.('stop');
    // The run's own outcome (a failure included) is start()'s to report.
    await this.running?.catch(() => undefined);
  }

  async dispose(): Promise<void> {
    this.abort('disposed');
    await this.running?.catch(() => undefined);
    await this.release();
    this.listeners.clear();
  }

  /** Ends a run at once (nothing more is computed or saved). */
  private abort(reason: string): void {
    if (!this.running || this.aborted) return;
    this.abortReason = reason;
    this.stopping = true;
    this.wake?.('stop');
    this.onAbort(reason);
  }

  /** Steps completed in the run so far (what runAtRest reports). */
  protected abstract get stepsDone(): number;

  /** Before every step: waits while paused; false when the run must end now (stop, abort). */
  protected async beforeStep(): Promise<boolean> {
    while (this.state === 'paused' && !this.stopping) {
      const decided = this.nextDecision();
      this.emit({ type: 'runAtRest', step: this.stepsDone });
      if ((await decided) === 'stop') return false;
    }
    return !this.stopping;
  }

  /**
   * Pauses the run with a reason (a failed replica) until resume(), a restart or stop() decides. The state
   * is announced after the wait begins: a listener may decide at once, inside the stateChanged event.
   */
  protected pauseFor(reason: string): Promise<RunDecision> {
    const decided = this.nextDecision();
    this.setState('paused', reason);
    this.emit({ type: 'runAtRest', step: this.stepsDone });
    return decided;
  }

  /** Tells a paused run to go on after `decision` (the mirrored trainer's recoverWith). */
  protected decide(decision: RunDecision): void {
    if (this.state !== 'paused') return;
    if (decision !== 'stop') this.setState('running');
    this.wake?.(decision);
  }

  private nextDecision(): Promise<RunDecision> {
    if (this.stopping) return Promise.resolve('stop');
    return new Promise((resolve) => {
      this.wake = (decision) => {
        this.wake = null;
        resolve(decision);
      };
    });
  }
}
