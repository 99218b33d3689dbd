/**
 * The demo backbone: the committed folder (public/models/demo-backbone) loads through the same loader as
 * VGG16 and MobileNet, is small, and sees: on scenes of a seed its pretraining never drew, its attribute
 * accuracy (shape, colour, size of each object, layout, background) is at least 95%. The pretraining's own
 * pass (custom convolution gradients, since wasm has no Conv2DBackpropFilter) computes what the Layers model
 * computes, and its gradients are tf.conv2d's (checked on the cpu backend, which has every kernel).
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoScenes } from '../../../../src/core/data/demo';
import { loadBackbone, WeightsError, type Backbone } from '../../../../src/model/backbones/index';
import { buildDemoBackbone, DEMO_ATTRIBUTE_HEADS, DEMO_ATTRIBUTE_WIDTH, DEMO_BACKBONE_INPUT } from '../../../../src/model/backbones/demoBackbone';
import { demoBackboneFolder, demoBackboneWeights } from '../../../../src/model/backbones/demoBackboneNode';
import { attributeAccuracy, demoForward, demoPixels, PRETRAIN_SCENE_SEED_BASE, variablesOf } from '../../../../src/model/backbones/demoBackboneTraining';

/** No pretraining epoch draws this seed (they draw PRETRAIN_SCENE_SEED_BASE + …), nor does the script's held-out check. */
const UNSEEN = { images: 400, seed: 31337 };

let backbone: Backbone;

describe('demo backbone (committed weights)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    backbone = await loadBackbone({ name: 'demo', weights: demoBackboneWeights() });
  });
  afterAll(() => backbone?.dispose());

  it('is a Layers folder of at most 2 MB that the backbone loader reads by weight name', async () => {
    const folder = demoBackboneFolder();
    const names = await readdir(folder);
    expect(names).toContain('model.json');
    let bytes = 0;
    for (const name of names) bytes += (await stat(join(folder, name))).size;
    expect(bytes).toBeLessThanOrEqual(2 * 1024 * 1024);
    expect(backbone).toMatchObject({ name: 'demo', featureDim: DEMO_ATTRIBUTE_WIDTH, inputSize: DEMO_BACKBONE_INPUT, weights: { kind: 'path', location: folder } });
    expect(backbone.weightsId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it(`on ${UNSEEN.images} scenes of an unseen seed, attribute accuracy is at least 95%`, async () => {
    expect(UNSEEN.seed).toBeLessThan(PRETRAIN_SCENE_SEED_BASE);
    const accuracy = await attributeAccuracy((rgb) => backbone.classify(rgb), generateDemoScenes(UNSEEN));
    console.log(`demo backbone on seed ${UNSEEN.seed}: ${(accuracy.overall * 100).toFixed(2)}%`, accuracy.byHead);
    expect(accuracy.overall).toBeGreaterThanOrEqual(0.95);
    for (const [head, share] of Object.entries(accuracy.byHead)) expect(share, head).toBeGreaterThanOrEqual(0.9);
  });

  it('features are the attribute probabilities (each head sums to 1), different between pictures, as classify gives them', async () => {
    const scenes = generateDemoScenes({ images: 4, seed: 5 });
    const input = tf.tensor4d(demoPixels(scenes), [4, DEMO_BACKBONE_INPUT, DEMO_BACKBONE_INPUT, 3]);
    const features = backbone.extract(input);
    const probabilities = backbone.classify(input);
    const values = await features.array();
    expect(features.shape).toEqual([4, DEMO_ATTRIBUTE_WIDTH]);
    expect(await probabilities.array()).toEqual(values);
    let offset = 0;
    for (const head of DEMO_ATTRIBUTE_HEADS) {
      for (const row of values) expect(row.slice(offset, offset + head.classes.length).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
      offset += head.classes.length;
    }
    expect(values[0]).not.toEqual(values[1]);
    tf.dispose([input, features, probabilities]);
  });

  it('has no silent random default; random weights stay an explicit choice, labelled as such', async () => {
    await expect(loadBackbone({ name: 'demo' })).rejects.toThrow(WeightsError);
    const random = await loadBackbone({ name: 'demo', weights: { kind: 'random', seed: 3 } });
    expect(random.weights).toBe('random');
    expect(random.weightsId).toBe('random-he:3');
    random.dispose();
  });
});

describe('demo backbone pretraining pass', () => {
  it('computes the Layers model\'s hidden layer, and tf.conv2d\'s gradients (cpu backend as the reference)', async () => {
    await tf.setBackend('cpu');
    const model = buildDemoBackbone({ seed: 11 });
    const variables = variablesOf(model);
    const scenes = generateDemoScenes({ images: 2, seed: 8 });
    const input = tf.tensor4d(demoPixels(scenes), [2, DEMO_BACKBONE_INPUT, DEMO_BACKBONE_INPUT, 3]);
    const reference = tf.model({ inputs: model.inputs, outputs: model.getLayer('hidden').output as tf.SymbolicTensor });
    const scaled = tf.sub(tf.div(input, 127.5), 1);
    const expected = reference.predict(scaled) as tf.Tensor;
    const { hidden } = demoForward(variables, input);
    expect(tf.max(tf.abs(tf.sub(expected, hidden))).dataSync()[0]).toBeLessThan(1e-4);

    // Reference gradients: the same network written with tf.conv2d, differentiated by tfjs itself.
    const kernels = variables.filter((v) => /^conv\d\/kernel$/.test(v.name)).map((v) => v.variable);
    const weights = Object.fromEntries(variables.map((v) => [v.name, v.variable]));
    const plain = () =>
      tf.tidy(() => {
        let x = scaled as tf.Tensor4D;
        for (let i = 1; i <= 4; i++) x = tf.maxPool(tf.relu(tf.add(tf.conv2d(x, weights[`conv${i}/kernel`] as tf.Tensor4D, 1, 'same'), weights[`conv${i}/bias`])) as tf.Tensor4D, 2, 2, 'valid');
        const f = tf.relu(tf.add(tf.matMul(tf.reshape(x, [2, -1]) as tf.Tensor2D, weights['hidden/kernel'] as tf.Tensor2D), weights['hidden/bias']));
        return tf.sum(tf.mul(f, tf.linspace(0.5, 1.5, 128))) as tf.Scalar;
      });
    const ours = () => tf.tidy(() => tf.sum(tf.mul(demoForward(variables, input).hidden, tf.linspace(0.5, 1.5, 128))) as tf.Scalar);
    const want = tf.variableGrads(plain, kernels);
    const got = tf.variableGrads(ours, kernels);
    for (const k of kernels) {
      const scale = tf.max(tf.abs(want.grads[k.name])).dataSync()[0];
      const diff = tf.max(tf.abs(tf.sub(want.grads[k.name], got.grads[k.name]))).dataSync()[0];
      expect(scale, k.name).toBeGreaterThan(0);
      expect(diff / scale, k.name).toBeLessThan(1e-4);
    }
    tf.dispose([input, scaled, expected, hidden, want.value, got.value, ...Object.values(want.grads), ...Object.values(got.grads)]);
    tf.dispose(variables.map((v) => v.variable));
    model.dispose();
    await tf.setBackend('wasm');
  }, 180_000);
});
