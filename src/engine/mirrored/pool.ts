/**
 * The trainer's side of the replica workers: one ReplicaHandle per worker with request/response by id,
 * and fault detection (uncaught error, thread exit, device loss, a thrown step). A fault rejects everything
 * the replica still owed and is reported once through `onFault`.
 */
import type { FromReplica, ToReplica } from '../../protocol/replica.ts';
import { deserializeError } from '../../protocol/replica.ts';
import type { WorkerEndpoint } from '../threads/endpoint.ts';
import type { ReplicaFaultCause } from '../training/trainer.ts';

export class ReplicaFaultError extends Error {
  override name = 'ReplicaFaultError';
  constructor(
    readonly replica: number,
    readonly faultCause: ReplicaFaultCause,
    readonly original: Error,
  ) {
    super(`Replica ${replica} ${describeCause(faultCause, original)}: ${original.message}`);
  }
}

function describeCause(cause: ReplicaFaultCause, original: Error): string {
  switch (cause) {
    case 'crashed':
      return 'crashed';
    case 'threw':
      return 'threw an error';
    case 'exited':
      return 'exited unexpectedly';
    case 'hung':
      return 'stopped answering';
    case 'deviceLost':
      // Validation and out-of-memory errors travel the device-lost path too: say which one it was.
      return (original as Error & { code?: string }).code === 'GPU_ERROR' ? 'hit a WebGPU error' : 'lost its GPU device';
  }
}

type Request = Extract<ToReplica, { id: number }>;
type RequestBody = Request extends infer R ? (R extends unknown ? Omit<R, 'id'> : never) : never;
type Pending = { resolve(message: FromReplica): void; reject(error: Error): void };

export class ReplicaHandle {
  fault: ReplicaFaultError | null = null;
  /** The last step whose gradients this replica said it computed (-1: none yet). */
  lastComputedStep = -1;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private terminating = false;
  private exited = false;
  private termination: Promise<void> | null = null;
  private onDeviceReleased: (() => void) | null = null;

  constructor(
    /** Stable id shown to users; ranks change on recovery, ids do not. */
    readonly id: number,
    private readonly endpoint: WorkerEndpoint,
    private readonly onFault: (handle: ReplicaHandle) => void,
    /** Messages the replica sends unprompted (postMessage all-reduce gradients). */
    private readonly onUnprompted: (handle: ReplicaHandle, message: FromReplica) => void,
  ) {
    endpoint.listen((event) => {
      if (event.kind === 'message') this.dispatch(event.data as FromReplica);
      else if (event.kind === 'error') this.fail('crashed', event.error);
      else {
        this.exited = true;
        this.onDeviceReleased?.();
        if (!this.terminating) this.fail('exited', new Error(`worker thread ended with exit code ${event.exitCode}`));
      }
    });
  }

  get alive(): boolean {
    return this.fault === null && !this.terminating;
  }

  /** Sends a request and resolves with the reply; rejects with ReplicaFaultError if the replica fails. */
  request<T extends FromReplica['type']>(
    message: RequestBody,
    transfer: Transferable[] = [],
  ): Promise<Extract<FromReplica, { type: T }>> {
    if (this.fault) return Promise.reject(this.fault);
    if (this.terminating) return Promise.reject(new Error(`replica ${this.id} terminated`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (m: FromReplica) => void, reject });
      this.endpoint.postMessage({ ...message, id }, transfer);
    });
  }

  /** Fire-and-forget message (hub answers, aborts). */
  send(message: ToReplica, transfer: Transferable[] = []): void {
    if (this.alive) this.endpoint.postMessage(message, transfer);
  }

  fail(cause: ReplicaFaultCause, error: Error): void {
    if (this.fault || this.terminating) return;
    this.fault = new ReplicaFaultError(this.id, cause, error);
    for (const { reject } of this.pending.values()) reject(this.fault);
    this.pending.clear();
    this.onFault(this);
  }

  /** Ends the worker; every call gets the same promise (the trainer and an abort may both ask). */
  terminate(): Promise<void> {
    this.termination ??= this.endWorker();
    return this.termination;
  }

  private async endWorker(): Promise<void> {
    this.terminating = true;
    for (const { reject } of this.pending.values()) reject(new Error(`replica ${this.id} terminated`));
    this.pending.clear();
    if (!this.exited) {
      // Let the replica destroy its GPU device first (its pending buffer maps settle); a replica that does
      // not answer in time (hung, or busy in a synchronous loop) is ended anyway.
      const released = new Promise<void>((resolve) => (this.onDeviceReleased = resolve));
      this.endpoint.postMessage({ type: 'releaseDevice' } satisfies ToReplica);
      await Promise.race([released, new Promise((resolve) => setTimeout(resolve, 1000))]);
    }
    await this.endpoint.terminate();
  }

  private dispatch(message: FromReplica): void {
    if (message.type === 'deviceReleased') {
      this.onDeviceReleased?.();
      return;
    }
    if (message.type === 'deviceLost') {
      const error = deserializeError(message.error);
      // A step in flight fails with the device (its buffer maps are rejected) and can be reported before the
      // loss itself: the loss, arriving next, names the cause.
      if (this.fault?.faultCause === 'threw' && !this.terminating) {
        this.fault = new ReplicaFaultError(this.id, 'deviceLost', error);
        this.onFault(this);
        return;
      }
      this.fail('deviceLost', error);
      return;
    }
    if (message.type === 'computed') {
      this.lastComputedStep = message.step;
      return;
    }
    if (message.type === 'gradients') {
      this.onUnprompted(this, message);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.type === 'error') {
      const error = deserializeError(message.error);
      this.fail('threw', error);
      pending.reject(this.fault ?? error);
    } else {
      pending.resolve(message);
    }
  }
}
