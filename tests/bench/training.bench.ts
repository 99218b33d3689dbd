/**
 * Whole training steps of the notebook's caption model, every engine variant side by side in ONE run (Node):
 *   `npx tsx tests/bench/training.bench.ts [--images 16] [--rounds 2] [--only webgpu|wasm]`
 * Model: VGG16 fc2 features 4096 → Dense 256 relu; Embedding 256 → LSTM 256; add → Dense 256 relu →
 * Dense vocab (Flickr8k kaggle protocol with the real captions from ../shared: vocab 8464, max length 35;
 * synthetic captions of vocab 8485 without it), sequence layout, dropout 0.4.
 * Variants: webgpu (Dawn in Node) stock tfjs ops / fused WGSL f32 / fused WGSL f16 (mixed_float16 with loss
 * scaling), and wasm stock, interleaved round by round (this machine is noisy). The browser twin is
 * tests/bench/browser.bench.ts. The adapter and the CPU are printed with the table.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { loadDataset } from '../../src/core/data/load';
import { nodeFolder } from '../../src/engine/platform/nodeFolder';
import { buildCorpus } from '../../src/core/text/protocols';
import { Tokenizer } from '../../src/core/text/tokenizer';
import { createGpuEngine, describeAdapter } from '../../src/gpu/device';
import { nodeGpu } from '../../src/gpu/nodeGpu';
import { formatTable, makeBatches, notebookModel, runVariants, syntheticCaptions, type Variant } from './trainingSteps';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const imagesPerStep = Number(arg('images', '16'));
const rounds = Number(arg('rounds', '2'));
const only = arg('only', '');

const shared = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'datasets', 'flickr8k');
const images = imagesPerStep * (rounds + 1);
let captions: number[][][];
let vocabSize = 8485;
let maxLength = 35;
if (existsSync(shared)) {
  const corpus = buildCorpus(await loadDataset(nodeFolder(shared), { checkImages: false }), 'kaggle');
  const tokenizer = new Tokenizer();
  tokenizer.fitOnTexts(corpus.images.flatMap((i) => i.captions));
  captions = corpus.images.slice(0, images).map((i) => tokenizer.textsToSequences(i.captions));
  vocabSize = tokenizer.vocabSize;
  maxLength = corpus.maxLength;
} else {
  captions = syntheticCaptions(images, vocabSize);
}
const config = notebookModel(vocabSize, maxLength);
const batches = makeBatches(captions, imagesPerStep, rounds + 1, config);

const engine = only === 'wasm' ? null : await createGpuEngine(await nodeGpu()).catch(() => null);
if (engine) await engine.useAsTfjsBackend();
tf.env().set('WEBGPU_CPU_FORWARD', false);
const variants: Variant[] = [];
if (engine) {
  variants.push({ backend: 'webgpu', fusedKernels: false, precision: 'float32' }, { backend: 'webgpu', fusedKernels: true, precision: 'float32' });
  if (engine.shaderF16) variants.push({ backend: 'webgpu', fusedKernels: true, precision: 'mixed_float16' });
}
if (only !== 'webgpu') variants.push({ backend: 'wasm', fusedKernels: false, precision: 'float32' });

const results = await runVariants(variants, batches, config);
console.log(
  `training bench (Node): ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}; adapter ${engine ? describeAdapter(engine.report) : 'none'}; ` +
    `vocab ${vocabSize}, maxLength ${maxLength}, ${imagesPerStep} images × 5 captions (${batches[1].tokenCount} tokens) a step, ` +
    `median of ${rounds} interleaved rounds`,
);
console.log(formatTable(results, batches[1].tokenCount));
process.exit(0);
