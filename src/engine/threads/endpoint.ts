/**
 * The small channel interface that replica code is written against, so the same code runs in a browser
 * module Web Worker and in a Node worker_threads Worker. Node specifics live in nodeEndpoint.ts (the parent's
 * side) and nodeParent.ts (the thread's).
 */

export type EndpointEvent =
  | { kind: 'message'; data: unknown }
  /** An uncaught exception in the worker, or a message that could not be deserialized. */
  | { kind: 'error'; error: Error }
  /** The thread ended (Node reports an exit code; browsers never report this for a Web Worker). */
  | { kind: 'exit'; exitCode: number };

/** The trainer's handle on one worker. */
export interface WorkerEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  listen(listener: (event: EndpointEvent) => void): void;
  /** Ends the thread at once; resolves when it is gone. */
  terminate(): Promise<void>;
}

/** The worker's handle on its parent. */
export interface ParentEndpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  onMessage(listener: (data: unknown) => void): void;
  /** Ends this thread (used by fault injection and after dispose). */
  close(): void;
}

/** Wraps a browser Worker (module worker) as a WorkerEndpoint. */
export function webWorkerEndpoint(worker: Worker): WorkerEndpoint {
  return {
    postMessage: (message, transfer = []) => worker.postMessage(message, transfer),
    listen(listener) {
      worker.addEventListener('message', (event) => listener({ kind: 'message', data: event.data }));
      worker.addEventListener('error', (event) => {
        event.preventDefault();
        listener({ kind: 'error', error: new Error(event.message || 'worker script error') });
      });
      worker.addEventListener('messageerror', () =>
        listener({ kind: 'error', error: new Error('a message from the worker could not be read') }),
      );
    },
    async terminate() {
      worker.terminate();
    },
  };
}

/** The worker side in a browser: `self` of a dedicated module worker. */
export function webWorkerSelfEndpoint(scope: DedicatedWorkerGlobalScope): ParentEndpoint {
  return {
    postMessage: (message, transfer = []) => scope.postMessage(message, transfer),
    onMessage: (listener) => scope.addEventListener('message', (event) => listener(event.data)),
    close: () => scope.close(),
  };
}
