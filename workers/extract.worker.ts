/// <reference lib="webworker" />
// Feature extraction worker: WebGPU if the browser has it, else wasm; cache in IndexedDB. Logic: src/engine/features/worker.ts.
import { serveExtraction, type ExtractWorkerScope } from '../src/engine/features/worker';
import { IdbFeatureStore } from '../src/engine/features/cacheIdb';
import { defaultImageDecoder } from '../src/model/imageDecodeBrowser';
import { selectBackend } from '../src/gpu/backendSelect';

serveExtraction(self as unknown as ExtractWorkerScope, {
  openStore: (identity) => IdbFeatureStore.open(identity),
  decode: defaultImageDecoder(),
  prepareBackend: async () => void (await selectBackend({ gpu: (self as unknown as { navigator: Navigator }).navigator.gpu ?? null })),
});
