/**
 * Where a wasm training step of the notebook-sized caption model spends its time (issue 17, item 1):
 *   `npx tsx tests/bench/wasmProfile.bench.ts [--images 32] [--rounds 3] [--backend wasm|cpu]`
 * Model and batch as training.bench.ts (4096-d features → Dense 256; Embedding 256 → LSTM 256; Dense 256;
 * Dense vocab; real Flickr8K captions in the kaggle protocol from ../shared, sequence layout, dropout 0.4).
 *
 * Two tables, from one sitting:
 * - stages: each part of the step run alone at the step's own sizes (forward+backward where it has one),
 *   in interleaved rounds, the fastest kept (the least disturbed by other jobs on a shared machine); "rest" is
 *   the whole step minus the measured parts (gathers, add, dense_1, the tape itself);
 * - kernels: tf.profile of one whole step, kernel time summed by kernel name (wasm runs kernels
 *   synchronously, so these times are exact and add up to the kernels' share of the step).
 * The load average is printed with the tables: on a shared machine only the shares within a sitting compare.
 */
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { useNodeBackend } from '../../src/engine/platform/nodeBackend';
import { makeCaptionBatch, sequenceArrays } from '../../src/model/batches';
import { asParams, imageBranch } from '../../src/model/captionModel';
import { prepareBatch } from '../../src/model/gradients';
import { chooseModelKernels } from '../../src/model/kernelChoice';
import { modelKernels } from '../../src/model/kernels';
import { dropout, gatherRows, lstmLayer } from '../../src/model/ops';
import { CaptionReplicaModel } from '../../src/model/replicaStep';
import { benchCaptions, makeBatches, notebookModel } from './trainingSteps';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const imagesPerStep = Number(arg('images', '32'));
const rounds = Number(arg('rounds', '3'));
const backendName = arg('backend', 'wasm') as 'wasm' | 'cpu';

const data = await benchCaptions(imagesPerStep * (rounds + 1));
const config = notebookModel(data.vocabSize, data.maxLength);
await useNodeBackend(backendName);
await chooseModelKernels({ fusedKernels: true, precision: 'float32' });
const batches = makeBatches(data.captions, imagesPerStep, rounds + 1, config);
const replica = new CaptionReplicaModel({ config, layout: 'sequence', learningRate: 1e-3, seed: 1 });
const p = asParams(replica.model.variables);
const v = replica.model.variables;

type Stage = { name: string; run: (round: number) => Promise<void> | void };
const images = (round: number) =>
  data.captions.slice(round * imagesPerStep, (round + 1) * imagesPerStep).map((captions, i) => ({
    features: Float32Array.from({ length: config.featureDim }, (_, k) => (((k + 1) * (i + 7) * 2654435761) % 1000) / 1000),
    captions,
  }));
const chunk = (round: number) => batches[round].chunks[0];
const grads = (f: () => tf.Scalar, xs: tf.Variable[]) => {
  const { value, grads: g } = tf.variableGrads(f, xs);
  tf.dispose([value, ...Object.values(g)]);
};

const stages: Stage[] = [
  {
    name: 'whole step: loss + gradients + Adam (trainStep)',
    run: async (round) => {
      await replica.trainStep(batches[round], round);
    },
  },
  {
    name: 'batch building: makeCaptionBatch + prepareBatch (JS)',
    run: (round) => {
      const list = images(round);
      const start = performance.now();
      prepareBatch(makeCaptionBatch(list, config.featureDim), config, 'sequence');
      extraMs = performance.now() - start; // the feature arrays above are the bench's, not the step's
    },
  },
  {
    name: 'data transfer: features and index arrays into tensors, loss out',
    run: () => {
      const { batch, arrays } = chunk(1);
      const a = arrays as ReturnType<typeof sequenceArrays>;
      const ts = [
        tf.tensor2d(batch.features, [batch.imageCount, batch.featureDim]),
        tf.tensor1d(a.inputs, 'int32'),
        tf.tensor1d(a.rowImage, 'int32'),
        tf.tensor1d(a.targetPositions, 'int32'),
        tf.tensor1d(a.targets, 'int32'),
      ];
      ts[0].dataSync();
      tf.dispose(ts);
    },
  },
  {
    name: 'image branch: dropout + Dense 4096→256 relu, fwd+bwd',
    run: (round) =>
      tf.tidy(() => {
        const features = tf.tensor2d(chunk(round).batch.features, [imagesPerStep, config.featureDim]);
        grads(() => tf.sum(imageBranch(p, features, { dropout: config.dropout, seed: round }, modelKernels())) as tf.Scalar, [v[0], v[1]]);
      }),
  },
  {
    name: 'LSTM layer: embedding + dropout + LSTM over the steps, fwd+bwd',
    run: (round) =>
      tf.tidy(() => {
        const a = chunk(round).arrays as ReturnType<typeof sequenceArrays>;
        const upstream = tf.randomUniform([a.steps * a.rows, config.units], -1, 1, 'float32', round);
        const embed = (ids: tf.Tensor1D) => dropout(gatherRows(p.embeddings, ids), config.dropout, round);
        grads(() => tf.sum(tf.mul(lstmLayer(a.inputs, a.rows, a.steps, embed, p.lstm, true, modelKernels().sequenceLstm), upstream)) as tf.Scalar, [v[2], v[3], v[4], v[5]]);
      }),
  },
  {
    name: 'LSTM layer: forward only',
    run: (round) =>
      tf.tidy(() => {
        const a = chunk(round).arrays as ReturnType<typeof sequenceArrays>;
        const embed = (ids: tf.Tensor1D) => dropout(gatherRows(p.embeddings, ids), config.dropout, round);
        lstmLayer(a.inputs, a.rows, a.steps, embed, p.lstm, true, modelKernels().sequenceLstm).dataSync();
      }),
  },
  {
    name: 'output layer: Dense 256→vocab + softmax cross-entropy, fwd+bwd',
    run: (round) =>
      tf.tidy(() => {
        const a = chunk(round).arrays as ReturnType<typeof sequenceArrays>;
        const h = tf.variable(tf.randomUniform([a.targets.length, config.units], 0, 1, 'float32', round));
        const targets = tf.tensor1d(a.targets, 'int32');
        grads(() => modelKernels().outputLossSum(h as tf.Tensor as tf.Tensor2D, p.dense2Kernel, p.dense2Bias, targets), [h, v[8], v[9]]);
        h.dispose();
      }),
  },
  {
    name: 'output layer: forward only',
    run: (round) =>
      tf.tidy(() => {
        const a = chunk(round).arrays as ReturnType<typeof sequenceArrays>;
        const h = tf.randomUniform([a.targets.length, config.units], 0, 1, 'float32', round) as tf.Tensor2D;
        modelKernels().outputLossSum(h, p.dense2Kernel, p.dense2Bias, tf.tensor1d(a.targets, 'int32')).dataSync();
      }),
  },
  {
    name: 'Adam over all weights',
    run: () => {
      const gs = tf.tidy(() => v.map((w, i) => tf.randomUniform(w.shape, -1e-3, 1e-3, 'float32', i)));
      const start = performance.now();
      replica.optimizer.apply(gs);
      tf.tidy(() => v[0].sum().dataSync());
      extraMs = performance.now() - start;
      tf.dispose(gs);
    },
  },
];
/** A stage that times only part of its body sets this; otherwise the whole body is timed. */
let extraMs: number | null = null;

