/**
 * The replica side of mirrored training: runs inside a worker, holds one model copy, answers the trainer's
 * messages (src/protocol/replica.ts). Written against ParentEndpoint so the same code serves a browser Web
 * Worker and a Node worker thread; workers/replica.worker.ts only wires it up.
 */
import type { FromReplica, GroupConfig, ReplicaKernelChoice, ToReplica, FaultInjection, SparseRowsWire } from '../../../protocol/replica.ts';
import { serializeError } from '../../../protocol/replica.ts';
import type { ParentEndpoint } from '../../threads/endpoint.ts';
import type { ReplicaModel, ReplicaModelRegistry } from '../../../model/replicaModel.ts';
import { initReplicaBackend, releaseReplicaBackend, releaseReplicaBackendSettled, type NodeBackendStarter } from './backend.ts';
import type { GradientLayout, SparseRows } from '../allReduce/gradientLayout.ts';
import { extractSparseRows, flattenDense, gradientLayout, meanGradients } from '../allReduce/gradientLayout.ts';
import { AllReduceAbortedError, RingAllReduce } from '../allReduce/ring.ts';

const nowMs = () => performance.timeOrigin + performance.now();

/** @param platform.nodeBackend a Node worker thread's backends (workers/replica.node.ts); absent in a browser worker */
export function startReplicaHost(endpoint: ParentEndpoint, registry: ReplicaModelRegistry, platform: { nodeBackend?: NodeBackendStarter } = {}): void {
  let model: ReplicaModel | null = null;
  let layout: GradientLayout | null = null;
  /**
   * The dense gradients of a step, kept for the next one where they never leave this thread (one replica, or
   * the ring, which reduces in place): a fresh array each step is fresh memory, which the page's renderer
   * faults in again page by page (about 2.3 MB a step for the demo's model).
   */
  let denseBuffer: Float32Array | null = null;
  let group: GroupConfig | null = null;
  let ring: RingAllReduce | null = null;
  let fault: FaultInjection | undefined;
  let appliedSteps = 0;
  /** postMessage all-reduce: the step waiting for the hub's answer. */
  let pendingReduce: { step: number; resolve(r: { dense: Float32Array; sparse: SparseRowsWire[] }): void; reject(e: Error): void } | null = null;
  /** postMessage all-reduce: an abort can arrive before this replica has even sent its gradients. */
  let abortedStep = -1;
  let queue: Promise<void> = Promise.resolve();

  const post = (message: FromReplica, transfer: Transferable[] = []) => endpoint.postMessage(message, transfer);

  const configure = (next: GroupConfig) => {
    group = next;
    // A new group redoes the aborted step; the old abort must not cancel it.
    abortedStep = -1;
    ring = next.algorithm === 'ring' && next.shared && layout ? new RingAllReduce(next.shared, layout, next.rank, next.worldSize) : null;
  };

  const needModel = (): ReplicaModel => {
    if (!model) throw new Error('replica not initialised');
    return model;
  };

  async function injectFault(kind: FaultInjection['kind']): Promise<never> {
    if (kind === 'throw') throw Object.assign(new Error('injected fault: computeGradients threw'), { code: 'INJECTED' });
    if (kind === 'exit') endpoint.close();
    if (kind === 'crash') setTimeout(() => { throw new Error('injected crash: uncaught exception in replica'); });
    if (kind === 'hang') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
    if (kind === 'deviceLost') post({ type: 'deviceLost', error: { name: 'GPUDeviceLostError', message: 'injected: GPU device lost', code: 'DEVICE_LOST' } });
    return new Promise<never>(() => {});
  }

  /** The injected fault, if it is due at this point `at` of step `step` (a fault names one point; default: the step's start). */
  async function injectIfDue(at: NonNullable<FaultInjection['at']>, step: number): Promise<void> {
    if (fault && fault.step === step && (fault.at ?? 'start') === at) await injectFault(fault.kind);
  }

  async function runStep(message: Extract<ToReplica, { type: 'step' }>): Promise<FromReplica> {
    const current = needModel();
    const shapes = layout!;
    const startMs = nowMs();
    await injectIfDue('start', message.step);
    // No real token in the global batch (every replica is told the same): nothing to reduce or apply, as the
    // in-process trainer skips such a step; it still counts as taken.
    if (message.globalTokenCount === 0) {
      appliedSteps += 1;
      return emptyStep(message, startMs, message.wantChecksum ? await current.weightChecksum() : undefined);
    }
    // The global count, not the shard's: a mixed-precision model scales its loss by lossScale / globalTokens.
    const sums = await current.computeGradients(message.shard, message.globalTokenCount);
    const computedMs = nowMs();
    post({ type: 'computed', step: message.step });
    const worldSize = group!.worldSize;
    // The postMessage all-reduce hands its array over to the hub, so it needs a new one each step.
    const keepsDense = worldSize === 1 || ring !== null;
    if (keepsDense && denseBuffer?.length !== shapes.denseLength) denseBuffer = new Float32Array(shapes.denseLength);
    const dense = flattenDense(shapes, sums.gradients, keepsDense ? denseBuffer! : undefined);
    const sparse: SparseRows[] = shapes.sparse.map(({ variable, width }) => extractSparseRows(sums.gradients[variable], width));
    const preparedMs = nowMs();
    const embeddingDenseBytes = shapes.sparse.reduce((s, v) => s + v.rowCount * v.width * 4, 0);
    const ownSparseBytes = sparse.reduce((s, p) => s + p.indices.byteLength + p.rows.byteLength, 0);
    let reducedDense = dense;
    let reducedSparse: SparseRows[];
    let bytesSent = 0;
    let bytesSavedBySparse = 0;
    if (worldSize === 1) {
      reducedSparse = sparse;
    } else if (ring) {
      const result = ring.reduce(dense, sparse);
      reducedSparse = result.sparseSums;
      bytesSent = result.bytesSent;
      bytesSavedBySparse = (2 * (worldSize - 1) * embeddingDenseBytes) / worldSize - result.sparseBytesSent;
    } else {
      if (abortedStep === message.step) throw new AllReduceAbortedError();
      const answer = new Promise<{ dense: Float32Array; sparse: SparseRowsWire[] }>((resolve, reject) => {
        pendingReduce = { step: message.step, resolve, reject };
      });
      bytesSent = dense.byteLength + ownSparseBytes;
      bytesSavedBySparse = embeddingDenseBytes - ownSparseBytes;
      post({ type: 'gradients', step: message.step, dense, sparse }, [dense.buffer, ...sparse.flatMap((p) => [p.indices.buffer, p.rows.buffer])]);
      const reduced = await answer;
      reducedDense = reduced.dense;
      reducedSparse = reduced.sparse;
    }
    const reducedMs = nowMs();
    const outcome = await current.applyGradients(meanGradients(shapes, reducedDense, reducedSparse, message.globalTokenCount));
    appliedSteps += 1;
    await injectIfDue('afterApply', message.step);
    const appliedMs = nowMs();
    const checksum = message.wantChecksum ? await current.weightChecksum() : undefined;
    return {
      type: 'stepDone',
      id: message.id,
      appliedSteps,
      report: {
        step: message.step,
        lossSum: sums.lossSum,
        tokenCount: sums.tokenCount,
        startMs,
        phasesMs: {
          compute: computedMs - startMs - (sums.readbackMs ?? 0),
          readback: (sums.readbackMs ?? 0) + (preparedMs - computedMs),
          allReduceWait: reducedMs - preparedMs,
          apply: appliedMs - reducedMs,
        },
        bytesSent,
        bytesSavedBySparse,
        ...(checksum ? { checksum } : {}),
        ...(outcome ? { outcome: { skipped: outcome.skipped, lossScale: outcome.lossScale } } : {}),
      },
    };
  }

  function emptyStep(message: Extract<ToReplica, { type: 'step' }>, startMs: number, checksum: string | undefined): FromReplica {
    const phasesMs = { compute: 0, readback: 0, allReduceWait: 0, apply: 0 };
    const report = { step: message.step, lossSum: 0, tokenCount: 0, startMs, phasesMs, bytesSent: 0, bytesSavedBySparse: 0, ...(checksum ? { checksum } : {}) };
    return { type: 'stepDone', id: message.id, appliedSteps, report };
  }

  async function handle(message: ToReplica): Promise<void> {
    const id = 'id' in message ? message.id : -1;
    try {
      switch (message.type) {
        case 'init': {
          const chosen = await initReplicaBackend(message.backend, (kind, text) =>
            post({
              type: 'deviceLost',
              error: { name: kind === 'deviceLost' ? 'GPUDeviceLostError' : 'GPUError', message: text, code: kind === 'deviceLost' ? 'DEVICE_LOST' : 'GPU_ERROR' },
            }),
            platform.nodeBackend,
          );
          const backend = chosen.backend;
          const factory = registry[message.model.kind];
          if (!factory) throw new Error(`unknown model kind "${message.model.kind}"`);
          model = await (await factory())(message.model.options, { backend, rank: message.group.rank });
          layout = gradientLayout(model.variables);
          fault = message.fault;
          configure(message.group);
          const kernels = kernelChoiceOf(model);
          post({ type: 'ready', id, ...chosen, ...(kernels ? { kernels } : {}), variables: [...model.variables], appliedSteps });
          return;
        }
        case 'configureGroup':
          configure(message.group);
          post({ type: 'ok', id });
          return;
        case 'step':
          try {
            const done = await runStep(message);
            post(done);
          } catch (error) {
            if (error instanceof AllReduceAbortedError) post({ type: 'stepAborted', id, step: message.step, appliedSteps });
            else throw error;
          } finally {
            pendingReduce = null;
          }
          return;
        case 'getState': {
          await injectIfDue('state', appliedSteps - 1);
          const state = await needModel().getState();
          // Copied, not transferred: on webgpu a tensor that has not been uploaded yet hands out its own
          // values array from data(), and transferring it would detach that tensor's storage.
          post({ type: 'state', id, state, appliedSteps });
          return;
        }
        case 'setState':
          await needModel().setState(message.state);
          appliedSteps = message.appliedSteps;
          post({ type: 'ok', id });
          return;
        case 'checksum':
          await injectIfDue('checksum', appliedSteps - 1);
          post({ type: 'checksum', id, checksum: await needModel().weightChecksum() });
          return;
        case 'dispose':
          model?.dispose();
          model = null;
          releaseReplicaBackend();
          post({ type: 'ok', id });
          return;
        default:
          // A message this host does not know is a bug on the sending side (or two builds mixed): say so.
          throw new Error(`replica: unknown message type '${(message as { type?: unknown }).type}'`);
      }
    } catch (error) {
      post({ type: 'error', id, error: serializeError(error) });
    }
  }

  endpoint.onMessage((data) => {
    const message = data as ToReplica;
    // The hub's answer and aborts must reach the step that is awaiting them, not queue behind it.
    if (message.type === 'reduced') {
      if (pendingReduce?.step === message.step) pendingReduce.resolve(message);
      return;
    }
    if (message.type === 'releaseDevice') {
      void releaseReplicaBackendSettled().finally(() => post({ type: 'deviceReleased' }));
      return;
    }
    if (message.type === 'abortStep') {
      abortedStep = message.step;
      if (pendingReduce?.step === message.step) pendingReduce.reject(new AllReduceAbortedError());
      return;
    }
    queue = queue.then(() => handle(message));
  });
}

/**
 * The kernels a model's factory installed on this thread (CaptionReplicaModel.kernelChoice); read
 * structurally because the ReplicaModel contract does not require a model to make a kernel choice.
 */
function kernelChoiceOf(model: ReplicaModel): ReplicaKernelChoice | undefined {
  const choice = (model as { kernelChoice?: Partial<ReplicaKernelChoice> }).kernelChoice;
  if (!choice || typeof choice.precision !== 'string' || typeof choice.kernels !== 'string') return undefined;
  return { precision: choice.precision, kernels: choice.kernels, ...(choice.fallbackReason ? { fallbackReason: choice.fallbackReason } : {}) };
}
