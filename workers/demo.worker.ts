/// <reference lib="webworker" />
// Entry of the demo-dataset worker: generation lives in src/core/data/demo.ts.
import { generateDemoDataset } from '../src/core/data/demo.ts';
import type { DemoRequest, DemoWorkerReply } from '../src/protocol/demo.ts';

self.onmessage = (event: MessageEvent<DemoRequest>) => {
  try {
    const files = generateDemoDataset(event.data);
    const buffers = Object.values(files).flatMap((content) => (typeof content === 'string' ? [] : [content.buffer as ArrayBuffer]));
    (self as unknown as DedicatedWorkerGlobalScope).postMessage({ ok: true, files } satisfies DemoWorkerReply, [...new Set(buffers)]);
  } catch (error) {
    self.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) } satisfies DemoWorkerReply);
  }
};
