/**
 * Loading full-size VGG16 weights (528 MB), not a test: time and peak memory of one load, in a process of
 * its own (peak RSS is a process's lifetime maximum, so run one source per process).
 *   /usr/bin/python3 tests/fixtures/make_keras_files.py --vgg16-full /tmp/vgg16_full.h5
 *   /usr/bin/python3 tests/fixtures/make_keras_files.py --vgg16-full-tfjs /tmp/vgg16_full_tfjs   (same weights)
 *   npx tsx tests/bench/keras-load.bench.ts --weights /tmp/vgg16_full.h5 [--backend wasm|cpu]
 *   npx tsx tests/bench/keras-load.bench.ts --weights /tmp/vgg16_full_tfjs
 *   npx tsx tests/bench/keras-load.bench.ts --weights random        (the model alone, for reference)
 * Prints the load time, the peak RSS, the RSS once loaded, and a checksum of the fc2 features of one seeded
 * image, which must be the same for the .h5 and the tfjs folder of the same weights.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { floatArraysChecksum } from '../../src/core/checksum.ts';
import { loadBackbone } from '../../src/model/backbones/index.ts';
import { nodeWeights } from '../../src/model/backbones/loadWeightsNode.ts';

const { values } = parseArgs({ options: { weights: { type: 'string' }, backend: { type: 'string', default: 'wasm' } } });
if (!values.weights) throw new Error('--weights <file.h5|folder|random> is required');
await tf.setBackend(values.backend!);
await tf.ready();

const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const before = process.memoryUsage().rss;
const startMs = performance.now();
const backbone = await loadBackbone({ name: 'vgg16', weights: values.weights === 'random' ? { kind: 'random', seed: 1 } : nodeWeights(values.weights) });
const loadMs = performance.now() - startMs;
// With `node --expose-gc` (NODE_OPTIONS=--expose-gc): collect first, so the figure leaves out garbage.
(globalThis as { gc?: () => void }).gc?.();
const loadedRss = process.memoryUsage().rss;
// maxRSS is in KiB: the kernel's high-water mark of this process so far.
const peakRss = process.resourceUsage().maxRSS * 1024;
console.log(`source: ${values.weights} (${tf.getBackend()})`);
console.log(`load: ${(loadMs / 1000).toFixed(1)} s; RSS before ${mib(before)}, peak during load ${mib(peakRss)}, once loaded ${mib(loadedRss)}`);
console.log(`weightsId: ${backbone.weightsId}`);
const image = tf.randomUniform([1, 224, 224, 3], 0, 255, 'float32', 5) as tf.Tensor4D;
const features = backbone.extract(image);
console.log(`fc2 features of a seeded image: checksum ${floatArraysChecksum([(await features.data()) as Float32Array])}`);
tf.dispose([image, features]);
backbone.dispose();
