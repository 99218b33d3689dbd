/**
 * The workers of a mirrored run as a group: spawning and initialising replicas (rank 0 first, its variables
 * size the ring buffer), the all-reduce plumbing (shared ring buffer, or the hub round through this thread),
 * state broadcast, recovery after a fault (drop the lost replicas, optionally restart them, re-form the
 * group, re-sync everyone from the fullest survivor) and shutdown. The MirroredTrainer drives the run.
 */
import type { FaultInjection, FromReplica, GroupConfig, ModelSpec, ReplicaKernelChoice } from '../../protocol/replica.ts';
import type { GradientLayout } from './allReduce/gradientLayout.ts';
import { gradientLayout } from './allReduce/gradientLayout.ts';
import type { HubContribution } from './allReduce/hub.ts';
import { HubRound } from './allReduce/hub.ts';
import { abortRing, createRingBuffer } from './allReduce/ring.ts';
import type { WorkerEndpoint } from '../threads/endpoint.ts';
import type { VariableInfo } from '../../model/replicaModel.ts';
import type { RecoveryMode } from './types.ts';
import { ReplicaHandle } from './pool.ts';
import type { AllReduceAlgorithm, BackendName } from '../training/trainer.ts';

export interface ReplicaGroupSetup {
  spawn(): WorkerEndpoint;
  /** What every replica builds (options already carry the run's precision settings). */
  model: ModelSpec;
  backend: BackendName;
  algorithm: AllReduceAlgorithm;
  /** Test only: make replica `replica` (by id) misbehave. */
  faults?: { replica: number; fault: FaultInjection }[];
  /** A replica's fault, as it happens (again when a lost device turns out to be the cause of a failed step). */
  onFault?(handle: ReplicaHandle): void;
}

export class ReplicaGroup {
  /** Replicas in rank order. */
  replicas: ReplicaHandle[] = [];
  layout: GradientLayout | null = null;
  /** The backend the replicas really run on, with the adapter and any fallback reason (the last one to start). */
  backend: BackendName;
  backendInfo: { adapter?: string; fallbackReason?: string } = {};
  /** The kernels each replica installed, by replica id. */
  readonly kernelChoices = new Map<number, ReplicaKernelChoice>();
  private nextReplicaId = 0;
  private shared: SharedArrayBuffer | undefined;
  private hubRound: HubRound | null = null;

  constructor(private readonly setup: ReplicaGroupSetup) {
    this.backend = setup.backend;
  }

  get ids(): number[] {
    return this.replicas.map((r) => r.id);
  }

  /** Spawns and initialises `count` replicas; each starts from its own init until a state is broadcast. */
  async form(count: number): Promise<void> {
    this.replicas = Array.from({ length: count }, () => this.spawnReplica());
    const variables = await this.initReplica(this.replicas[0], 0);
    this.layout = gradientLayout(variables);
    this.rebuildShared();
    await this.replicas[0].request({ type: 'configureGroup', group: this.groupConfig(0) });
    await Promise.all(this.replicas.slice(1).map((r, k) => this.initReplica(r, k + 1)));
  }

  /** Full state (weights, optimizer, counters) of the replica at `rank`. */
  async stateOf(rank = 0): Promise<{ state: Float32Array[]; appliedSteps: number }> {
    return this.replicas[rank].request<'state'>({ type: 'getState' });
  }

  /** Sends a copy of `state` to each target (default: all replicas). */
  async broadcastState(state: Float32Array[], appliedSteps: number, targets = this.replicas): Promise<void> {
    await Promise.all(
      targets.map((handle) => {
        const copy = state.map((a) => a.slice());
        return handle.request({ type: 'setState', state: copy, appliedSteps }, copy.map((a) => a.buffer));
      }),
    );
  }

  /** Opens the hub round of a step (postMessage all-reduce only); `endStep` closes it. */
  beginStep(step: number): void {
    this.hubRound = this.setup.algorithm === 'postMessage' ? new HubRound(step, this.replicas.length, this.layout!.sparse.map((s) => s.width)) : null;
  }

  endStep(): void {
    this.hubRound = null;
  }

