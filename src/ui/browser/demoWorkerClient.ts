/**
 * Generates the demo dataset in a module worker (workers/demo.worker.ts) so drawing and PNG-encoding a few
 * hundred images does not freeze the page. Falls back to generating on this thread if the worker fails to
 * start (a missing Worker, a CSP), because a slow page beats no demo at all.
 */
import { generateDemoDataset } from '../../core/data/demo.ts';
import type { DemoFiles, DemoOptions } from '../../store/deps.ts';
import type { DemoWorkerReply } from '../../protocol/demo.ts';

export function generateDemoInWorker(options: DemoOptions, signal?: AbortSignal): Promise<DemoFiles> {
  if (typeof Worker === 'undefined') return Promise.resolve(generateDemoDataset(options));
  return new Promise<DemoFiles>((resolve, reject) => {
    const worker = new Worker(new URL('../../../workers/demo.worker.ts', import.meta.url), { type: 'module' });
    const finish = () => {
      worker.terminate();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      reject(signal?.reason ?? new DOMException('aborted', 'AbortError'));
    };
    signal?.addEventListener('abort', onAbort);
    worker.onmessage = (event: MessageEvent<DemoWorkerReply>) => {
      finish();
      if (event.data.ok) resolve(event.data.files);
      else reject(new Error(`demo generator failed: ${event.data.message}`));
    };
    worker.onerror = (event) => {
      finish();
      event.preventDefault();
      // The worker script could not run at all: generate here instead.
      try {
        resolve(generateDemoDataset(options));
      } catch (error) {
        reject(error);
      }
    };
    worker.postMessage(options);
  });
}
