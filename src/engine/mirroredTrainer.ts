/**
 * MirroredTrainer: N replicas in workers, each with a full model and optimizer, kept identical by
 * synchronous data parallelism. Per step: the global batch is cut into N shards of near-equal token counts,
 * each replica computes loss and gradient sums on its shard, the sums are all-reduced (ring over
 * SharedArrayBuffer, or through this thread), and every replica divides by the global token count and applies
 * the same Adam update. Implements the Trainer interface, so callers cannot tell it from the in-process one.
 */
import type { FromReplica, GroupConfig } from '../protocol/replica';
import { serializeError } from '../protocol/replica';
import type { HubContribution } from './allReduce/hub';
import { HubRound } from './allReduce/hub';
import { abortRing, createRingBuffer } from './allReduce/ring';
import type { GradientLayout } from './allReduce/gradientLayout';
import { gradientLayout } from './allReduce/gradientLayout';
import type { MirroredTrainerOptions, RecoveryMode } from './mirroredTypes';
import { sharedMemoryAvailable } from './mirroredTypes';
import { ReplicaFaultError, ReplicaHandle } from './replicaPool';
import { shardByTokens } from './shards';
import type { AllReduceAlgorithm, BackendName, Bleu, Trainer, TrainerEvent, TrainerListener, TrainerState } from './trainer';
import type { VariableInfo } from './replicaModel';

interface Decision {
  mode: RecoveryMode | 'stop';
}

export class MirroredTrainer<Batch = unknown> implements Trainer {
  state: TrainerState = 'idle';
  /** Replicas in rank order. */
  replicas: ReplicaHandle[] = [];
  algorithm: AllReduceAlgorithm;
  backend: BackendName;
  private readonly listeners = new Set<TrainerListener>();
  private nextReplicaId = 0;
  private shared: SharedArrayBuffer | undefined;
  private layout: GradientLayout | null = null;
  private hubRound: HubRound | null = null;
  private readonly fallbackReason: string | undefined;
  private stopRequested = false;
  /** Set by the abort signal: workers are already gone, nothing more is asked of them. */
  private aborted = false;
  private pauseRequested = false;
  private wake: ((decision: Decision | null) => void) | null = null;
  private runStartMs = 0;
  private completedSteps = 0;
  private variables: VariableInfo[] = [];
  private backendInfo: { adapter?: string; fallbackReason?: string } = {};

  constructor(private readonly options: MirroredTrainerOptions<Batch>) {
    this.backend = options.backend;
    const memory = options.sharedMemory === false ? { ok: false, reason: 'shared memory disabled by the caller' } : sharedMemoryAvailable();
    this.algorithm = options.config.allReduce === 'ring' && memory.ok ? 'ring' : 'postMessage';
    if (options.config.allReduce === 'ring' && !memory.ok) this.fallbackReason = `ring needs shared memory: ${memory.reason}`;
  }

