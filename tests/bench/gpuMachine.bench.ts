/**
 * `npm run bench:gpu [-- --quick]`: the rows the README's benchmark tables lack for a machine with a real GPU,
 * in one sitting, in Node on Dawn (npm `webgpu`), printed as markdown tables under a line naming the adapter and
 * its driver (so a software adapter is never mistaken for a GPU figure):
 *   1. a whole training step of the notebook's model: stock tfjs ops, fused WGSL f32, fused WGSL f16
 *      (mixed_float16 with loss scaling, where the adapter has shader-f16), interleaved round by round;
 *   2. mirrored training with 1 and 2 replicas, each its own worker thread with its own GPU device;
 *   3. VGG16 feature extraction (fc2, random weights: the speed does not depend on them) in images/s.
 * Full size takes a few minutes on a real GPU. `--quick` shrinks every workload (tiny vocabulary, a small VGG16
 * with the same layer names, one round) so the whole path runs on lavapipe in a test; its figures mean nothing.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import os from 'node:os';
import { createGpuEngine, describeAdapter } from '../../src/gpu/device';
import { nodeGpu } from '../../src/gpu/nodeGpu';
import { loadBackbone, VGG16_KERAS, type Vgg16Config } from '../../src/model/backbones/index';
import { benchReplicas, captionWorkload, formatBenchTable } from './replicas.bench';
import { formatTable, makeBatches, notebookModel, runVariants, syntheticCaptions, type Variant } from './trainingSteps';

const quick = process.argv.includes('--quick');
const sizes = quick
  ? { vocab: 300, maxLength: 12, imagesPerStep: 2, rounds: 1, replicaImages: 4, replicaSteps: 1, vggBatch: 1, vggBatches: 1 }
  : { vocab: 8485, maxLength: 35, imagesPerStep: 16, rounds: 3, replicaImages: 32, replicaSteps: 3, vggBatch: 16, vggBatches: 3 };
const vgg16: Vgg16Config = quick ? { inputSize: 32, blockFilters: [8, 16, 32, 32, 32], fcUnits: 64, classes: 10 } : VGG16_KERAS;

const engine = await createGpuEngine(await nodeGpu());
if (!engine) {
  console.error('bench:gpu: Dawn found no WebGPU adapter (on a machine without a GPU: Mesa lavapipe from backports)');
  process.exit(1);
}
await engine.useAsTfjsBackend();
tf.env().set('WEBGPU_CPU_FORWARD', false);
const report = engine.report;
console.log(`# bench:gpu${quick ? ' --quick (tiny workloads: the figures mean nothing)' : ''}`);
console.log(`Adapter: ${describeAdapter(report)}; vendor '${report.vendor}', architecture '${report.architecture}', device '${report.device}', driver/description '${report.description}'`);
console.log(`Machine: ${os.cpus().length}× ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}`);
if (report.isSoftware) console.log('NOTE: this adapter is a software emulation on the CPU: these are not GPU figures.');

// 1. Whole training steps, variants interleaved round by round.
const config = notebookModel(sizes.vocab, sizes.maxLength);
const captions = syntheticCaptions(sizes.imagesPerStep * (sizes.rounds + 1), sizes.vocab).map((perImage) =>
  perImage.map((caption) => caption.slice(0, sizes.maxLength)),
);
const batches = makeBatches(captions, sizes.imagesPerStep, sizes.rounds + 1, config);
const variants: Variant[] = [
  { backend: 'webgpu', fusedKernels: false, precision: 'float32' },
  { backend: 'webgpu', fusedKernels: true, precision: 'float32' },
];
if (report.shaderF16) variants.push({ backend: 'webgpu', fusedKernels: true, precision: 'mixed_float16' });
const steps = await runVariants(variants, batches, config);
console.log(`\n## Whole training step (vocab ${sizes.vocab}, ${sizes.imagesPerStep} images × 5 captions = ${batches[1].tokenCount} tokens, median of ${sizes.rounds})\n`);
console.log(formatTable(steps, batches[1].tokenCount));

// 2. Mirrored replicas, each its own Dawn device in its own worker thread.
const replicaRows = await benchReplicas({
  replicaCounts: [1, 2],
  steps: sizes.replicaSteps,
  warmupSteps: 1,
  allReduce: 'ring',
  backend: 'webgpu',
  workload: captionWorkload(sizes.vocab, sizes.replicaImages),
});
console.log(`\n## Mirrored replicas on webgpu (one device each; global batch ${sizes.replicaImages} images × 5 captions, ${sizes.replicaSteps} measured steps)\n`);
console.log(formatBenchTable(replicaRows));

// 3. VGG16 feature extraction.
await tf.setBackend('webgpu');
const backbone = await loadBackbone({ name: 'vgg16', vgg16 });
const images = tf.randomUniform([sizes.vggBatch, vgg16.inputSize, vgg16.inputSize, 3], 0, 255, 'float32', 7) as tf.Tensor4D;
const timeBatch = async () => {
  const started = performance.now();
  const features = backbone.extract(images);
  await features.data();
  features.dispose();
  return performance.now() - started;
};
await timeBatch(); // warm-up: pipelines compiled, buffers allocated
const batchMs: number[] = [];
for (let i = 0; i < sizes.vggBatches; i++) batchMs.push(await timeBatch());
const medianMs = [...batchMs].sort((a, b) => a - b)[Math.floor((batchMs.length - 1) / 2)];
console.log(`\n## VGG16 feature extraction (${quick ? 'small VGG16 with the same names' : 'Keras VGG16, 224×224'}, fc2 ${vgg16.fcUnits}-d)\n`);
console.log('| backend | batch | ms/batch | images/s |\n|---|---:|---:|---:|');
console.log(`| webgpu | ${sizes.vggBatch} | ${medianMs.toFixed(0)} | ${((sizes.vggBatch * 1000) / medianMs).toFixed(1)} |`);
tf.dispose(images);
backbone.dispose();
engine.destroy();
process.exit(0);
