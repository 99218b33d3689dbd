import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../../../../src/core/data/load';
import { nodeFolder } from '../../../../src/engine/platform/nodeFolder';
import type { Corpus } from '../../../../src/core/data/types';
import { buildCorpus } from '../../../../src/core/text/protocols';
import { buildCaptionDataset } from '../../../../src/engine/training/captionData';
import { extractFeatures, identityOf } from '../../../../src/engine/features/extract';
import { MemoryFeatureStore } from '../../../../src/engine/features/cache';
import { InProcessTrainer } from '../../../../src/engine/training/inProcessTrainer';
import { defaultTrainConfig } from '../../../../src/engine/training/trainer';
import { loadBackbone } from '../../../../src/model/backbones/index';
import { nodeWeights } from '../../../../src/model/backbones/loadWeightsNode';
import { sharedDir } from '../../../paths';
import { skipUnlessPresent } from '../../../prerequisites.ts';

const shared = sharedDir;
const flickr = resolve(shared, 'datasets', 'flickr8k');
const mobilenet = resolve(shared, 'models', 'mobilenet_v1_0.25_224');
const present = existsSync(flickr) && existsSync(mobilenet);

describe.skipIf(skipUnlessPresent(present ? '' : `${flickr} or ${mobilenet} is absent (needs ../shared)`, '../shared Flickr8K and MobileNet weights'))('real Flickr8K images with MobileNet 0.25 features (skipped: ../shared datasets/flickr8k or models/mobilenet_v1_0.25_224 absent)', () => {
  it('a short training run captions images it never saw with vocabulary words, ended properly', async () => {
    await tf.setBackend('wasm');
    const folder = nodeFolder(flickr);
    const ds = await loadDataset(folder);
    const withFiles = ds.images.filter((r) => r.file);
    const backbone = await loadBackbone({ name: 'mobilenet', weights: nodeWeights(mobilenet) });
    const store = new MemoryFeatureStore(identityOf(backbone));
    const { features } = await extractFeatures(backbone, withFiles.map((r) => ({ name: r.name, file: r.file!, read: () => folder.read(r.file!) })), store, { batchSize: 16 });
    backbone.dispose();
    expect(features.size).toBe(withFiles.length);
    // The shared images all sit in Flickr8K's test split: train on 80 of them, caption the other 20.
    const standard = buildCorpus(ds, 'standard');
    const names = [...features.keys()];
    const heldOut = new Set(names.slice(80));
    const corpus: Corpus = {
      ...standard,
      images: standard.images.filter((i) => features.has(i.name)).map((i) => ({ ...i, split: heldOut.has(i.name) ? 'test' : 'train' })),
    };
    const data = buildCaptionDataset(corpus, features);
    expect(data.train).toHaveLength(80);
    const trainer = new InProcessTrainer({
      data,
      config: { ...defaultTrainConfig, epochs: 12, batchSize: 16, learningRate: 0.005, dropout: 0.2, validationSample: 0 },
      model: { units: 64, embedDim: 32 },
    });
    const losses: number[] = [];
    trainer.on((e) => e.type === 'epochCompleted' && losses.push(e.trainLoss));
    await trainer.start();
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.8);
    const captions = await trainer.captionTexts(data.test);
    await trainer.dispose();
    let ended = 0;
    for (const text of captions.values()) {
      const words = text.split(' ');
      expect(words[0]).toBe(data.startToken);
      for (const word of words.slice(1)) expect(data.tokenizer.wordIndex.has(word), word).toBe(true);
      if (words[words.length - 1] === data.endToken && words.length > 3) ended++;
    }
    expect(captions.size).toBe(20);
    expect(ended).toBeGreaterThanOrEqual(16);
  });
});
