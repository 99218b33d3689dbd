/**
 * MirroredTrainer: N replicas in workers, each with a full model and optimizer, kept identical by
 * synchronous data parallelism. Per step: the global batch is cut into N shards of near-equal token counts,
 * each replica computes loss and gradient sums on its shard, the sums are all-reduced (ring over
 * SharedArrayBuffer, or through this thread), and every replica divides by the global token count and applies
 * the same Adam update. Implements the Trainer interface, so callers cannot tell it from the in-process one.
 */
import type { FromReplica } from '../../protocol/replica.ts';
import { serializeError } from '../../protocol/replica.ts';
import { checksumDisagreement, kernelDisagreement, type Disagreement } from './checks.ts';
import { stepEvents } from './reports.ts';
import { replicaStateFormat } from './checkpoints.ts';
import type { MirroredCheckpointFormat, MirroredTrainerOptions, RecoveryMode } from './types.ts';
import { replicaModelSpec, sharedMemoryAvailable } from './types.ts';
import { ReplicaGroup } from './group.ts';
import { ReplicaFaultError, type ReplicaHandle } from './pool.ts';
import { shardByTokens } from './shards.ts';
import { StepWatchdog } from './watchdog.ts';
import { maxReplicas, TrainerBase, type AllReduceAlgorithm, type BackendName, type Bleu, type RunDecision } from '../training/trainer.ts';

export class MirroredTrainer<Batch = unknown> extends TrainerBase {
  algorithm: AllReduceAlgorithm;
  private readonly group: ReplicaGroup;
  private readonly fallbackReason: string | undefined;
  private runStartMs = 0;
  private completedSteps = 0;
  /** The group's state when the run ended (null: not ended, aborted, or it could not be read). */
  private endState: Float32Array[] | null = null;
  /** Fails a replica that brings no step result within the bound (a hung one). */
  private readonly watchdog: StepWatchdog;

  constructor(private readonly options: MirroredTrainerOptions<Batch>) {
    super();
    const memory = options.sharedMemory === false ? { ok: false, reason: 'shared memory disabled by the caller' } : sharedMemoryAvailable();
    this.algorithm = options.config.allReduce === 'ring' && memory.ok ? 'ring' : 'postMessage';
    if (options.config.allReduce === 'ring' && !memory.ok) this.fallbackReason = `ring needs shared memory: ${memory.reason}`;
    this.watchdog = new StepWatchdog(options.hangBound);
    this.group = new ReplicaGroup({
      spawn: options.spawn,
      model: replicaModelSpec(options.model, options.config),
      backend: options.backend,
      algorithm: this.algorithm,
      faults: options.faults,
      onFault: (handle) => this.onLateFaultCause(handle),
    });
  }

  /** Replicas in rank order. */
  get replicas(): ReplicaHandle[] {
    return this.group.replicas;
  }

  /** The backend the replicas run on (the requested one until they have started). */
  get backend(): BackendName {
    return this.group.backend;
  }

  /** Global steps completed so far (equals every live replica's applied steps). */
  get step(): number {
    return this.completedSteps;
  }

  protected get stepsDone(): number {
    return this.completedSteps;
  }