const times = new Map<string, number[]>();
for (let round = 0; round <= rounds; round++) {
  for (const stage of stages) {
    extraMs = null;
    const start = performance.now();
    await stage.run(Math.max(1, round));
    const ms = extraMs ?? performance.now() - start;
    if (round > 0) times.set(stage.name, [...(times.get(stage.name) ?? []), ms]); // round 0 warms up
  }
}
const fastest = (xs: number[]) => Math.min(...xs);
const ms = (prefix: string) => fastest(times.get(stages.find((s) => s.name.startsWith(prefix))!.name)!);
const whole = ms('whole step');
const measuredParts = ['image branch', 'LSTM layer: embedding', 'output layer: Dense', 'Adam'].reduce((sum, n) => sum + ms(n), 0);

// Kernel view of one whole step.
const profile = await tf.profile(async () => {
  await replica.trainStep(batches[1], 99);
});
const byKernel = new Map<string, { ms: number; count: number }>();
for (const k of profile.kernels) {
  // A custom-gradient op shows as 'forward' around the kernels it runs (each counted by its own name).
  if (k.name === 'forward') continue;
  const entry = byKernel.get(k.name) ?? { ms: 0, count: 0 };
  entry.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
  entry.count += 1;
  byKernel.set(k.name, entry);
}
const kernelTotal = [...byKernel.values()].reduce((s, e) => s + e.ms, 0);

const tokens = batches[1].tokenCount;
const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(
  `wasm step profile: backend ${tf.getBackend()}, ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'cpu'}, load average ${load}; ` +
    `${data.real ? 'Flickr8K kaggle captions' : 'synthetic captions'}, vocab ${config.vocabSize}, ${imagesPerStep} images × 5 captions = ${tokens} tokens, ` +
    `${(chunk(1).arrays as ReturnType<typeof sequenceArrays>).steps} LSTM steps; fastest of ${rounds} interleaved rounds; kernels: ${modelKernels().label}`,
);
console.log('\n| stage | ms | share of the step |\n|---|---:|---:|');
for (const stage of stages) {
  const value = fastest(times.get(stage.name)!);
  console.log(`| ${stage.name} | ${value.toFixed(0)} | ${((100 * value) / whole).toFixed(0)}% |`);
}
console.log(`| rest: gathers, add, dense_1, tape (whole − image − LSTM − output − Adam) | ${(whole - measuredParts).toFixed(0)} | ${((100 * (whole - measuredParts)) / whole).toFixed(0)}% |`);
console.log(`\nwhole step ${whole.toFixed(0)} ms = ${((tokens / whole) * 1000).toFixed(0)} tokens/s`);
console.log(`\nkernels of one step (tf.profile, custom-gradient wrappers left out): ${[...byKernel.values()].reduce((s, e) => s + e.count, 0)} kernel calls, ${kernelTotal.toFixed(0)} ms in kernels; the rest of the step runs outside kernels (JavaScript: the CPU LSTM gate loops, the tape, copies)\n`);
console.log('| kernel | calls | ms | share of kernel time |\n|---|---:|---:|---:|');
for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 14)) {
  console.log(`| ${name} | ${e.count} | ${e.ms.toFixed(0)} | ${((100 * e.ms) / kernelTotal).toFixed(0)}% |`);
}
replica.dispose();
process.exit(0);
