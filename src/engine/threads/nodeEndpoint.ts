/**
 * Node worker_threads behind the WorkerEndpoint interface (Node only: imports node:worker_threads).
 * A `.ts` worker entry starts from one CommonJS file that esbuild bundles from it (its imports from this
 * repository inlined, packages left to require()), written once per content under node_modules/.cache.
 * Measured (6 replica threads started one after another, 2-core machine): 1.04 s of CPU a thread through
 * tsx's loader (a loader thread of its own in each worker, our sources transformed on the way, tfjs imported
 * as ES module: Node scans its CommonJS bundles for export names), 0.33 s from the bundle.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { buildSync } from 'esbuild';
import type { WorkerEndpoint } from './endpoint.ts';

/** The replica worker entry for Node threads (the CLI's `train --replicas N`, tests). */
export const replicaWorkerUrl = new URL('../../../workers/replica.node.ts', import.meta.url);

/** Where bundled worker entries are kept: inside node_modules, so their require() finds the packages. */
const bundleDir = fileURLToPath(new URL('../../../node_modules/.cache/caption-studio-workers/', import.meta.url));
const bundles = new Map<string, string>();

/** The CommonJS bundle of a `.ts` worker entry (built once per process, written once per content). */
function bundledEntry(entry: URL): string {
  const known = bundles.get(entry.href);
  if (known) return known;
  const entryPath = fileURLToPath(entry);
  let code: string;
  try {
    const result = buildSync({ entryPoints: [entryPath], bundle: true, platform: 'node', format: 'cjs', target: 'node20', packages: 'external', write: false, logLevel: 'silent' });
    code = result.outputFiles[0].text;
  } catch (error) {
    throw new Error(`the worker entry ${entryPath} could not be bundled: ${(error as Error).message}`, { cause: error });
  }
  const file = join(bundleDir, `${createHash('sha256').update(code).digest('hex').slice(0, 16)}.cjs`);
  if (!existsSync(file)) {
    mkdirSync(bundleDir, { recursive: true });
    // Written beside and renamed: another process starting the same workers never reads half a file.
    const partial = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
    writeFileSync(partial, `// Bundled from ${entryPath} by src/engine/threads/nodeEndpoint.ts\n${code}`);
    renameSync(partial, file);
  }
  bundles.set(entry.href, file);
  return file;
}

export function nodeWorkerEndpoint(entry: URL = replicaWorkerUrl): WorkerEndpoint {
  const worker = new Worker(entry.pathname.endsWith('.ts') ? bundledEntry(entry) : entry);
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