  protected async run({ resume }: { resume: boolean }): Promise<void> {
    const { config, data } = this.options;
    this.runStartMs = Date.now();
    this.endState = null;
    await this.startGroup(Math.max(1, Math.min(maxReplicas, config.replicas)), resume);
    const totalSteps = this.options.maxSteps ?? config.epochs * data.stepsPerEpoch;
    let epochLossSum = 0;
    let epochTokens = 0;
    let epochStartMs = Date.now();
    while (this.completedSteps < totalSteps && (await this.beforeStep())) {
      const step = this.completedSteps;
      const stepStartMs = Date.now();
      let outcome = await this.runStep(step);
      if (outcome.kind === 'fault') {
        // How long the step ran until its fault came back (the pause for the user's choice is no step time).
        const faultedAfterMs = Date.now() - stepStartMs;
        const decision = await this.pauseForFault(outcome.fault, step);
        this.pausedFor = null;
        if (decision === 'stop') break;
        this.completedSteps = await this.group.recover(decision === 'restart' ? 'restart' : 'remaining');
        this.announceGroup();
        if (this.completedSteps <= step) continue;
        // The survivors had applied the step the fault interrupted (the lost replica failed after the
        // all-reduce): it is done, and reported as done, its loss unknown (the lost replica's share never came
        // back); at an epoch's end its validation and checkpoint follow as for any step.
        this.emit({ type: 'stepCompleted', epoch: Math.floor(step / data.stepsPerEpoch) + 1, step: step + 1, loss: NaN, tokens: 0, durationMs: faultedAfterMs, tokensPerSecond: NaN });
        outcome = { kind: 'ok', lossSum: NaN, tokens: 0 };
      }
      this.completedSteps = step + 1;
      if (this.aborted) break;
      // A mixed-precision step whose forward pass overflowed has no loss to average (and was skipped).
      if (Number.isFinite(outcome.lossSum)) {
        epochLossSum += outcome.lossSum;
        epochTokens += outcome.tokens;
      }
      // Numbered like the in-process trainer: epochs from 1 in events, checkpoints count finished epochs.
      const epoch = Math.floor(step / data.stepsPerEpoch) + 1;
      const endOfEpoch = (step + 1) % data.stepsPerEpoch === 0;
      const every = this.options.checkpointEverySteps;
      // One copy of the group's state for this step's evaluation and checkpoint: it crosses from a worker
      // whole (the weights and Adam's two moments: 7 MiB for the demo's default model), and neither changes it.
      let stateNow: Promise<Float32Array[]> | null = null;
      const stateOfThisStep = () => (stateNow ??= this.groupState());
      if (endOfEpoch) {
        const evaluation = this.options.evaluator ? await this.options.evaluator.epoch(await stateOfThisStep()) : null;
        this.emit({
          type: 'epochCompleted',
          epoch,
          // No real token in the whole epoch: no loss (NaN), as the in-process trainer says.
          trainLoss: epochTokens ? epochLossSum / epochTokens : NaN,
          // As the in-process trainer: null when there is no loss (e.g. nothing to validate) or no BLEU sample.
          valLoss: evaluation?.loss ?? null,
          bleu: evaluation?.bleu ?? null,
          durationMs: Date.now() - epochStartMs,
          ...(evaluation?.samples?.length ? { samples: evaluation.samples } : {}),
        });
        epochLossSum = 0;
        epochTokens = 0;
        epochStartMs = Date.now();
      }
      if ((every && (step + 1) % every === 0) || endOfEpoch) await this.saveCheckpoint(Math.floor((step + 1) / data.stepsPerEpoch), stateOfThisStep);
    }
    const checkedAlready = config.checksumEvery > 0 && this.completedSteps % config.checksumEvery === 0;
    if (!this.stopRequested && !checkedAlready && config.checksumEvery > 0 && this.replicas.length > 1 && !this.firstFault) {
      await this.verifyChecksums(this.completedSteps).catch((error: unknown) => {
        if (!(error instanceof ReplicaFaultError)) throw error;
      });
    }
    // The weights the run ends with, taken here rather than in afterRun so that a replica lost while they are
    // fetched (the next one in rank order answers instead) is said in the warning below, not passed over.
    if (!this.aborted) this.endState = await this.groupState().catch(() => null);
    // A replica that faults after the run's last step (its device lost once it had reported that step, seen
    // in the browser test under load) has nothing left to train: every step was applied on every replica, and
    // the step's checkpoint is saved. Said as a warning; failing the finished run or pausing it for a choice
    // with no step left to take would only hide its result.
    const lateFault = this.firstFault;
    if (lateFault && !this.aborted && this.completedSteps >= totalSteps) {
      this.emit({
        type: 'warning',
        message: `${lateFault.message} (after the last step, ${this.completedSteps}): every step had been applied on every replica, so the run's result stands.`,
        replica: lateFault.replica,
      });
    }
  }

  protected override failureDetails(error: unknown): { replica?: number } {
    return error instanceof ReplicaFaultError ? { replica: error.replica } : {};
  }

  protected override async afterRun(): Promise<void> {
    // A failed run did not reach the end of run(): its state is taken here, before the workers end.
    if (!this.aborted && !this.endState) this.endState = await this.groupState().catch(() => null);
    await this.group.terminateAll(!this.aborted);
  }

  /** After a replica fault: continue with the remaining replicas, or restart the lost ones from peers' weights. */
  recoverWith(mode: RecoveryMode): void {
    this.decide(mode === 'restart' ? 'restart' : 'continue');
  }

