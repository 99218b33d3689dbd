/**
 * The studio store with the real Flickr8K subset in ../shared/datasets/flickr8k (captions.txt for all 8091
 * images, the official split files, 100 JPEGs of the test split), as a person loading that folder sees it.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { groupProblems } from '../../../src/core/data/problems.ts';
import type { Corpus, Protocol } from '../../../src/core/data/types.ts';
import { buildCorpus } from '../../../src/core/text/protocols.ts';
import { buildCaptionDataset } from '../../../src/engine/training/captionData.ts';
import { StudioSession } from '../../../src/studio/session.ts';
import type { Captioner } from '../../../src/model/captioner.ts';
import type { StudioModel } from '../../../src/studio/model.ts';
import { belongsElsewhere, currentOwner, NO_TEST_IMAGES } from '../../../src/store/slices/evaluation.ts';
import { nodeFolder } from '../../../src/engine/platform/nodeFolder.ts';
import type { StudioStore } from '../../../src/store/studioStore.ts';
import { warningsToCsv, warningsToJson } from '../../../src/store/warningsExport.ts';
import { sharedDir } from '../../paths.ts';
import { skipUnlessPresent } from '../../prerequisites.ts';
import { testStore } from '../../support/studioStore.ts';

const DATA_DIR = resolve(sharedDir, 'datasets', 'flickr8k');
const missing = existsSync(resolve(DATA_DIR, 'captions.txt')) ? '' : `real Flickr8K data not found at ${DATA_DIR}`;

describe.skipIf(skipUnlessPresent(missing, '../shared Flickr8K'))('studio store with the real Flickr8K subset', () => {
  let store: StudioStore;
  beforeAll(async () => {
    store = testStore().store;
    await store.getState().loadFolder(nodeFolder(DATA_DIR));
  });

  const STANDARD_EMPTY_TRAIN =
    'standard: all 100 images are in the test split: nothing to train on; use kaggle, or add Flickr_8k.trainImages.txt images';

  it('says up front which split each protocol leaves empty: standard has nothing to train on, kaggle nothing to test', () => {
    expect(store.getState().protocol).toBe('standard');
    expect(store.getState().splitNotices).toEqual([{ protocol: 'standard', split: 'train', message: STANDARD_EMPTY_TRAIN }]);
    store.getState().setProtocol('kaggle');
    expect(store.getState().splitNotices).toEqual([
      {
        protocol: 'kaggle',
        split: 'test',
        message:
          'kaggle: all 100 images are in the train split: no test images in this folder under this protocol (evaluation has nothing to score); use standard, or add images from the last 10% of captions.txt',
      },
    ]);
    store.getState().setProtocol('standard');
    expect(store.getState().splitNotices.map((n) => n.split)).toEqual(['train']);
  });

  it('the training error names the empty split, not the features (the session before any extraction, the engine with features)', async () => {
    const corpora = new Map<Protocol, Corpus>();
    const loaded = () => store.getState().loadedFolder();
    const access = {
      loaded,
      corpus: (p: Protocol) => corpora.get(p) ?? corpora.set(p, buildCorpus(loaded()!.dataset, p)).get(p)!,
    };
    let created = 0;
    const session = new StudioSession(store, access, {
      createTraining: async () => {
        created++;
        throw new Error('not reached');
      },
    });
    store.getState().setTrainConfig({ protocol: 'standard' });
    await session.startTraining();
    expect(created).toBe(0);
    expect(store.getState().training.error).toMatchObject({ name: 'NotReady', message: STANDARD_EMPTY_TRAIN });
    // The engine, given features of every image present, says the same (the CLI's train goes through it).
    const standard = access.corpus('standard');
    const features = new Map(standard.images.filter((i) => i.file !== null).map((i) => [i.name, new Float32Array(4)]));
    expect(features.size).toBe(100);
    expect(() => buildCaptionDataset(standard, features)).toThrow('standard: all 100 images are in the test split: nothing to train on');
    await session.dispose();
  });

  it('evaluation: an empty test split says so and replaces an earlier model\'s row; a result of another model is labelled', async () => {
    const corpora = new Map<Protocol, Corpus>();
    const loaded = () => store.getState().loadedFolder();
    const access = { loaded, corpus: (p: Protocol) => corpora.get(p) ?? corpora.set(p, buildCorpus(loaded()!.dataset, p)).get(p)! };
    const fakeCaptioner = (label: string): StudioModel => ({
      info: { source: 'archive', label, vocabSize: 5, maxLength: 4, featureDim: 4 },
      // The batched decoder the evaluation uses: 'a dog' for every image.
      captioner: { caption: async (features: Float32Array[]) => features.map(() => ({ decodedWords: ['a', 'dog'], text: 'a dog' })) } as unknown as Captioner,
      caption: async () => ({ caption: 'a dog', steps: [{ word: 'a', top: [] }, { word: 'dog', top: [] }] }),
      exportArchive: async () => new Uint8Array(),
      dispose: () => undefined,
    });
    const session = new StudioSession(store, access, {
      extract: async (o) => ({ features: new Map(o.images.map((im) => [im.name, new Float32Array(4)])), featureDim: 4, weightsLabel: 'test', skipped: [] }),
      importArchive: async (_bytes, name) => fakeCaptioner(name),
      score: () => ({ bleu1: 0.5, bleu2: 0.25, bleu3: 0.1, bleu4: 0.05 }),
    });
    // The demo model's kaggle row, from before this folder was loaded.
    const demo = { modelId: 'demo-model', model: 'standard run, seed 42', dataset: 'demo (30 images, seed 5)' };
    store.getState().setProtocolResult({ protocol: 'kaggle', bleu: { bleu1: 0.416, bleu2: 0.142, bleu3: 0.072, bleu4: 0.034 }, images: [], evaluatedAtMs: 1, owner: demo });
    expect(belongsElsewhere(demo, currentOwner(store.getState()))).toBe("from an earlier model ('standard run, seed 42') on demo (30 images, seed 5)");

    await session.importArchive({ name: 'first.zip', bytes: new Uint8Array() });
    await session.extractFeatures();
    await session.evaluate(['kaggle', 'standard'], 5);
    const { results, status, error } = store.getState().evaluation;
    expect(error).toBeNull();
    expect(status).toBe('done');
    expect(results.kaggle).toMatchObject({ bleu: null, images: [], empty: NO_TEST_IMAGES });
    expect(NO_TEST_IMAGES).toBe('no test images in this folder under this protocol');
    expect(results.standard?.images).toHaveLength(5);
    for (const result of [results.kaggle!, results.standard!]) {
      expect(result.owner).toMatchObject({ model: 'first.zip', dataset: 'flickr8k' });
      expect(belongsElsewhere(result.owner, currentOwner(store.getState()))).toBeNull();
    }
    // Another model: the standard row is now an earlier model's, and says so.
    await session.importArchive({ name: 'second.zip', bytes: new Uint8Array() });
    expect(belongsElsewhere(results.standard!.owner, currentOwner(store.getState()))).toBe("from an earlier model ('first.zip') on flickr8k");
    await session.dispose();
  });

  it('keeps every warning for the download, and reads the 7,991 absent images as one line with examples', () => {
    const { warnings, stats, datasetStatus } = store.getState();
    expect(datasetStatus).toBe('ready');
    expect(warnings).toHaveLength(stats!.warnings.total);
    expect(warnings.filter((w) => w.code === 'image-missing')).toHaveLength(7991);
    // Every warning about captions.txt names its line.
    expect(warnings.filter((w) => w.file === 'captions.txt').every((w) => typeof w.line === 'number')).toBe(true);
    const groups = groupProblems(warnings);
    expect(groups.map((g) => [g.code, g.count])).toEqual([
      ['duplicate-caption', 10],
      ['image-missing', 7991],
      ['not-in-split', 91],
    ]);
    expect(groups[1].message).toMatch(/^7,991 images named in captions\.txt are not in the folder .*: 1000268201_693b08cb0e\.jpg, .*, …$/);
    // The downloads hold them all, one per row.
    expect(warningsToCsv(warnings).trimEnd().split('\r\n')).toHaveLength(warnings.length + 1);
    expect(JSON.parse(warningsToJson(warnings))).toHaveLength(warnings.length);
  });
});