  on(listener: TrainerListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Global steps completed so far (equals every live replica's applied steps). */
  get step(): number {
    return this.completedSteps;
  }

  async start(options: { resume?: boolean; signal?: AbortSignal } = {}): Promise<void> {
    const { config, data } = this.options;
    const signal = options.signal;
    const onAbort = () => void this.abortNow('aborted');
    signal?.addEventListener('abort', onAbort, { once: true });
    this.runStartMs = Date.now();
    try {
      this.setState('running');
      await this.startGroup(Math.max(1, Math.min(8, config.replicas)), options.resume ?? false);
      const totalSteps = this.options.maxSteps ?? config.epochs * data.stepsPerEpoch;
      let epochLossSum = 0;
      let epochTokens = 0;
      let epochStartMs = Date.now();
      while (this.completedSteps < totalSteps && !this.stopRequested) {
        if (this.pauseRequested) {
          this.setState('paused', 'paused by the user');
          const decision = await this.waitForDecision();
          if (!decision || decision.mode === 'stop') break;
          this.setState('running');
        }
        const step = this.completedSteps;
        const outcome = await this.runStep(step);
        if (outcome.kind === 'fault') {
          const decision = await this.pauseForFault(outcome.fault, step);
          if (!decision || decision.mode === 'stop') break;
          await this.recover(decision.mode);
          this.setState('running');
          continue;
        }
        this.completedSteps = step + 1;
        if (this.aborted) break;
        epochLossSum += outcome.lossSum;
        epochTokens += outcome.tokens;
        const epoch = Math.floor(step / data.stepsPerEpoch);
        const endOfEpoch = (step + 1) % data.stepsPerEpoch === 0;
        const every = this.options.checkpointEverySteps;
        if (endOfEpoch) {
          const evaluation = this.options.evaluate
            ? await this.options.evaluate('val', await this.stateOfRankZero(), { limit: config.validationSample })
            : null;
          this.emit({
            type: 'epochCompleted',
            epoch,
            trainLoss: epochLossSum / Math.max(epochTokens, 1),
            valLoss: evaluation?.loss ?? null,
            bleu: evaluation?.bleu ?? null,
            durationMs: Date.now() - epochStartMs,
          });
          epochLossSum = 0;
          epochTokens = 0;
          epochStartMs = Date.now();
        }
        if ((every && (step + 1) % every === 0) || endOfEpoch) await this.saveCheckpoint(epoch);
      }
      const checkedAlready = config.checksumEvery > 0 && this.completedSteps % config.checksumEvery === 0;
      if (!this.stopRequested && !checkedAlready && config.checksumEvery > 0 && this.replicas.length > 1) await this.verifyChecksums(this.completedSteps);
      if (!this.aborted) this.setState(this.stopRequested ? 'stopped' : 'finished');
    } catch (error) {
      if (!this.aborted) {
        this.emit({ type: 'runFailed', error: serializeError(error), ...(error instanceof ReplicaFaultError ? { replica: error.replica } : {}) });
        this.setState('failed', error instanceof Error ? error.message : String(error));
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      await this.terminateAll();
    }
  }

  pause(): void {
    this.pauseRequested = true;
  }

  /** Continues a paused run; after a replica fault, continues with the remaining replicas. */
  resume(): void {
    this.pauseRequested = false;
    this.wake?.({ mode: 'remaining' });
  }

  /** After a replica fault: continue with the remaining replicas, or restart the lost ones from peers' weights. */
  recoverWith(mode: RecoveryMode): void {
    this.wake?.({ mode });
  }

  async stop(): Promise<void> {
    this.stopRequested = true;
    this.wake?.({ mode: 'stop' });
  }

  async evaluate(split: 'val' | 'test', options?: { limit?: number }): Promise<{ loss: number; bleu: Bleu }> {
    if (!this.options.evaluate) throw new Error('this mirrored run was started without an evaluator');
    return this.options.evaluate(split, await this.stateOfRankZero(), options);
  }

  async dispose(): Promise<void> {
    this.stopRequested = true;
    this.wake?.({ mode: 'stop' });
    await this.terminateAll();
    this.listeners.clear();
  }

  /** Test hook: perturb one replica's weights so checksums must catch it. */
  async corruptReplica(rank: number, delta = 1e-3): Promise<void> {
    await this.replicas[rank].request({ type: 'corrupt', delta });
  }

  /** Checksums of every replica now, and an event (with a warning when they differ). */
  async verifyChecksums(step: number): Promise<boolean> {
    const replies = await Promise.all(this.replicas.map((r) => r.request<'checksum'>({ type: 'checksum' })));
    return this.reportChecksums(step, replies.map((r) => r.checksum));
  }

  /** Replica 0's full state (weights and optimizer). */
  async stateOfRankZero(): Promise<Float32Array[]> {
    return (await this.replicas[0].request<'state'>({ type: 'getState' })).state;
  }

  private emit(event: TrainerEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private setState(state: TrainerState, reason?: string): void {
    this.state = state;
    this.emit({ type: 'stateChanged', state, ...(reason ? { reason } : {}) });
  }

  private spawnReplica(): ReplicaHandle {
    const id = this.nextReplicaId++;
    return new ReplicaHandle(
      id,
      this.options.spawn(),
      (handle) => this.onReplicaFault(handle),
      (handle, message) => this.onHubGradients(handle, message),
    );
  }

  private groupConfig(rank: number): GroupConfig {
    return {
      rank,
      worldSize: this.replicas.length,
      algorithm: this.algorithm,
      ...(this.shared ? { shared: this.shared } : {}),
    };
  }

  /** Fresh shared buffer for the current group (after a fault the old one's counters are meaningless). */
  private rebuildShared(): void {
    this.shared = this.algorithm === 'ring' && this.layout && this.replicas.length > 1 ? createRingBuffer(this.layout, this.replicas.length) : undefined;
  }

  private async initReplica(handle: ReplicaHandle, rank: number): Promise<VariableInfo[]> {
    const fault = this.options.faults?.find((f) => f.replica === handle.id)?.fault;
    const ready = await handle.request<'ready'>({
      type: 'init',
      model: this.options.model,
      backend: this.options.backend,
      group: this.groupConfig(rank),
      ...(fault ? { fault } : {}),
    });
    this.backend = ready.backend;
    this.backendInfo = { adapter: ready.adapter, fallbackReason: ready.fallbackReason };
    return ready.variables;
  }

  private async startGroup(count: number, resume: boolean): Promise<void> {
    this.replicas = Array.from({ length: count }, () => this.spawnReplica());
    // Replica 0 first: its variables size the ring buffer the others are created with.
    this.variables = await this.initReplica(this.replicas[0], 0);
    this.layout = gradientLayout(this.variables);
    this.rebuildShared();
    await this.replicas[0].request({ type: 'configureGroup', group: this.groupConfig(0) });
    await Promise.all(this.replicas.slice(1).map((r, k) => this.initReplica(r, k + 1)));
    const checkpoint = resume ? await this.options.checkpoints?.loadLatest() : null;
    if (checkpoint) {
      await Promise.all(this.replicas.map((r) => this.sendState(r, checkpoint.state, checkpoint.step)));
    } else {
      const state = await this.stateOfRankZero();
      await Promise.all(this.replicas.slice(1).map((r) => this.sendState(r, state, 0)));
    }
    this.completedSteps = checkpoint?.step ?? 0;
    this.announceGroup();
  }

  private sendState(handle: ReplicaHandle, state: Float32Array[], appliedSteps: number): Promise<unknown> {
    const copy = state.map((a) => a.slice());
    return handle.request({ type: 'setState', state: copy, appliedSteps }, copy.map((a) => a.buffer));
  }

  private announceGroup(): void {
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
      ...(this.backendInfo.adapter ? { adapter: this.backendInfo.adapter } : {}),
      ...(this.backendInfo.fallbackReason ? { fallbackReason: this.backendInfo.fallbackReason } : {}),
    });
  }

  private async runStep(step: number): Promise<{ kind: 'ok'; lossSum: number; tokens: number } | { kind: 'fault'; fault: ReplicaFaultError }> {
    const { data, config } = this.options;
    const stepsPerEpoch = data.stepsPerEpoch;
    const batch = await data.batch(Math.floor(step / stepsPerEpoch), step % stepsPerEpoch);
    const ranges = shardByTokens(data.exampleTokens(batch), this.replicas.length);
    const globalTokenCount = ranges.reduce((s, r) => s + r.tokenCount, 0);
    const wantChecksum = config.checksumEvery > 0 && this.replicas.length > 1 && (step + 1) % config.checksumEvery === 0;
    this.hubRound = this.algorithm === 'postMessage' ? new HubRound(step, this.replicas.length, this.layout!.sparse.map((s) => s.width)) : null;
    const startMs = Date.now();
    const settled = await Promise.allSettled(
      this.replicas.map((replica, rank) =>
        replica.request<'stepDone' | 'stepAborted'>({
          type: 'step',
          step,
          shard: data.slice(batch, ranges[rank].start, ranges[rank].end),
          globalTokenCount,
          wantChecksum,
        }),
      ),
    );
    const stepMs = Date.now() - startMs;
    this.hubRound = null;
    const fault = this.replicas.find((r) => r.fault)?.fault;
    if (fault) return { kind: 'fault', fault };
    const reports = settled.map((s) => {
      if (s.status === 'rejected') throw s.reason;
      const message = s.value as FromReplica;
      if (message.type !== 'stepDone') throw new Error(`replica gave up step ${step} with no failed peer`);
      return message.report;
    });
    const lossSum = reports.reduce((s, r) => s + r.lossSum, 0);
    reports.forEach((report, rank) => {
      const busyMs = report.phasesMs.compute + report.phasesMs.readback + report.phasesMs.allReduceWait + report.phasesMs.apply;
      this.emit({
        type: 'workerTimeline',
        replica: this.replicas[rank].id,
        step,
        startMs: report.startMs - this.runStartMs,
        phasesMs: { ...report.phasesMs, idle: Math.max(0, stepMs - busyMs) },
        bytesSent: report.bytesSent,
        bytesSavedBySparse: report.bytesSavedBySparse,
      });
    });
    this.emit({
      type: 'stepCompleted',
      epoch: Math.floor(step / stepsPerEpoch),
      step,
      loss: lossSum / Math.max(globalTokenCount, 1),
      tokens: globalTokenCount,
      durationMs: stepMs,
      tokensPerSecond: (globalTokenCount * 1000) / Math.max(stepMs, 1e-3),
    });
    if (wantChecksum) this.reportChecksums(step + 1, reports.map((r) => r.checksum ?? ''));
    return { kind: 'ok', lossSum, tokens: globalTokenCount };
  }

  private reportChecksums(step: number, checksums: string[]): boolean {
    const identical = checksums.every((c) => c === checksums[0]);
    this.emit({ type: 'replicaChecksums', step, checksums, identical });
    if (!identical) {
      const odd = checksums.map((c, rank) => ({ c, id: this.replicas[rank]?.id })).filter(({ c }) => c !== checksums[0]);
      const message = `Replicas are no longer identical after step ${step}: replica ${odd.map((o) => o.id).join(', ')} differ from replica ${this.replicas[0]?.id}.`;
      console.warn(message);
      this.emit({ type: 'warning', message, ...(odd.length === 1 && odd[0].id !== undefined ? { replica: odd[0].id } : {}) });
    }
    return identical;
  }

  private onReplicaFault(_handle: ReplicaHandle): void {
    // Peers blocked in the all-reduce give up the step; nothing half-reduced is applied.
    if (this.shared) abortRing(this.shared);
    if (this.hubRound) for (const replica of this.replicas) replica.send({ type: 'abortStep', step: this.hubRound.step });
  }

  private onHubGradients(handle: ReplicaHandle, message: FromReplica): void {
    if (message.type !== 'gradients' || !this.hubRound || this.hubRound.step !== message.step) return;
    const rank = this.replicas.indexOf(handle);
    const reduced = this.hubRound.add(rank, message as HubContribution);
    if (!reduced) return;
    for (const replica of this.replicas) {
      const dense = reduced.dense.slice();
      const sparse = reduced.sparse.map((p) => ({ indices: p.indices.slice(), rows: p.rows.slice() }));
      replica.send({ type: 'reduced', step: message.step, dense, sparse }, [dense.buffer, ...sparse.flatMap((p) => [p.indices.buffer, p.rows.buffer])]);
    }
  }

  private async pauseForFault(fault: ReplicaFaultError, step: number): Promise<Decision | null> {
    this.emit({ type: 'replicaFault', replica: fault.replica, step, cause: fault.faultCause, message: fault.message, error: serializeError(fault.original) });
    this.setState('paused', `${fault.message} (step ${step}). Resume with the remaining replicas or restart the lost one.`);
    return this.waitForDecision();
  }

  private waitForDecision(): Promise<Decision | null> {
    if (this.stopRequested) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.wake = (decision) => {
        this.wake = null;
        resolve(decision);
      };
    });
  }

