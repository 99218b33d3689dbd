/**
 * The first hour works: with the default training settings (defaultTrainConfigFor the data, as the CLI and
 * the studio take them; the notebook's model sizes)
 * and the committed demo backbone, the caption model trained on the default demo dataset writes captions that
 * match the pictures:
 * - on the test split (standard protocol): BLEU-1 ≥ 0.70, BLEU-4 ≥ 0.35, and at least 90% of the captions
 *   name the right colour and shape of each object (the demo score);
 * - on the pictures of a seed it was not trained on: BLEU-1 ≥ 0.65;
 * The control (shuffled features) is demo-quality-control.test.ts, a file of its own so the two runs can
 * take a core each. Seeded runs on wasm; quality only, never time.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemoScenes } from '../../../../src/core/data/demo';
import type { Corpus } from '../../../../src/core/data/types';
import { buildCaptionDataset } from '../../../../src/engine/training/captionData';
import { InProcessTrainer } from '../../../../src/engine/training/inProcessTrainer';
import type { Backbone } from '../../../../src/model/backbones/index';
import { DEFAULT_DEMO, defaultsFor, demoCorpus, demoDatasetFeatures, loadDemoBackbone, scoreDemoCaptions, unseenSeedScores } from '../../../support/demoRun.ts';

const UNSEEN = { images: 100, seed: 2 };
const fmt = (b: { bleu1: number; bleu4: number }) => `BLEU-1 ${b.bleu1.toFixed(3)} BLEU-4 ${b.bleu4.toFixed(3)}`;

let backbone: Backbone;
let corpus: Corpus;
let features: Map<string, Float32Array>;

describe('the demo trained with the default settings', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    backbone = await loadDemoBackbone();
    corpus = await demoCorpus(DEFAULT_DEMO);
    features = await demoDatasetFeatures(backbone, DEFAULT_DEMO);
  });
  afterAll(() => backbone?.dispose());

  it('captions the test split and pictures of an unseen seed', async () => {
    const data = buildCaptionDataset(corpus, features);
    const trainer = new InProcessTrainer({ data, config: defaultsFor(data) });
    try {
      await trainer.start();
      const test = await scoreDemoCaptions(trainer, data, data.test, generateDemoScenes(DEFAULT_DEMO));
      const unseen = await unseenSeedScores(trainer, data, backbone, UNSEEN);
      console.log(
        `demo, default settings: test ${fmt(test.bleu)}, demo score ${(test.demo.share * 100).toFixed(1)}% (${test.demo.right}/${test.demo.images}); ` +
          `unseen seed ${UNSEEN.seed}: ${fmt(unseen.bleu)}, demo score ${(unseen.demo.share * 100).toFixed(1)}%`,
      );
      expect(test.bleu.bleu1).toBeGreaterThanOrEqual(0.7);
      expect(test.bleu.bleu4).toBeGreaterThanOrEqual(0.35);
      expect(test.demo.share).toBeGreaterThanOrEqual(0.9);
      expect(unseen.bleu.bleu1).toBeGreaterThanOrEqual(0.65);
      // Captions differ between pictures (not one caption for all).
      expect(new Set(test.captions.values()).size).toBeGreaterThan(data.test.length / 2);
    } finally {
      await trainer.dispose();
    }
  }, 900_000);
});
