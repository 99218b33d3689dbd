/**
 * The small channel interface that replica code is written against, so the same code runs in a browser
 * module Web Worker and in a Node worker_threads Worker. Node specifics live in nodeEndpoint.ts.
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

/**
 * The parent endpoint of whichever kind of worker this code runs in. Node's module is imported lazily
 * through a variable specifier so browser bundles never try to resolve it.
 */
export async function currentParentEndpoint(): Promise<ParentEndpoint> {
  const scope = globalThis as unknown as { importScripts?: unknown; postMessage?: unknown };
  if (typeof scope.importScripts === 'function' || (typeof scope.postMessage === 'function' && !isNode())) {
    return webWorkerSelfEndpoint(globalThis as unknown as DedicatedWorkerGlobalScope);
  }
  const specifier = 'node:worker_threads';
  const threads = (await import(/* @vite-ignore */ specifier)) as typeof import('node:worker_threads');
  const port = threads.parentPort;
  if (!port) throw new Error('replica code must run inside a worker thread');
  return {
    postMessage: (message, transfer = []) =>
      port.postMessage(message, transfer as unknown as import('node:worker_threads').TransferListItem[]),
    onMessage: (listener) => port.on('message', listener),
    close: () => process.exit(0),
  };
}

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}
