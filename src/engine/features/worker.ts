/**
 * Feature extraction in a worker (workers/extract.worker.ts is its three-line entry), so a page stays
 * responsive while thousands of images go through the backbone. The page sends one `start` with the images as
 * Files/Blobs; the worker decodes natively (createImageBitmap + OffscreenCanvas), writes every batch to the
 * IndexedDB cache, and reports progress. Features stay in IndexedDB: the page reads them with IdbFeatureStore.
 */
import { serializeError } from '../../protocol/replica';
import { loadBackbone } from '../../model/backbones/index';
import type { ImageDecoder } from '../../model/imageDecode';
import type { ExtractWeights, FromExtractWorker, ToExtractWorker } from '../../protocol/extraction';
import { extractFeatures, identityOf } from './extract';
import type { FeatureIdentity, FeatureStore } from './cache';

export type { ExtractWeights, FromExtractWorker, ToExtractWorker };


/** The part of a worker's global scope this needs (a fake in Node tests). */
export interface ExtractWorkerScope {
  postMessage(message: FromExtractWorker): void;
  addEventListener(type: 'message', listener: (event: { data: ToExtractWorker }) => void): void;
}

export interface ExtractWorkerDeps {
  openStore(identity: FeatureIdentity): Promise<FeatureStore>;
  decode: ImageDecoder;
  /** Sets up the tfjs backend once before the first extraction. */
  prepareBackend?: () => Promise<void>;
}

export function serveExtraction(scope: ExtractWorkerScope, deps: ExtractWorkerDeps): void {
  let controller: AbortController | null = null;
  let prepared: Promise<void> | null = null;
  scope.addEventListener('message', ({ data }) => {
    if (data.type === 'abort') {
      controller?.abort();
      return;
    }
    controller = new AbortController();
    void run(data, controller.signal);
  });

  async function run(request: Extract<ToExtractWorker, { type: 'start' }>, signal: AbortSignal): Promise<void> {
    try {
      prepared ??= deps.prepareBackend?.() ?? Promise.resolve();
      await prepared;
      const backbone = await loadBackbone({
        name: request.backbone,
        weights: request.weights,
        mobilenet: request.alpha === undefined ? undefined : { alpha: request.alpha },
      });
      try {
        const identity = identityOf(backbone, request.resize);
        scope.postMessage({ type: 'ready', identity });
        const store = await deps.openStore(identity);
        try {
          const images = request.images.map(({ name, blob }) => ({ name, read: async () => new Uint8Array(await blob.arrayBuffer()) }));
          const result = await extractFeatures(backbone, images, store, {
            batchSize: request.batchSize,
            signal,
            decode: deps.decode,
            onProgress: (progress) => scope.postMessage({ type: 'progress', progress }),
          });
          const { computed, cached, skipped, durationMs } = result;
          scope.postMessage({ type: 'done', computed, cached, skipped, durationMs });
        } finally {
          await store.close();
        }
      } finally {
        backbone.dispose();
      }
    } catch (error) {
      if ((error as Error).name === 'AbortError') scope.postMessage({ type: 'aborted' });
      else scope.postMessage({ type: 'failed', error: serializeError(error) });
    }
  }
}
