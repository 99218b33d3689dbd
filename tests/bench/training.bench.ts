/**
 * Whole training steps of the notebook's caption model, every engine variant side by side in ONE run:
 *   `npx tsx tests/bench/training.bench.ts [--images 16] [--rounds 2] [--only webgpu|wasm]`
 * Model: VGG16 fc2 features 4096 → Dense 256 relu; Embedding 256 → LSTM 256; add → Dense 256 relu →
 * Dense vocab (Flickr8k kaggle protocol: vocab 8485 with the real captions from ../shared, else synthetic
 * captions of the same vocabulary), sequence layout (whole-caption teacher forcing), dropout 0.4.
 * A step = loss and gradients of the batch + the Adam update (+ the finite check under mixed_float16).
 * Variants: webgpu (Dawn in Node) stock tfjs ops / fused WGSL f32 / fused WGSL f16 (mixed_float16 with loss
 * scaling), and wasm stock. Rounds interleave the variants (this machine is noisy); each variant runs one
 * untimed warm-up step (shader compiles) first. The adapter and the CPU are printed with the table.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { loadDataset } from '../../src/core/data/load';
import { nodeFolder } from '../../src/core/data/nodeFolder';
import { buildCorpus } from '../../src/core/text/protocols';
import { Tokenizer } from '../../src/core/text/tokenizer';
import { createGpuEngine, describeAdapter } from '../../src/gpu/device';
import { nodeGpu } from '../../src/gpu/nodeGpu';
import { makeCaptionBatch, type CaptionBatch } from '../../src/model/batches';
import type { CaptionModelConfig } from '../../src/model/captionModel';
import { prepareBatch, type PreparedBatch } from '../../src/model/gradients';
import { chooseModelKernels } from '../../src/model/kernelChoice';
import { CaptionReplicaModel } from '../../src/model/replicaStep';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const imagesPerStep = Number(arg('images', '16'));
const rounds = Number(arg('rounds', '2'));
const only = arg('only', '');

// Captions: the real Flickr8k ones when ../shared is present (vocabulary and lengths as the notebook's).
const shared = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'datasets', 'flickr8k');
const batchCount = rounds + 1;
let captionsPerImage: number[][][];
let vocabSize = 8485;
let maxLength = 35;
if (existsSync(shared)) {
  const corpus = buildCorpus(await loadDataset(nodeFolder(shared), { checkImages: false }), 'kaggle');
  const tokenizer = new Tokenizer();
  tokenizer.fitOnTexts(corpus.images.flatMap((i) => i.captions));
  captionsPerImage = corpus.images.slice(0, imagesPerStep * batchCount).map((i) => tokenizer.textsToSequences(i.captions));
  vocabSize = tokenizer.vocabSize;
  maxLength = corpus.maxLength;
} else {
  let seed = 1;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  captionsPerImage = Array.from({ length: imagesPerStep * batchCount }, () =>
    Array.from({ length: 5 }, () => [1, ...Array.from({ length: 8 + Math.floor(rand() * 8) }, () => 3 + Math.floor(rand() * (vocabSize - 3))), 2]),
  );
}
const config: CaptionModelConfig = { vocabSize, maxLength, featureDim: 4096, units: 256, embedDim: 256, dropout: 0.4 };
const batches: PreparedBatch[] = [];
for (let s = 0; s < batchCount; s++) {
  const images = captionsPerImage.slice(s * imagesPerStep, (s + 1) * imagesPerStep).map((captions, i) => ({
    features: Float32Array.from({ length: 4096 }, (_, k) => (((k + 1) * (i + 7) * 2654435761) % 1000) / 1000),
    captions,
  }));
  const batch: CaptionBatch = makeCaptionBatch(images, 4096);
  batches.push(prepareBatch(batch, config, 'sequence'));
}

interface Variant {
  label: string;
  backend: 'webgpu' | 'wasm';
  fusedKernels: boolean;
  precision: 'float32' | 'mixed_float16';
  replica?: CaptionReplicaModel;
  kernels?: string;
  ms: number[];
  tokens: number;
  skipped: number;
}

const engine = only === 'wasm' ? null : await createGpuEngine(await nodeGpu()).catch(() => null);
if (engine) await engine.useAsTfjsBackend();
tf.env().set('WEBGPU_CPU_FORWARD', false);
const variants: Variant[] = [];
const add = (label: string, backend: Variant['backend'], fusedKernels: boolean, precision: Variant['precision']) =>
  variants.push({ label, backend, fusedKernels, precision, ms: [], tokens: 0, skipped: 0 });
if (engine) {
  add('webgpu  stock tfjs ops', 'webgpu', false, 'float32');
  add('webgpu  fused WGSL f32', 'webgpu', true, 'float32');
  if (engine.shaderF16) add('webgpu  fused WGSL f16 (mixed_float16)', 'webgpu', true, 'mixed_float16');
}
if (only !== 'webgpu') add('wasm    stock tfjs ops', 'wasm', false, 'float32');

/** One training step of `v` on batch `s`; returns its wall time in ms. */
async function step(v: Variant, s: number): Promise<number> {
  await tf.setBackend(v.backend);
  // The kernel set is per thread: install this variant's before each of its steps (cheap, no compile).
  const choice = await chooseModelKernels({ fusedKernels: v.fusedKernels, precision: v.precision });
  v.kernels = choice.kernels;
  v.replica ??= new CaptionReplicaModel({ config, layout: 'sequence', learningRate: 1e-3, seed: 1, precision: choice.precision });
  const t0 = performance.now();
  const { lossSum, gradients, tokenCount } = v.replica.gradientTensors(batches[s], s);
  const means = tf.tidy(() => gradients.map((g) => g.div(tokenCount)));
  const outcome = await v.replica.applyMeanTensors(means);
  await lossSum.data();
  tf.dispose([lossSum, ...gradients, ...means]);
  if (outcome?.skipped) v.skipped++;
  return performance.now() - t0;
}

for (const v of variants) await step(v, 0); // warm-up: shader compiles, buffer pools
for (let r = 1; r <= rounds; r++) {
  for (const v of variants) {
    v.ms.push(await step(v, r));
    v.tokens += batches[r].tokenCount;
  }
}

const tokensPerStep = batches[1].tokenCount;
console.log(
  `training bench: ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}; adapter ${engine ? describeAdapter(engine.report) : 'none'}; ` +
    `vocab ${vocabSize}, maxLength ${maxLength}, features 4096, units 256, ${imagesPerStep} images × 5 captions ` +
    `(${tokensPerStep} tokens) a step, ${rounds} interleaved rounds (median), sequence layout`,
);
const base = variants.find((v) => v.backend === 'webgpu' && !v.fusedKernels) ?? variants[0];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
console.log('| backend | kernels | ms/step | tokens/s | vs webgpu stock |');
console.log('|---|---|---:|---:|---:|');
for (const v of variants) {
  const ms = median(v.ms);
  const ratio = median(base.ms) / ms;
  const skipped = v.skipped ? ` (${v.skipped} steps skipped)` : '';
  console.log(`| ${v.backend} | ${v.kernels}${skipped} | ${ms.toFixed(0)} | ${((tokensPerStep / ms) * 1000).toFixed(0)} | ${ratio.toFixed(2)}× |`);
}
process.exit(0);