  /** During the run the group's weights; after it the weights it ended with (see finalState). */
  async evaluate(split: 'val' | 'test', options?: { limit?: number }): Promise<{ loss: number; bleu: Bleu }> {
    if (!this.options.evaluator) throw new Error('this mirrored run was started without an evaluator');
    return this.options.evaluator.split(split, this.isRunning ? await this.groupState() : await this.finalState(), options);
  }

  /**
   * The group's full state as the run left it: taken before the workers end (after a stop, a finish or a
   * failure); after an abort (the workers end at once) or when that failed, the last checkpoint's; null when
   * there is neither.
   */
  async finalState(): Promise<Float32Array[] | null> {
    if (this.endState) return this.endState;
    const files = await this.options.checkpoints?.load();
    return files ? (await this.checkpointFormat.decode(files)).state : null;
  }

  protected override async release(): Promise<void> {
    await this.group.terminateAll(false);
    this.options.evaluator?.dispose?.();
  }

  /** Checksums of every replica now, and an event (with a warning when they differ). */
  async verifyChecksums(step: number): Promise<boolean> {
    const replies = await Promise.all(this.replicas.map((r) => r.request<'checksum'>({ type: 'checksum' })));
    return this.reportChecksums(step, replies.map((r) => r.checksum));
  }

  /** The fault of the first replica that has one, if any. */
  private get firstFault(): ReplicaFaultError | undefined {
    return this.replicas.find((r) => r.fault)?.fault ?? undefined;
  }

  /**
   * The group's full state (weights and optimizer), from the first replica in rank order that answers: every
   * replica holds the same state after a step (the checksums check it), so a replica lost once it had applied
   * the step (its device gone while the step's checkpoint was being fetched, say) does not take the step's
   * evaluation, its checkpoint or the run's final weights with it. The fault itself stays on its replica: the
   * next step pauses for it, or after the last step the run says so in a warning.
   */
  async groupState(): Promise<Float32Array[]> {
    let lost: ReplicaFaultError | undefined;
    for (let rank = 0; rank < this.replicas.length; rank++) {
      if (this.replicas[rank].fault) continue;
      try {
        return (await this.group.stateOf(rank)).state;
      } catch (error) {
        if (!(error instanceof ReplicaFaultError)) throw error;
        lost = error;
      }
    }
    throw lost ?? this.firstFault ?? new Error('no replica to read the state from');
  }

  private async startGroup(count: number, resume: boolean): Promise<void> {
    await this.group.form(count);
    const files = resume ? await this.options.checkpoints?.load() : null;
    const checkpoint = files ? await this.checkpointFormat.decode(files) : null;
    if (checkpoint) await this.group.broadcastState(checkpoint.state, checkpoint.step);
    // A new run: replica 0's initial weights for all (the seed's initialization happens once).
    else await this.group.broadcastState((await this.group.stateOf(0)).state, 0, this.replicas.slice(1));
    this.completedSteps = checkpoint?.step ?? 0;
    if (resume) this.emit({ type: 'resumedFrom', epoch: Math.floor(this.completedSteps / this.options.data.stepsPerEpoch), step: this.completedSteps });
    this.announceGroup();
  }

  private announceGroup(): void {
    const { kernelChoices, backendInfo } = this.group;
    const kernels = kernelChoices.get(this.replicas[0].id);
    this.emit({
      type: 'mirroredSetup',
      replicas: this.replicas.length,
      replicaIds: this.replicas.map((r) => r.id),
      allReduce: this.algorithm,
      backend: this.backend,
      ...(this.fallbackReason ? { fallbackReason: this.fallbackReason } : {}),
    });
    this.emit({
      type: 'backendChosen',
      backend: this.backend,
      ...(backendInfo.adapter ? { adapter: backendInfo.adapter } : {}),
      ...(backendInfo.fallbackReason ? { fallbackReason: backendInfo.fallbackReason } : {}),
      ...(kernels ? { precision: kernels.precision, kernels: kernels.kernels } : {}),
      ...(kernels?.fallbackReason ? { kernelFallbackReason: kernels.fallbackReason } : {}),
    });
    const ids = this.group.ids;
    this.warn(kernelDisagreement(ids.map((id) => kernelChoices.get(id)), ids));
  }