  /**
   * Drops failed replicas, optionally replaces them, re-forms the group and re-syncs every replica to the
   * fullest survivor's state; returns the global steps that state has completed.
   */
  async recover(mode: RecoveryMode): Promise<number> {
    const lost = this.replicas.filter((r) => !r.alive);
    const survivors = this.replicas.filter((r) => r.alive);
    await Promise.all(lost.map((r) => r.terminate()));
    if (survivors.length === 0) throw new Error('every replica failed; restart the run from the last checkpoint');
    // The fullest state among survivors is the truth: a step is either applied by a survivor or redone.
    // It carries the optimizer and loss-scaler counters, so a restarted replica continues exactly.
    const states = await Promise.all(survivors.map((r) => r.request<'state'>({ type: 'getState' })));
    const best = states.reduce((a, b) => (b.appliedSteps > a.appliedSteps ? b : a));
    const fresh = mode === 'restart' ? lost.map(() => this.spawnReplica()) : [];
    this.replicas = [...survivors, ...fresh];
    this.rebuildShared();
    await Promise.all(survivors.map((r, rank) => r.request({ type: 'configureGroup', group: this.groupConfig(rank) })));
    await Promise.all(fresh.map((r, k) => this.initReplica(r, survivors.length + k)));
    await this.broadcastState(best.state, best.appliedSteps);
    return best.appliedSteps;
  }

  /** Releases peers blocked in the ring all-reduce (abort signal: the workers are about to go). */
  abortRing(): void {
    if (this.shared) abortRing(this.shared);
  }

  /** Optionally lets live replicas release their model and GPU device (briefly), then ends every worker. */
  async terminateAll(graceful: boolean): Promise<void> {
    const all = this.replicas;
    if (graceful) {
      const grace = new Promise((resolve) => setTimeout(resolve, 1000));
      await Promise.all(all.filter((r) => r.alive).map((r) => Promise.race([r.request({ type: 'dispose' }).catch(() => undefined), grace])));
    }
    await Promise.all(all.map((r) => r.terminate()));
  }

  private spawnReplica(): ReplicaHandle {
    return new ReplicaHandle(
      this.nextReplicaId++,
      this.setup.spawn(),
      (handle) => this.onReplicaFault(handle),
      (handle, message) => this.onHubGradients(handle, message),
    );
  }

  private groupConfig(rank: number): GroupConfig {
    return { rank, worldSize: this.replicas.length, algorithm: this.setup.algorithm, ...(this.shared ? { shared: this.shared } : {}) };
  }

  /** Fresh shared buffer for the current group (after a fault the old one's counters are meaningless). */
  private rebuildShared(): void {
    const ring = this.setup.algorithm === 'ring' && this.layout && this.replicas.length > 1;
    this.shared = ring ? createRingBuffer(this.layout!, this.replicas.length) : undefined;
  }

  private async initReplica(handle: ReplicaHandle, rank: number): Promise<VariableInfo[]> {
    const fault = this.setup.faults?.find((f) => f.replica === handle.id)?.fault;
    const ready = await handle.request<'ready'>({
      type: 'init',
      model: this.setup.model,
      backend: this.setup.backend,
      group: this.groupConfig(rank),
      ...(fault ? { fault } : {}),
    });
    this.backend = ready.backend;
    this.backendInfo = { adapter: ready.adapter, fallbackReason: ready.fallbackReason };
    if (ready.kernels) this.kernelChoices.set(handle.id, ready.kernels);
    return ready.variables;
  }

  private onReplicaFault(handle: ReplicaHandle): void {
    this.setup.onFault?.(handle);
    // Peers blocked in the all-reduce give up the step; nothing half-reduced is applied.
    this.abortRing();
    if (this.hubRound) for (const replica of this.replicas) replica.send({ type: 'abortStep', step: this.hubRound.step });
  }

  private onHubGradients(handle: ReplicaHandle, message: FromReplica): void {
    if (message.type !== 'gradients' || !this.hubRound || this.hubRound.step !== message.step) return;
    const reduced = this.hubRound.add(this.replicas.indexOf(handle), message as HubContribution);
    if (!reduced) return;
    for (const replica of this.replicas) {
      const dense = reduced.dense.slice();
      const sparse = reduced.sparse.map((p) => ({ indices: p.indices.slice(), rows: p.rows.slice() }));
      replica.send({ type: 'reduced', step: message.step, dense, sparse }, [dense.buffer, ...sparse.flatMap((p) => [p.indices.buffer, p.rows.buffer])]);
    }
  }
}
