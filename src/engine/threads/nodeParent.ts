/**
 * The worker side of a Node worker thread (Node only). Its own module: worker entries import it, and they
 * run from a CommonJS bundle, where nodeEndpoint.ts's module-level `import.meta.url` has no value.
 */
import { parentPort, type TransferListItem } from 'node:worker_threads';
import type { ParentEndpoint } from './endpoint.ts';

export function nodeParentEndpoint(): ParentEndpoint {
  const port = parentPort;
  if (!port) throw new Error('replica code must run inside a worker thread');
  return {
    postMessage: (message, transfer = []) => port.postMessage(message, transfer as unknown as TransferListItem[]),
    onMessage: (listener) => port.on('message', listener),
    close: () => process.exit(0),
  };
}