  private async runStep(step: number): Promise<{ kind: 'ok'; lossSum: number; tokens: number } | { kind: 'fault'; fault: ReplicaFaultError }> {
    const { data, config } = this.options;
    const stepsPerEpoch = data.stepsPerEpoch;
    const batch = await data.batch(Math.floor(step / stepsPerEpoch), step % stepsPerEpoch);
    const ranges = shardByTokens(data.exampleTokens(batch), this.replicas.length);
    const globalTokenCount = ranges.reduce((s, r) => s + r.tokenCount, 0);
    const wantChecksum = config.checksumEvery > 0 && this.replicas.length > 1 && (step + 1) % config.checksumEvery === 0;
    this.group.beginStep(step);
    const startMs = Date.now();
    const replicas = this.replicas;
    const answered = new Set<ReplicaHandle>();
    const disarm = this.watchdog.arm(step, replicas, answered);
    const settled = await Promise.allSettled(
      replicas.map((replica, rank) =>
        replica
          .request<'stepDone' | 'stepAborted'>({
            type: 'step',
            step,
            shard: data.slice(batch, ranges[rank].start, ranges[rank].end),
            globalTokenCount,
            wantChecksum,
          })
          .finally(() => answered.add(replica)),
      ),
    );
    disarm();
    const stepMs = Date.now() - startMs;
    this.group.endStep();
    const fault = this.firstFault;
    if (fault) return { kind: 'fault', fault };
    const reports = settled.map((s) => {
      if (s.status === 'rejected') throw s.reason;
      const message = s.value as FromReplica;
      if (message.type !== 'stepDone') throw new Error(`replica gave up step ${step} with no failed peer`);
      return message.report;
    });
    this.watchdog.finished(stepMs);
    const ids = this.group.ids;
    const { events, lossSum } = stepEvents({ step, stepsPerEpoch, reports, ids, globalTokenCount, stepMs, runStartMs: this.runStartMs });
    for (const event of events) {
      if (event.type === 'warning') this.warn(event);
      else this.emit(event);
    }
    if (wantChecksum) this.reportChecksums(step + 1, reports.map((r) => r.checksum ?? ''));
    return { kind: 'ok', lossSum, tokens: globalTokenCount };
  }

  private reportChecksums(step: number, checksums: string[]): boolean {
    const odd = checksumDisagreement(step, checksums, this.group.ids);
    this.emit({ type: 'replicaChecksums', step, checksums, identical: !odd });
    this.warn(odd);
    return !odd;
  }

  private warn(disagreement: Disagreement | null): void {
    if (!disagreement) return;
    this.emit({ type: 'warning', message: disagreement.message, ...(disagreement.replica !== undefined ? { replica: disagreement.replica } : {}) });
  }

  /** The run is paused for this fault: reported again if a lost device turns out to be its cause. */
  private pausedFor: { fault: ReplicaFaultError; step: number } | null = null;

  private onLateFaultCause(handle: ReplicaHandle): void {
    const paused = this.pausedFor;
    const fault = handle.fault;
    if (!paused || !fault || fault === paused.fault || fault.replica !== paused.fault.replica || fault.faultCause !== 'deviceLost') return;
    this.pausedFor = { fault, step: paused.step };
    this.emit({ type: 'replicaFault', replica: fault.replica, step: paused.step, cause: fault.faultCause, message: fault.message, error: serializeError(fault.original) });
  }

  private pauseForFault(fault: ReplicaFaultError, step: number): Promise<RunDecision> {
    this.pausedFor = { fault, step };
    this.emit({ type: 'replicaFault', replica: fault.replica, step, cause: fault.faultCause, message: fault.message, error: serializeError(fault.original) });
    return this.pauseFor(`${fault.message} (step ${step}). Resume with the remaining replicas or restart the lost one.`);
  }

  /**
   * `epoch`: epochs finished when it is taken (as the in-process trainer's checkpoints count them); `stateNow`:
   * the group's state at this step, fetched once for whatever else the step's end needs it for.
   */
  private async saveCheckpoint(epoch: number, stateNow: () => Promise<Float32Array[]>): Promise<void> {
    const store = this.options.checkpoints;
    if (!store) return;
    const state = await stateNow();
    await store.save(this.checkpointFormat.encode({ epoch, step: this.completedSteps, model: this.options.model, state }));
    this.emit({ type: 'checkpointSaved', epoch, step: this.completedSteps, location: store.location });
  }

  private get checkpointFormat(): MirroredCheckpointFormat {
    return this.options.checkpointFormat ?? replicaStateFormat;
  }

  /** Releases peers blocked in the ring and ends every worker now; the run loop ends as soon as they are gone. */
  protected override onAbort(reason: string): void {
    this.group.abortRing();
    this.setState('stopped', reason);
    void this.group.terminateAll(false);
  }
}
