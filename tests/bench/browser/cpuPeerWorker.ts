/**
 * The CPU peer bench's row for the studio's default on a machine without a hardware GPU: one replica in a Web
 * Worker of the page on tfjs wasm, as the Training panel runs it (the same wasm set-up as the replica worker,
 * prepareBrowserWasm), taking the same training step, model, weights and batches as the CLI's row of
 * tests/bench/cpuPeer.bench.ts. The page (main.ts, `?mode=cpu-peer`) hands the request over and returns the answer.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { prepareBrowserWasm } from '../../../src/engine/platform/browserWasm';
import { makeCaptionBatch } from '../../../src/model/batches';
import { prepareBatch } from '../../../src/model/gradients';
import { chooseModelKernels } from '../../../src/model/kernelChoice';
import { CaptionReplicaModel } from '../../../src/model/replicaStep';
import { benchFeatures, notebookModel } from '../trainingSteps';

export interface CpuPeerRequest {
  vocabSize: number;
  maxLength: number;
  learningRate: number;
  /** Token ids of each image's captions, by image index. */
  captions: number[][][];
  /** Image indices of each batch; batch 0 warms up untimed. */
  batches: number[][];
}

export type CpuPeerAnswer = { totalMs: number; backend: string } | { error: string };

self.onmessage = async (event: MessageEvent<CpuPeerRequest>) => {
  const request = event.data;
  try {
    await prepareBrowserWasm(false);
    await tf.setBackend('wasm');
    await tf.ready();
    const config = notebookModel(request.vocabSize, request.maxLength);
    await chooseModelKernels({ fusedKernels: true, precision: 'float32' });
    const replica = new CaptionReplicaModel({ config, layout: 'sequence', learningRate: request.learningRate, seed: 1 });
    let totalMs = 0;
    for (let s = 0; s < request.batches.length; s++) {
      const batch = makeCaptionBatch(
        request.batches[s].map((image) => ({ features: benchFeatures(image, config.featureDim), captions: request.captions[image] })),
        config.featureDim,
      );
      const start = performance.now();
      await replica.trainStep(prepareBatch(batch, config, 'sequence'), s);
      if (s > 0) totalMs += performance.now() - start;
    }
    replica.dispose();
    self.postMessage({ totalMs, backend: tf.getBackend() } satisfies CpuPeerAnswer);
  } catch (error) {
    self.postMessage({ error: (error as Error).stack ?? String(error) } satisfies CpuPeerAnswer);
  }
};