  /** Drops failed replicas, optionally replaces them, re-forms the group and re-syncs every replica's state. */
  private async recover(mode: RecoveryMode): Promise<void> {
    const lost = this.replicas.filter((r) => !r.alive);
    const survivors = this.replicas.filter((r) => r.alive);
    await Promise.all(lost.map((r) => r.terminate()));
    if (survivors.length === 0) throw new Error('every replica failed; restart the run from the last checkpoint');
    // The fullest state among survivors is the truth: a step is either applied by a survivor or redone.
    const states = await Promise.all(survivors.map((r) => r.request<'state'>({ type: 'getState' })));
    const best = states.reduce((a, b) => (b.appliedSteps > a.appliedSteps ? b : a));
    const fresh = mode === 'restart' ? lost.map(() => this.spawnReplica()) : [];
    this.replicas = [...survivors, ...fresh];
    this.rebuildShared();
    await Promise.all(survivors.map((r, rank) => r.request({ type: 'configureGroup', group: this.groupConfig(rank) })));
    await Promise.all(fresh.map((r, k) => this.initReplica(r, survivors.length + k)));
    await Promise.all(this.replicas.map((r) => this.sendState(r, best.state, best.appliedSteps)));
    this.completedSteps = best.appliedSteps;
    this.announceGroup();
  }

  private async saveCheckpoint(epoch: number): Promise<void> {
    const store = this.options.checkpoints;
    if (!store) return;
    const state = await this.stateOfRankZero();
    const location = await store.save({ epoch, step: this.completedSteps, model: this.options.model, state });
    this.emit({ type: 'checkpointSaved', epoch, step: this.completedSteps, location });
  }

  private async abortNow(reason: string): Promise<void> {
    this.stopRequested = true;
    this.aborted = true;
    if (this.shared) abortRing(this.shared);
    this.wake?.({ mode: 'stop' });
    await this.terminateAll();
    this.setState('stopped', reason);
  }

  /** Lets live replicas release their model and GPU device (briefly), then ends every worker. */
  private async terminateAll(): Promise<void> {
    const all = this.replicas;
    if (!this.aborted) {
      const grace = new Promise((resolve) => setTimeout(resolve, 1000));
      await Promise.all(all.filter((r) => r.alive).map((r) => Promise.race([r.request({ type: 'dispose' }).catch(() => undefined), grace])));
    }
    await Promise.all(all.map((r) => r.terminate()));
  }
}
