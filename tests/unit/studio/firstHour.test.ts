/**
 * The first hour on the page's defaults, in Node (wasm, tiny caption model, stand-in features): the demo
 * starts on the demo CNN with its built-in weights, the Training panel's settings are the data's defaults
 * (the CLI's defaultTrainConfigFor), the Playground's one click trains the demo model, every epoch carries the
 * captions of four fixed test pictures, and the evaluation gives the demo score beside BLEU.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { scoreCaptions } from '../../../src/core/metrics/bleu.ts';
import { mulberry32 } from '../../../src/core/rng.ts';
import type { FeatureIdentity } from '../../../src/model/backbones/types.ts';
import { useNodeBackend } from '../../../src/engine/platform/nodeBackend.ts';
import { defaultTrainConfigFor } from '../../../src/engine/training/trainer.ts';
import { BUILTIN_DEMO_WEIGHTS_URL, featureDefaultsFor } from '../../../src/store/slices/features.ts';
import { datasetAccessFor } from '../../../src/studio/engines.ts';
import type { BackboneRequest, StudioEngines } from '../../../src/studio/ports.ts';
import { StudioSession } from '../../../src/studio/session.ts';
import { createStudioTraining, SAMPLE_IMAGES } from '../../../src/studio/training/studioTraining.ts';
import { demoFolder } from '../../../src/core/data/demo.ts';
import { testStore } from '../../support/studioStore.ts';

const featureDim = 12;
const identity: FeatureIdentity = {
  backbone: 'demo',
  backboneId: 'demo-cnn-test',
  weights: { kind: 'url', location: BUILTIN_DEMO_WEIGHTS_URL },
  weightsId: 'test',
  featureDim,
  inputSize: 64,
};

function fakeFeatures(name: string): Float32Array {
  let seed = 0;
  for (const ch of name) seed = (seed * 31 + ch.charCodeAt(0)) >>> 0;
  const r = mulberry32(seed);
  return Float32Array.from({ length: featureDim }, () => r());
}

function engines(requests: BackboneRequest[]): StudioEngines {
  return {
    async extract(o) {
      requests.push({ backbone: o.backbone, weights: o.weights });
      o.onStatus('running');
      const features = new Map(o.images.map((im) => [im.name, fakeFeatures(im.name)] as const));
      return { features, featureDim, identity, weightsLabel: 'test', skipped: [] };
    },
    async createTraining(inputs) {
      return createStudioTraining({ ...inputs, placement: 'page', model: { units: 8, embedDim: 8 } });
    },
    score(protocol, references, hypotheses) {
      const s = scoreCaptions({ protocol, references, hypotheses });
      return { bleu1: s.bleu1, bleu2: s.bleu2, bleu3: s.bleu3, bleu4: s.bleu4 };
    },
  };
}

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('the first hour on the defaults (Node, wasm, tiny model)', () => {
  it('the demo gets the demo CNN with built-in weights, a folder gets MobileNet, a user choice stays', async () => {
    const { store } = testStore();
    const session = new StudioSession(store, datasetAccessFor(store), engines([]));
    expect(store.getState().features).toMatchObject({ backbone: 'demo', weights: 'builtin' });
    // A folder that is not the demo: the demo CNN knows nothing of photos.
    await store.getState().loadFolder(demoFolder({ images: 12, seed: 5 }), 'folder');
    expect(store.getState().features).toMatchObject(featureDefaultsFor('folder'));
    await store.getState().loadDemo({ images: 12, seed: 5 });
    expect(store.getState().features).toMatchObject({ backbone: 'demo', weights: 'builtin' });
    // The user picks MobileNet: its weights can not be 'builtin' (random until they give real ones), and it stays.
    store.getState().setFeatureOptions({ backbone: 'mobilenet' });
    expect(store.getState().features).toMatchObject({ backbone: 'mobilenet', weights: 'random' });
    await store.getState().loadDemo({ images: 12, seed: 6 });
    expect(store.getState().features.backbone).toBe('mobilenet');
    await session.dispose();
  });

  it("the Training panel's settings are the data's defaults, as the CLI's; what the user set stays", async () => {
    const { store } = testStore();
    const session = new StudioSession(store, datasetAccessFor(store), engines([]));
    await store.getState().loadDemo({ images: 40, seed: 3 });
    const corpus = datasetAccessFor(store).corpus(store.getState().training.config.protocol)!;
    const trainImages = corpus.images.filter((im) => im.split === 'train').length;
    // Before extraction: the demo CNN's width (39) decides; the notebook's 64 / 0.001 / 0.4 are gone.
    const expected = defaultTrainConfigFor({ trainImages, featureDim: 39 });
    expect(store.getState().training.config).toMatchObject({ batchSize: expected.batchSize, learningRate: expected.learningRate, dropout: expected.dropout });
    expect(expected).toMatchObject({ batchSize: 16, learningRate: 5e-3, dropout: 0 });
    expect(store.getState().training.configBasis).toBe(`defaults for ${trainImages} training images and 39 numbers per image (the demo backbone's)`);
    // MobileNet's 256 numbers are wide: dropout goes back to the notebook's 0.4; the demo CNN's again: 0.
    store.getState().setFeatureOptions({ backbone: 'mobilenet' });
    expect(store.getState().training.config.dropout).toBe(0.4);
    store.getState().setFeatureOptions({ backbone: 'demo' });
    expect(store.getState().training.config.dropout).toBe(0);
    store.getState().setTrainConfig({ batchSize: 8 });
    await session.extractFeatures();
    expect(store.getState().training.config.batchSize).toBe(8);
    expect(store.getState().training.configBasis).toBe(`defaults for ${trainImages} training images and ${featureDim} numbers per image`);
    await session.dispose();
  });

  it("the Playground's one click trains the demo model; every epoch carries four test pictures' captions; evaluation gives the demo score", async () => {
    const { store } = testStore();
    const requests: BackboneRequest[] = [];
    const session = new StudioSession(store, datasetAccessFor(store), engines(requests));
    store.getState().setTrainConfig({ epochs: 2, validationSample: 4 });
    // The demo is not even loaded: the click loads it (small here: the test's own size), extracts and trains.
    await store.getState().loadDemo({ images: 40, seed: 3 });
    store.getState().setActivePanel('playground');
    await session.trainDemoModel();
    expect(requests).toEqual([{ backbone: 'demo', weights: { kind: 'url', url: BUILTIN_DEMO_WEIGHTS_URL } }]);
    expect(store.getState().activePanel).toBe('training');
    const t = store.getState().training;
    expect(t.state).toBe('finished');
    expect(t.epochs.map((p) => p.epoch)).toEqual([1, 2]);
    const corpus = datasetAccessFor(store).corpus(t.config.protocol)!;
    const firstTest = corpus.images.filter((im) => im.split === 'test').slice(0, SAMPLE_IMAGES).map((im) => im.name);
    for (const point of t.epochs) {
      expect(point.samples?.map((s) => s.name)).toEqual(firstTest);
      for (const s of point.samples!) expect(s.caption).not.toMatch(/startseq|endseq/);
    }
    expect(store.getState().model.info?.features?.backbone).toBe('demo');

    await session.evaluate(['standard'], 200);
    const result = store.getState().evaluation.results.standard!;
    const testCount = corpus.images.filter((im) => im.split === 'test').length;
    expect(result.demoScore).toBeDefined();
    expect(result.demoScore!.images).toBe(testCount);
    expect(result.images.every((im) => typeof im.objectsRight === 'boolean')).toBe(true);
    expect(result.demoScore!.right).toBe(result.images.filter((im) => im.objectsRight).length);
    await session.dispose();
  });
});
