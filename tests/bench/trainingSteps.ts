/**
 * The training-step benchmark shared by the Node script (training.bench.ts) and the browser page
 * (browser/main.ts): the notebook's caption model at full size, variants interleaved round by round.
 */
import * as tf from '@tensorflow/tfjs';
import { makeCaptionBatch } from '../../src/model/batches';
import type { CaptionModelConfig } from '../../src/model/captionModel';
import { prepareBatch, type PreparedBatch } from '../../src/model/gradients';
import { chooseModelKernels } from '../../src/model/kernelChoice';
import { CaptionReplicaModel } from '../../src/model/replicaStep';

export interface Variant {
  backend: 'webgpu' | 'wasm';
  fusedKernels: boolean;
  precision: 'float32' | 'mixed_float16';
}

export interface VariantResult extends Variant {
  /** What the run really used: 'stock tfjs ops' | 'fused WGSL f32' | 'fused WGSL f16'. */
  kernels: string;
  ms: number[];
  skipped: number;
}

export const notebookModel = (vocabSize: number, maxLength: number): CaptionModelConfig => ({
  vocabSize,
  maxLength,
  featureDim: 4096,
  units: 256,
  embedDim: 256,
  dropout: 0.4,
});

/** Synthetic captions (start 1, end 2, words 3..vocab-1, 8 to 15 words) where the real ones are not at hand. */
export function syntheticCaptions(images: number, vocabSize: number): number[][][] {
  let seed = 1;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  return Array.from({ length: images }, () =>
    Array.from({ length: 5 }, () => [1, ...Array.from({ length: 8 + Math.floor(rand() * 8) }, () => 3 + Math.floor(rand() * (vocabSize - 3))), 2]),
  );
}

/** Deterministic features of image `image` (the CPU peer bench's, on every side: Node, the page's worker, PyTorch). */
export function benchFeatures(image: number, featureDim: number): Float32Array {
  return Float32Array.from({ length: featureDim }, (_, k) => (((k + 1) * (image + 7) * 2654435761) % 1000) / 1000);
}

/** `count` batches of `imagesPerStep` images with deterministic 4096-d features, prepared for `sequence`. */
export function makeBatches(captionsPerImage: number[][][], imagesPerStep: number, count: number, config: CaptionModelConfig): PreparedBatch[] {
  return Array.from({ length: count }, (_, s) => {
    const images = captionsPerImage.slice(s * imagesPerStep, (s + 1) * imagesPerStep).map((captions, i) => ({
      features: Float32Array.from({ length: config.featureDim }, (_, k) => (((k + 1) * (i + 7) * 2654435761) % 1000) / 1000),
      captions,
    }));
    return prepareBatch(makeCaptionBatch(images, config.featureDim), config, 'sequence');
  });
}

/**
 * Batch 0 warms every variant up untimed (shader compiles, buffer pools); batches 1.. are timed, one step
 * per variant per round. A step = loss and gradients + Adam (+ the finite check under mixed_float16).
 */
export async function runVariants(variants: Variant[], batches: PreparedBatch[], config: CaptionModelConfig): Promise<VariantResult[]> {
  const results: VariantResult[] = variants.map((v) => ({ ...v, kernels: '', ms: [], skipped: 0 }));
  const replicas = new Map<VariantResult, CaptionReplicaModel>();
  async function step(v: VariantResult, s: number): Promise<number> {
    await tf.setBackend(v.backend);
    // The kernel set is per thread: install this variant's before each of its steps (no compile here).
    const choice = await chooseModelKernels({ fusedKernels: v.fusedKernels, precision: v.precision });
    v.kernels = choice.kernels;
    let replica = replicas.get(v);
    if (!replica) {
      replica = new CaptionReplicaModel({ config, layout: 'sequence', learningRate: 1e-3, seed: 1, precision: choice.precision });
      replicas.set(v, replica);
    }
    const t0 = performance.now();
    const { outcome } = await replica.trainStep(batches[s], s);
    if (outcome?.skipped) v.skipped++;
    return performance.now() - t0;
  }
  for (const v of results) await step(v, 0);
  for (let s = 1; s < batches.length; s++) for (const v of results) v.ms.push(await step(v, s));
  for (const [v, replica] of replicas) {
    await tf.setBackend(v.backend);
    replica.dispose();
  }
  return results;
}

/** A markdown table: median ms/step, tokens/s and the ratio to the webgpu stock row (else the first). */
export function formatTable(results: VariantResult[], tokensPerStep: number): string {
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
  const base = results.find((v) => v.backend === 'webgpu' && !v.fusedKernels) ?? results[0];
  const lines = ['| backend | kernels | ms/step | tokens/s | vs webgpu stock |', '|---|---|---:|---:|---:|'];
  for (const v of results) {
    const ms = median(v.ms);
    const skipped = v.skipped ? ` (${v.skipped} steps skipped)` : '';
    lines.push(`| ${v.backend} | ${v.kernels}${skipped} | ${ms.toFixed(0)} | ${((tokensPerStep / ms) * 1000).toFixed(0)} | ${(median(base.ms) / ms).toFixed(2)}× |`);
  }
  return lines.join('\n');
}

/**
 * Captions of the first `images` images of ../shared's Flickr8K in the kaggle protocol (the tokenizer fitted
 * on all of them, as training does), or synthetic ones (vocab 8485, max length 35) where the data is absent.
 */
export async function benchCaptions(images: number): Promise<{ captions: number[][][]; vocabSize: number; maxLength: number; real: boolean }> {
  const { existsSync } = await import('node:fs');
  const { resolve } = await import('node:path');
  const shared = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'datasets', 'flickr8k');
  if (!existsSync(shared)) return { captions: syntheticCaptions(images, 8485), vocabSize: 8485, maxLength: 35, real: false };
  const [{ loadDataset }, { nodeFolder }, { buildCorpus }, { Tokenizer }] = await Promise.all([
    import('../../src/core/data/load'),
    import('../../src/engine/platform/nodeFolder'),
    import('../../src/core/text/protocols'),
    import('../../src/core/text/tokenizer'),
  ]);
  const corpus = buildCorpus(await loadDataset(nodeFolder(shared), { checkImages: false }), 'kaggle');
  const tokenizer = new Tokenizer();
  tokenizer.fitOnTexts(corpus.images.flatMap((i) => i.captions));
  return {
    captions: corpus.images.slice(0, images).map((i) => tokenizer.textsToSequences(i.captions)),
    vocabSize: tokenizer.vocabSize,
    maxLength: corpus.maxLength,
    real: true,
  };
}
