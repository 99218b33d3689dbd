/**
 * `npm run pretrain:demo-backbone [-- --epochs N --scenes N --batch N --lr X --seed N --out DIR --backend wasm|cpu]`
 *
 * Trains the demo backbone (src/model/backbones/demoBackbone.ts) on freshly drawn demo scenes and writes it as
 * a TensorFlow.js Layers folder (model.json + one weight shard + pretrain.json, what was run and measured) to
 * public/models/demo-backbone, where the page fetches it and Node reads it. Seeded end to end: the same
 * arguments give the same scenes, the same initial weights and the same batches. Prints the loss of every
 * epoch, the attribute accuracy on scenes of a seed the training never drew, the folder's size and the time.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { generateDemoScenes } from '../../src/core/data/demo';
import { DEMO_BACKBONE_FOLDER, demoBackboneId } from '../../src/model/backbones/demoBackbone';
import { attributeAccuracy, pretrainDemoBackbone, type PretrainOptions } from '../../src/model/backbones/demoBackboneTraining';
import { saveModelToFolder } from '../../src/model/backbones/loadWeightsNode';
import { preprocessTf } from '../../src/model/backbones/preprocess';

/** Defaults of the committed weights (README: "The demo backbone"). */
export const PRETRAIN_DEFAULTS = { epochs: 10, scenes: 2000, batch: 32, lr: 2e-3, seed: 7 };
/** Held-out scenes for the accuracy printed here (the unit test uses yet another seed). */
const HELD_OUT = { images: 1000, seed: 424242 };

/** A small held-out set for the accuracy printed after each epoch. */
const ALONG_THE_WAY = generateDemoScenes({ images: 200, seed: HELD_OUT.seed + 1 });
const percent = (share: number): string => `${(share * 100).toFixed(1)}%`;
const describeHeads = (byHead: Record<string, number>): string =>
  Object.entries(byHead)
    .map(([name, share]) => `${name} ${percent(share)}`)
    .join(', ');

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const number = (name: string, fallback: number): number => {
  const value = Number(arg(name, String(fallback)));
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number, got '${arg(name, '')}'`);
  return value;
};

const started = performance.now();
const backendName = arg('backend', 'wasm');
if (backendName === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
if (!(await tf.setBackend(backendName))) throw new Error(`tfjs could not start the ${backendName} backend`);
await tf.ready();
const options: PretrainOptions = {
  epochs: number('epochs', PRETRAIN_DEFAULTS.epochs),
  scenesPerEpoch: number('scenes', PRETRAIN_DEFAULTS.scenes),
  batchSize: number('batch', PRETRAIN_DEFAULTS.batch),
  learningRate: number('lr', PRETRAIN_DEFAULTS.lr),
  seed: number('seed', PRETRAIN_DEFAULTS.seed),
  onEpoch: async ({ epoch, meanLoss, durationMs, classify }) => {
    const along = await attributeAccuracy(classify, ALONG_THE_WAY);
    console.log(
      `epoch ${epoch}: loss ${meanLoss.toFixed(4)}, held-out attribute accuracy ${percent(along.overall)} (${describeHeads(along.byHead)}) ` +
        `(${(durationMs / 1000).toFixed(1)} s)`,
    );
  },
};
const out = resolve(arg('out', DEMO_BACKBONE_FOLDER));
console.log(
  `pretraining ${demoBackboneId()} on ${tf.getBackend()}: ${options.epochs} epochs × ${options.scenesPerEpoch} new scenes, ` +
    `batch ${options.batchSize}, learning rate ${options.learningRate}, seed ${options.seed}`,
);
const model = await pretrainDemoBackbone(options);
const trainMs = performance.now() - started;
const heldOut = generateDemoScenes(HELD_OUT);
const accuracy = await attributeAccuracy((rgb) => tf.tidy(() => model.predict(preprocessTf(rgb)) as tf.Tensor2D), heldOut);
await saveModelToFolder(model, out);
const record = {
  backboneId: demoBackboneId(),
  command: ['npm run pretrain:demo-backbone', ...(args.length ? ['--', ...args] : [])].join(' '),
  options: { ...options, onEpoch: undefined },
  backend: tf.getBackend(),
  heldOut: { ...HELD_OUT, ...accuracy },
  trainingSeconds: Math.round(trainMs / 1000),
  // CPU time of this process: on a shared machine the wall time above also counts other people's jobs.
  cpuSeconds: Math.round(process.cpuUsage().user / 1e6),
  loadAverage: loadavg().map((l) => Number(l.toFixed(1))),
};
await writeFile(join(out, 'pretrain.json'), `${JSON.stringify(record, null, 2)}\n`);
let bytes = 0;
for (const name of await readdir(out)) bytes += (await stat(join(out, name))).size;
console.log(
  `held-out seed ${HELD_OUT.seed} (${HELD_OUT.images} scenes): attribute accuracy ${(accuracy.overall * 100).toFixed(2)}% ` +
    `(${describeHeads(accuracy.byHead)}); every attribute right ${percent(accuracy.allRight)}`,
);
console.log(
  `wrote ${out} (${(bytes / 1024).toFixed(0)} KiB) in ${((performance.now() - started) / 1000).toFixed(0)} s ` +
    `(${record.cpuSeconds} s of CPU; load average ${record.loadAverage.join(', ')})`,
);
