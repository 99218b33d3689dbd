import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBackbone, vgg16LayerSpecs, VGG16_KERAS, WeightsError, type Vgg16Config } from '../../../../src/model/backbones/index.ts';
import { nodeWeights, saveModelToFolder } from '../../../../src/model/backbones/loadWeightsNode.ts';
import { preprocessCaffe } from '../../../../src/model/backbones/preprocess.ts';
import { buildVgg16 } from '../../../../src/model/backbones/vgg16.ts';

/** Same names and structure as Keras' VGG16, narrow enough to build and run in milliseconds. */
const TINY: Vgg16Config = { inputSize: 32, blockFilters: [4, 4, 8, 8, 8], fcUnits: 16, classes: 10 };

const KERAS_NAMES = [
  'input_1',
  'block1_conv1', 'block1_conv2', 'block1_pool',
  'block2_conv1', 'block2_conv2', 'block2_pool',
  'block3_conv1', 'block3_conv2', 'block3_conv3', 'block3_pool',
  'block4_conv1', 'block4_conv2', 'block4_conv3', 'block4_pool',
  'block5_conv1', 'block5_conv2', 'block5_conv3', 'block5_pool',
  'flatten', 'fc1', 'fc2', 'predictions',
];

let dir: string;
beforeAll(async () => {
  await tf.setBackend('wasm');
  dir = await mkdtemp(join(tmpdir(), 'vgg16-test-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function randomImages(count: number, size: number, seed: number): tf.Tensor4D {
  return tf.randomUniform([count, size, size, 3], 0, 255, 'float32', seed) as tf.Tensor4D;
}

describe('VGG16 topology', () => {
  it('matches Keras VGG16 layer for layer (names, output shapes, 138,357,544 parameters)', () => {
    const specs = vgg16LayerSpecs(VGG16_KERAS);
    expect(specs.map((s) => s.name)).toEqual(KERAS_NAMES);
    const byName = new Map(specs.map((s) => [s.name, s]));
    expect(byName.get('block1_conv1')).toMatchObject({ outputShape: [224, 224, 64], params: 1792 });
    expect(byName.get('block3_conv3')).toMatchObject({ outputShape: [56, 56, 256], params: 590080 });
    expect(byName.get('block5_pool')).toMatchObject({ outputShape: [7, 7, 512], params: 0 });
    expect(byName.get('flatten')!.outputShape).toEqual([25088]);
    expect(byName.get('fc1')).toMatchObject({ outputShape: [4096], params: 102764544 });
    expect(byName.get('fc2')).toMatchObject({ outputShape: [4096], params: 16781312 });
    expect(byName.get('predictions')).toMatchObject({ outputShape: [1000], params: 4097000, activation: 'softmax' });
    expect(specs.reduce((sum, s) => sum + s.params, 0)).toBe(138357544);
  });

  it('builds tf.layers exactly as the spec list says (checked on a narrow config)', () => {
    const model = buildVgg16(TINY, { seed: 1 });
    try {
      const specs = vgg16LayerSpecs(TINY);
      expect(model.layers.map((l) => l.name)).toEqual(specs.map((s) => s.name));
      model.layers.forEach((layer, i) => {
        expect((layer.outputShape as number[]).slice(1)).toEqual(specs[i].outputShape);
        expect(layer.countParams()).toBe(specs[i].params);
      });
      expect(model.getWeights().length).toBe(32);
    } finally {
      model.dispose();
    }
  });

  it('preprocesses as Keras caffe mode: RGB→BGR, ImageNet means subtracted, no scaling', () => {
    const rgb = tf.tensor4d([10, 20, 30, 255, 0, 128], [1, 1, 2, 3]);
    const out = preprocessCaffe(rgb);
    const expected = [30 - 103.939, 20 - 116.779, 10 - 123.68, 128 - 103.939, 0 - 116.779, 255 - 123.68];
    Array.from(out.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expected[i], 4));
    tf.dispose([rgb, out]);
  });
});

describe('VGG16 weights folder', () => {
  it('a random model saved to a folder and loaded back gives the same fc2 features', async () => {
    const random = await loadBackbone({ name: 'vgg16', vgg16: TINY, weights: { kind: 'random', seed: 7 } });
    const folder = join(dir, 'tiny-vgg16');
    await saveModelToFolder(random.model, folder);
    const loaded = await loadBackbone({ name: 'vgg16', vgg16: TINY, weights: nodeWeights(folder) });
    const images = randomImages(3, TINY.inputSize, 3);
    try {
      expect(random.weights).toBe('random');
      expect(random.weightsId).toBe('random-he:7');
      expect(loaded.weights).toEqual({ kind: 'path', location: folder });
      expect(loaded.weightsId).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(loaded.featureDim).toBe(16);
      const a = random.extract(images);
      const b = loaded.extract(images);
      expect(b.shape).toEqual([3, 16]);
      // A relu layer: not all zero, or the comparison proves nothing.
      expect(a.dataSync().some((v) => v > 0)).toBe(true);
      expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
      tf.dispose([a, b]);
      // Loading again gives the same content identity.
      const again = await loadBackbone({ name: 'vgg16', vgg16: TINY, weights: nodeWeights(folder) });
      expect(again.weightsId).toBe(loaded.weightsId);
      again.dispose();
    } finally {
      tf.dispose(images);
      random.dispose();
      loaded.dispose();
    }
  });

  it('a renamed layer is named in the error, with what the folder has instead', async () => {
    const random = await loadBackbone({ name: 'vgg16', vgg16: TINY, weights: { kind: 'random', seed: 8 } });
    const folder = join(dir, 'renamed');
    await saveModelToFolder(random.model, folder);
    random.dispose();
    const modelJsonPath = join(folder, 'model.json');
    await writeFile(modelJsonPath, (await readFile(modelJsonPath, 'utf8')).replaceAll('block3_conv2/', 'block3_convX/'));
    const before = tf.memory().numTensors;
    const error = await loadBackbone({ name: 'vgg16', vgg16: TINY, weights: nodeWeights(folder) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsError);
    const message = (error as Error).message;
    expect(message).toContain('do not fit VGG16');
    expect(message).toContain('layer block3_conv2: no weight named block3_conv2/kernel in the folder (expected shape [3,3,8,8])');
    expect(message).toContain('block3_convX/kernel');
    expect((error as WeightsError).problems.map((p) => p.weight)).toEqual(['block3_conv2/kernel', 'block3_conv2/bias']);
    // Nothing leaks from a failed load.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a wrong shape is named with expected and found shapes', async () => {
    const wider = await loadBackbone({
      name: 'vgg16',
      vgg16: { ...TINY, blockFilters: [6, 4, 8, 8, 8] },
      weights: { kind: 'random', seed: 9 },
    });
    const folder = join(dir, 'wider');
    await saveModelToFolder(wider.model, folder);
    wider.dispose();
    const error = await loadBackbone({ name: 'vgg16', vgg16: TINY, weights: nodeWeights(folder) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsError);
    const message = (error as Error).message;
    expect(message).toContain('layer block1_conv1: weight block1_conv1/kernel has shape [3,3,3,6], expected [3,3,3,4]');
    expect(message).toContain('layer block1_conv2: weight block1_conv2/kernel has shape [3,3,6,6], expected [3,3,4,4]');
    expect(message).toContain('layer block2_conv1: weight block2_conv1/kernel has shape [3,3,6,4], expected [3,3,4,4]');
  });

  it('a folder without model.json gives a clear error', async () => {
    const missing = await loadBackbone({ name: 'vgg16', weights: nodeWeights(join(dir, 'nope')) }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(WeightsError);
    expect((missing as Error).message).toMatch(/no model\.json at .*nope/);
  });
});

describe('weights of another network', () => {
  it('says in one sentence that the folder holds another network, listing what it has', async () => {
    const mobilenet = await loadBackbone({ name: 'mobilenet', mobilenet: { alpha: 0.25, inputSize: 32, classes: 3 } });
    const folder = join(dir, 'mobilenet');
    await saveModelToFolder(mobilenet.model, folder);
    mobilenet.dispose();
    const error = await loadBackbone({ name: 'vgg16', vgg16: TINY, weights: nodeWeights(folder) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsError);
    expect((error as Error).message).toMatch(
      /are not VGG16 weights: none of its 32 weights \(block1_conv1\/kernel, .*\) is there; the folder has conv1\/kernel, conv1_bn\/gamma/,
    );
  });
});
