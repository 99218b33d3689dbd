/**
 * Decoding benchmark: `npx tsx tests/bench/decode.bench.ts [--images 100] [--backend wasm] [--vocab 8485] [--units 256]`
 * Greedy captions of N images with the notebook-sized model (random weights, VGG16-wide 4096-d features):
 *   batched      every image advances one word per model call (greedyDecode on all N)
 *   per-image    greedyDecode on one image at a time (state carried, one token per call)
 *   notebook     the notebook's predict_caption: re-run the whole pre-padded prefix for every word (first 10 images,
 *                extrapolated to N), for reference
 * So that every image writes the full maxLength words (the same work in every mode), the end marker is not
 * recognised (endId -1) and the padding word 0 is made unpickable (dense_2 bias -1e4).
 */
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { useNodeBackend } from '../../src/engine/platform/nodeBackend';
import { asParams, CaptionModel, decoderLogits, imageBranch, type CaptionModelConfig } from '../../src/model/captionModel';
import { greedyDecode } from '../../src/model/decode';
import { lstmUnrolled } from '../../src/model/ops';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const images = Number(arg('images', '100'));
const backend = await useNodeBackend(arg('backend', 'wasm') as 'wasm');
const config: CaptionModelConfig = { vocabSize: Number(arg('vocab', '8485')), maxLength: 35, featureDim: 4096, units: Number(arg('units', '256')), embedDim: 256, dropout: 0.4 };
const weights = (await import('../../src/model/captionModel')).initialWeights(config, 1);
weights[9][0] = -1e4;
const model = new CaptionModel(config, weights);
const features = Float32Array.from({ length: images * config.featureDim }, (_, i) => ((i * 2654435761) % 1000) / 1000);
const options = { startId: 1, endId: -1, maxSteps: config.maxLength };

const time = async (f: () => Promise<unknown>) => {
  const t0 = performance.now();
  const out = await f();
  return { ms: performance.now() - t0, out };
};

await greedyDecode(model.variables, config, features.slice(0, 2 * config.featureDim), options); // warm-up
const batched = await time(() => greedyDecode(model.variables, config, features, options));
const single = await time(async () => {
  const all = [];
  for (let i = 0; i < images; i++) all.push(...(await greedyDecode(model.variables, config, features.slice(i * config.featureDim, (i + 1) * config.featureDim), options)));
  return all;
});
const same = (batched.out as { tokens: number[] }[]).every((r, i) => r.tokens.join() === (single.out as { tokens: number[] }[])[i].tokens.join());

const notebookImages = Math.min(Number(arg('notebook-images', '10')), images);
const notebook = await time(async () => {
  const p = asParams(model.variables);
  for (let i = 0; i < notebookImages; i++) {
    const seq = [options.startId];
    for (let s = 0; s < options.maxSteps; s++) {
      const logits = tf.tidy(() => {
        const padded = [...new Array(config.maxLength - seq.length).fill(0), ...seq].slice(-config.maxLength);
        const x = tf.gather(p.embeddings, tf.tensor1d(padded, 'int32')).expandDims(0) as tf.Tensor3D;
        const [h] = lstmUnrolled(x, padded.map((t) => tf.tensor2d([t ? 1 : 0], [1, 1])), p.lstm, false);
        const f = tf.tensor2d(features.slice(i * config.featureDim, (i + 1) * config.featureDim), [1, config.featureDim]);
        return decoderLogits(p, imageBranch(p, f, { dropout: 0 }), h).argMax(1);
      });
      const word = (await logits.data())[0];
      logits.dispose();
      if (word === 0 || word === options.endId) break;
      seq.push(word);
    }
  }
});
const notebookMs = (notebook.ms / notebookImages) * images;

console.log(`decode bench: ${images} images, vocab ${config.vocabSize}, units ${config.units}, maxLength ${config.maxLength}, ${backend.backend}` +
  `${backend.adapter ? ` (${backend.adapter})` : ''}, ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}`);
console.log(`  batched greedy     ${batched.ms.toFixed(0).padStart(8)} ms  (${((images * 1000) / batched.ms).toFixed(1)} images/s)`);
console.log(`  per-image greedy   ${single.ms.toFixed(0).padStart(8)} ms  (${((images * 1000) / single.ms).toFixed(1)} images/s)  ×${(single.ms / batched.ms).toFixed(1)} slower`);
console.log(`  notebook loop      ${notebookMs.toFixed(0).padStart(8)} ms  (extrapolated from ${notebookImages} images)  ×${(notebookMs / batched.ms).toFixed(1)} slower`);
const words = (batched.out as { tokens: number[] }[]).reduce((n, r) => n + r.tokens.length, 0);
console.log(`  batched and per-image captions identical: ${same}; ${words} words in all`);
model.dispose();
