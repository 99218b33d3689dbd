/**
 * Full-size VGG16 (138 M parameters), not a test: too slow for the suite on a CPU.
 *   npx tsx tests/bench/vgg16-roundtrip.ts [--backend wasm|cpu] [--images N]
 * Builds Keras' VGG16 with seeded random weights, saves it as a Layers model folder, loads the folder back
 * by weight name, and checks that both give the same fc2 features; prints the time of each step and the
 * forward time per image at 224×224.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { loadBackbone } from '../../src/model/backbones/index.ts';
import { nodeWeights, saveModelToFolder } from '../../src/model/backbones/loadWeightsNode.ts';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'wasm' }, images: { type: 'string', default: '2' } } });
await tf.setBackend(values.backend!);
const count = Number(values.images);
const seconds = (startMs: number): string => `${((performance.now() - startMs) / 1000).toFixed(1)} s`;

let t = performance.now();
const random = await loadBackbone({ name: 'vgg16', weights: { kind: 'random', seed: 1 } });
console.log(`build + random init (${random.model.countParams().toLocaleString('en')} parameters): ${seconds(t)}`);
const folder = await mkdtemp(join(tmpdir(), 'vgg16-bench-'));
try {
  t = performance.now();
  await saveModelToFolder(random.model, folder);
  console.log(`save to ${folder}: ${seconds(t)}`);
  const images = tf.randomUniform([count, 224, 224, 3], 0, 255, 'float32', 5) as tf.Tensor4D;
  // Warm-up call, then the timed one.
  tf.dispose(random.extract(images.slice(0, 1)));
  t = performance.now();
  const a = random.extract(images);
  const aValues = await a.data();
  const forwardMs = performance.now() - t;
  console.log(`fc2 forward: ${(forwardMs / count).toFixed(0)} ms/image (batch ${count}, ${tf.getBackend()})`);
  random.dispose();

  t = performance.now();
  const loaded = await loadBackbone({ name: 'vgg16', weights: nodeWeights(folder) });
  console.log(`load folder by name + hash weights: ${seconds(t)} (${loaded.weightsId.slice(0, 23)}…)`);
  const b = loaded.extract(images);
  const bValues = await b.data();
  let maxDiff = 0;
  for (let i = 0; i < aValues.length; i++) maxDiff = Math.max(maxDiff, Math.abs(aValues[i] - bValues[i]));
  const nonZero = aValues.filter((v) => v > 0).length;
  console.log(`fc2 features [${b.shape}]: max |difference| after reload ${maxDiff} (${nonZero} of ${aValues.length} > 0)`);
  tf.dispose([a, b, images]);
  loaded.dispose();
  if (maxDiff !== 0 || nonZero === 0) process.exitCode = 1;
} finally {
  await rm(folder, { recursive: true, force: true });
}
