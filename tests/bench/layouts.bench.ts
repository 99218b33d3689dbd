/**
 * Training-layout benchmark: `npx tsx tests/bench/layouts.bench.ts [--backend wasm|cpu|webgpu] [--steps 3] [--images 32]`
 * Tokens/s of full training steps (forward, backward, Adam) of the notebook-sized model (4096-d features,
 * units 256, embedding 256, the kaggle-protocol vocabulary of the real Flickr8K captions: 8485 words with
 * max length 35) for the `prefix` and the `sequence` layout, side by side on the same batches:
 * 32 images × 5 captions per step, real captions from ../shared/datasets/flickr8k (random features).
 * Tokens = real next-word targets (the same count in both layouts).
 * Without the shared dataset, captions are synthesised with Flickr8K-like lengths.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import { loadDataset } from '../../src/core/data/load';
import { nodeFolder } from '../../src/engine/platform/nodeFolder';
import { buildCorpus } from '../../src/core/text/protocols';
import { Tokenizer } from '../../src/core/text/tokenizer';
import { useNodeBackend } from '../../src/engine/platform/nodeBackend';
import { batchTokenCount, makeCaptionBatch, type CaptionBatch } from '../../src/model/batches';
import type { CaptionModelConfig } from '../../src/model/captionModel';
import { chooseModelKernels } from '../../src/model/kernelChoice';
import { CaptionReplicaModel } from '../../src/model/replicaStep';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const steps = Number(arg('steps', '3'));
const imagesPerStep = Number(arg('images', '32'));
const backend = await useNodeBackend(arg('backend', 'wasm') as 'wasm');
// On webgpu the training pass runs on the fused WGSL kernels unless --stock.
await chooseModelKernels({ fusedKernels: !args.includes('--stock'), precision: 'float32' });

const shared = resolve(import.meta.dirname, '..', '..', '..', 'shared', 'datasets', 'flickr8k');
let captionsPerImage: number[][][];
let vocabSize: number;
let maxLength: number;
if (existsSync(shared)) {
  const corpus = buildCorpus(await loadDataset(nodeFolder(shared), { checkImages: false }), 'kaggle');
  const tokenizer = new Tokenizer();
  tokenizer.fitOnTexts(corpus.images.flatMap((i) => i.captions));
  captionsPerImage = corpus.images.slice(0, imagesPerStep * (steps + 1)).map((i) => tokenizer.textsToSequences(i.captions));
  vocabSize = tokenizer.vocabSize;
  maxLength = corpus.maxLength;
} else {
  vocabSize = 8485;
  maxLength = 35;
  let seed = 1;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  captionsPerImage = Array.from({ length: imagesPerStep * (steps + 1) }, () =>
    Array.from({ length: 5 }, () => [1, ...Array.from({ length: 8 + Math.floor(rand() * 8) }, () => 3 + Math.floor(rand() * (vocabSize - 3))), 2]),
  );
}
const config: CaptionModelConfig = { vocabSize, maxLength, featureDim: 4096, units: 256, embedDim: 256, dropout: 0.4 };
const batches: CaptionBatch[] = [];
for (let s = 0; s <= steps; s++) {
  const images = captionsPerImage.slice(s * imagesPerStep, (s + 1) * imagesPerStep).map((captions, i) => ({
    features: Float32Array.from({ length: 4096 }, (_, k) => (((k + 1) * (i + 7) * 2654435761) % 1000) / 1000),
    captions,
  }));
  batches.push(makeCaptionBatch(images, 4096));
}

async function measure(layout: 'prefix' | 'sequence'): Promise<{ tokensPerSecond: number; msPerStep: number }> {
  const replica = new CaptionReplicaModel({ config, layout, learningRate: 1e-3, seed: 1 });
  let tokens = 0;
  let ms = 0;
  for (let s = 0; s <= steps; s++) {
    const t0 = performance.now();
    const { tokens: tokenCount } = await replica.trainStep(batches[s], s);
    if (s > 0) {
      // step 0 is warm-up (kernel compilation, allocations)
      ms += performance.now() - t0;
      tokens += tokenCount;
    }
  }
  replica.dispose();
  return { tokensPerSecond: (tokens / ms) * 1000, msPerStep: ms / steps };
}

const prefix = await measure('prefix');
const sequence = await measure('sequence');
const tokensPerStep = batchTokenCount(batches[1]);
console.log(
  `layouts bench: ${backend.backend}${backend.adapter ? ` (${backend.adapter})` : ''}, ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}; ` +
    `vocab ${vocabSize}, maxLength ${maxLength}, ${imagesPerStep} images × 5 captions (${tokensPerStep} tokens) a step, ${steps} measured steps`,
);
console.log(`  prefix    ${prefix.tokensPerSecond.toFixed(0).padStart(7)} tokens/s  ${prefix.msPerStep.toFixed(0).padStart(7)} ms/step`);
console.log(`  sequence  ${sequence.tokensPerSecond.toFixed(0).padStart(7)} tokens/s  ${sequence.msPerStep.toFixed(0).padStart(7)} ms/step  (×${(sequence.tokensPerSecond / prefix.tokensPerSecond).toFixed(1)})`);
process.exit(0);
