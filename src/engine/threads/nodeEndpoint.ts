/**
 * Node worker_threads behind the WorkerEndpoint interface (Node only: imports node:worker_threads).
 * A `.ts` worker entry is started through tsx's ESM loader: `execArgv: ['--import', 'tsx']` is not honoured
 * by worker threads on Node 20 (it fails with ERR_UNKNOWN_FILE_EXTENSION), so a one-line bootstrap
 * registers tsx inside the thread and then imports the entry.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerEndpoint } from './endpoint.ts';

/** The replica worker entry of this repository. */
export const replicaWorkerUrl = new URL('../../../workers/replica.worker.ts', import.meta.url);

/**
 * tsx's register API as a URL resolved from this file: an eval'd worker resolves bare names from the
 * process's working directory, so `caption-studio train --replicas N` run elsewhere would not find tsx.
 */
function tsxApiUrl(): string {
  const resolveHere = (import.meta as { resolve?: (specifier: string) => string }).resolve;
  if (typeof resolveHere === 'function') {
    try {
      return resolveHere('tsx/esm/api');
    } catch {
      // Some loaders (vitest's module runner) offer no working import.meta.resolve: require's view below.
    }
  }
  return pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
}

/**
 * tfjs, which every replica loads, imported before tsx is registered: through tsx's loader hooks (and with the
 * source maps tsx turns on, read for each of tfjs's bundles) a thread took about 1.1 s of CPU to start, and
 * 0.85 s with tfjs loaded first (measured: 6 replica threads started one after another, 2-core machine).
 */
function tfjsUrl(): string {
  return pathToFileURL(createRequire(import.meta.url).resolve('@tensorflow/tfjs')).href;
}

export function nodeWorkerEndpoint(entry: URL = replicaWorkerUrl): WorkerEndpoint {
  const worker = entry.pathname.endsWith('.ts')
    ? new Worker(
        // The CommonJS build (what require resolves) exposes register on its default export.
        `await import(${JSON.stringify(tfjsUrl())}); const api = await import(${JSON.stringify(tsxApiUrl())}); (api.register ?? api.default.register)(); await import(${JSON.stringify(entry.href)});`,
        { eval: true },
      )
    : new Worker(entry);
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    postMessage: (message, transfer = []) =>
      worker.postMessage(message, transfer as unknown as import('node:worker_threads').TransferListItem[]),
    listen(listener) {
      worker.on('message', (data) => listener({ kind: 'message', data }));
      worker.on('error', (error) => listener({ kind: 'error', error }));
      worker.on('messageerror', (error) => listener({ kind: 'error', error }));
      worker.on('exit', (exitCode) => {
        exited = true;
        listener({ kind: 'exit', exitCode });
      });
    },
    async terminate() {
      if (!exited) await worker.terminate();
      await exitedPromise;
    },
  };
}
