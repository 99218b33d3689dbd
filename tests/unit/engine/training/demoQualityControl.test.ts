/**
 * Control of demo-quality.test.ts: the same run (the default demo, the committed demo backbone, the default
 * settings) on features dealt to the wrong images stays at or below the constant-caption baseline (the best
 * single training caption said for every test image), at BLEU-1 and at BLEU-4: what the model gets from the
 * pictures is what lifts it above. Seeded, on wasm; quality only, never time.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Corpus } from '../../../../src/core/data/types';
import { buildCaptionDataset } from '../../../../src/engine/training/captionData';
import { shuffledFeatures } from '../../../support/demoFeatures';
import { InProcessTrainer } from '../../../../src/engine/training/inProcessTrainer';
import { DEFAULT_DEMO, defaultsFor, demoCorpus, demoDatasetFeatures, loadDemoBackbone, testConstantBaseline } from '../../../support/demoRun.ts';

const fmt = (b: { bleu1: number; bleu4: number }) => `BLEU-1 ${b.bleu1.toFixed(3)} BLEU-4 ${b.bleu4.toFixed(3)}`;

let corpus: Corpus;
let features: Map<string, Float32Array>;

describe('the demo trained with the default settings, on shuffled features', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    const backbone = await loadDemoBackbone();
    corpus = await demoCorpus(DEFAULT_DEMO);
    features = await demoDatasetFeatures(backbone, DEFAULT_DEMO);
    backbone.dispose();
  });

  it('control: on shuffled features the same run stays at or below the constant-caption baseline', async () => {
    const data = buildCaptionDataset(corpus, shuffledFeatures(features));
    const trainer = new InProcessTrainer({ data, config: defaultsFor(data) });
    try {
      await trainer.start();
      const shuffled = await trainer.evaluate('test');
      const baseline = testConstantBaseline(data);
      console.log(`control: shuffled ${fmt(shuffled.bleu)}; best constant caption ${fmt(baseline.best)} ("${baseline.bestForBleu1}")`);
      expect(shuffled.bleu.bleu1).toBeLessThanOrEqual(baseline.best.bleu1);
      expect(shuffled.bleu.bleu4).toBeLessThanOrEqual(baseline.best.bleu4);
    } finally {
      await trainer.dispose();
    }
  }, 900_000);
});
