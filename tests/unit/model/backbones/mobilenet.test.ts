import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBackbone, WeightsError, type Backbone } from '../../../../src/model/backbones/index.ts';
import { nodeWeights } from '../../../../src/model/backbones/loadWeightsNode.ts';
import { imageToInput } from '../../../../src/model/images/decode.ts';
import { sharedDir } from '../../../paths';
import { skipUnlessPresent } from '../../../prerequisites.ts';

const shared = sharedDir;
const modelDir = join(shared, 'models', 'mobilenet_v1_0.25_224');
const pandaPath = join(shared, 'models', 'panda.jpg');
const haveShared = existsSync(join(modelDir, 'model.json')) && existsSync(pandaPath);

beforeAll(async () => {
  await tf.setBackend('wasm');
});

describe('MobileNet v1 architecture', () => {
  it('builds any alpha with Keras names; features are the global average pool (1024·alpha-d)', async () => {
    const backbone = await loadBackbone({ name: 'mobilenet', mobilenet: { alpha: 0.5, inputSize: 64, classes: 7 } });
    const images = tf.randomUniform([2, 64, 64, 3], 0, 255, 'float32', 1) as tf.Tensor4D;
    try {
      expect(backbone.weights).toBe('random');
      expect(backbone.id).toBe('mobilenet_v1_0.5_64_c7');
      expect(backbone.featureDim).toBe(512);
      const names = backbone.model.layers.map((l) => l.name);
      expect(names.slice(0, 8)).toEqual(['input_1', 'conv1', 'conv1_bn', 'conv1_relu', 'conv_dw_1', 'conv_dw_1_bn', 'conv_dw_1_relu', 'conv_pw_1']);
      expect(names).toContain('conv_pw_13_relu');
      expect(names.slice(-6)).toEqual(['global_average_pooling2d_1', 'reshape_1', 'dropout', 'conv_preds', 'act_softmax', 'reshape_2']);
      const features = backbone.extract(images);
      const probabilities = backbone.classify(images);
      expect(features.shape).toEqual([2, 512]);
      expect(probabilities.shape).toEqual([2, 7]);
      tf.dispose([features, probabilities]);
    } finally {
      tf.dispose(images);
      backbone.dispose();
    }
  });
});

describe.skipIf(skipUnlessPresent(haveShared ? '' : `${modelDir} or panda.jpg is absent (needs ../shared)`, '../shared MobileNet weights'))('MobileNet v1 0.25 with the real ImageNet weights', () => {
  let backbone: Backbone;
  beforeAll(async () => {
    backbone = await loadBackbone({ name: 'mobilenet', weights: nodeWeights(modelDir) });
  });
  afterAll(() => backbone?.dispose());

  it('reads alpha from the weights and reports where they came from', () => {
    expect(backbone.id).toBe('mobilenet_v1_0.25_224');
    expect(backbone.featureDim).toBe(256);
    expect(backbone.weights).toEqual({ kind: 'path', location: modelDir });
    expect(backbone.weightsId).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('classifies panda.jpg as ImageNet class 388 (giant panda) with p ≈ 0.90, features 256-d', async () => {
    const pixels = await imageToInput(await readFile(pandaPath), 'panda.jpg', 224);
    const input = tf.tensor4d(pixels, [1, 224, 224, 3]);
    const before = tf.memory().numTensors;
    const probabilities = backbone.classify(input);
    const features = backbone.extract(input);
    try {
      const p = probabilities.dataSync();
      const best = p.indexOf(Math.max(...p));
      expect(best).toBe(388);
      expect(p[best]).toBeGreaterThan(0.85);
      expect(features.shape).toEqual([1, 256]);
      const f = features.dataSync();
      // Average of relu6 outputs: within [0, 6], and not degenerate.
      expect(Math.min(...f)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...f)).toBeLessThanOrEqual(6);
      expect(f.filter((v) => v > 0).length).toBeGreaterThan(100);
      expect(tf.memory().numTensors).toBe(before + 2);
    } finally {
      tf.dispose([input, probabilities, features]);
    }
  });

  it('loads the same weights from a URL (model.json + shards over HTTP)', async () => {
    const server: Server = createServer((request, response) => {
      readFile(join(modelDir, decodeURIComponent(new URL(request.url!, 'http://x').pathname)))
        .then((bytes) => response.end(bytes))
        .catch(() => response.writeHead(404).end());
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const { port } = server.address() as { port: number };
      const url = `http://127.0.0.1:${port}/model.json`;
      const fromUrl = await loadBackbone({ name: 'mobilenet', weights: nodeWeights(url) });
      expect(fromUrl.weights).toEqual({ kind: 'url', location: url });
      expect(fromUrl.weightsId).toBe(backbone.weightsId);
      fromUrl.dispose();
    } finally {
      server.close();
    }
  });

  it('refuses a folder that is not a MobileNet, naming what is missing', async () => {
    const error = await loadBackbone({ name: 'mobilenet', mobilenet: { alpha: 0.5 }, weights: nodeWeights(modelDir) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WeightsError);
    expect((error as Error).message).toContain('layer conv1: weight conv1/kernel has shape [3,3,3,8], expected [3,3,3,16]');
  });
});
