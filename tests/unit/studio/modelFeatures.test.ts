/**
 * A model says what its features were made with: the studio's export records the backbone, the weights and
 * their identity and the feature width (model.json meta.features); importing it names the weights the
 * playground and evaluation need, and features of another width are refused with that sentence.
 * Node, wasm, a tiny model on the demo dataset.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { zipSync } from 'fflate';
import { demoFolder } from '../../../src/core/data/demo';
import { loadDataset } from '../../../src/core/data/load';
import type { Corpus, LoadedDataset, Protocol } from '../../../src/core/data/types';
import { buildCorpus } from '../../../src/core/text/protocols';
import { scoreCaptions } from '../../../src/core/metrics/bleu';
import { useNodeBackend } from '../../../src/engine/platform/nodeBackend';
import { MemoryCheckpointStore } from '../../../src/engine/training/checkpoint';
import type { FeatureIdentity } from '../../../src/model/backbones/types.ts';
import { featureWidthRefusal, weightsNeeded } from '../../../src/store/slices/model';
import { unzipModelArchive } from '../../../src/model/archive';
import { studioModelFromFiles } from '../../../src/studio/model';
import { featureIdentityOfArchive } from '../../../src/studio/modelArchive';
import type { StudioEngines } from '../../../src/studio/ports';
import { StudioSession } from '../../../src/studio/session';
import { createStudioTraining } from '../../../src/studio/training/studioTraining';
import { testStore } from '../../support/studioStore';

const identity: FeatureIdentity = {
  backbone: 'mobilenet',
  backboneId: 'mobilenet_v1_0.25_224',
  weights: { kind: 'files', location: 'model.json' },
  weightsId: 'sha256:0123456789abcdef0123456789abcdef',
  featureDim: 12,
  inputSize: 224,
};

function engines(featureDim: number, id: FeatureIdentity | undefined): StudioEngines {
  const vector = (name: string) => Float32Array.from({ length: featureDim }, (_, i) => ((name.length * 7 + i * 13) % 17) / 17);
  return {
    async extract(o) {
      return { features: new Map(o.images.map((im) => [im.name, vector(im.name)])), featureDim, identity: id, weightsLabel: 'test', skipped: [] };
    },
    async featuresOf(images) {
      return images.map((im) => vector(im.name));
    },
    async createTraining(inputs) {
      return createStudioTraining({ ...inputs, placement: 'page', model: { units: 8, embedDim: 8 }, checkpoints: new MemoryCheckpointStore() });
    },
    score(protocol, references, hypotheses) {
      const s = scoreCaptions({ protocol, references, hypotheses });
      return { bleu1: s.bleu1, bleu2: s.bleu2, bleu3: s.bleu3, bleu4: s.bleu4 };
    },
    async importArchive(bytes, name) {
      return studioModelFromFiles(unzipModelArchive(bytes, name), name, 'archive');
    },
  };
}

let loaded: { folder: ReturnType<typeof demoFolder>; dataset: LoadedDataset };
const access = () => {
  const corpora = new Map<Protocol, Corpus>();
  return { loaded: () => loaded, corpus: (p: Protocol) => corpora.get(p) ?? corpora.set(p, buildCorpus(loaded.dataset, p)).get(p)! };
};

beforeAll(async () => {
  await useNodeBackend('wasm');
  const folder = demoFolder({ images: 24, seed: 4 });
  loaded = { folder, dataset: await loadDataset(folder) };
});

describe('a model and the features it needs', () => {
  it('says which weights it needs, and refuses features of another width with that sentence', () => {
    expect(weightsNeeded({ featureDim: 12, features: identity })).toBe(
      'The playground and evaluation need features of mobilenet_v1_0.25_224 (12 numbers per image) with the weights picked as files (model.json), identity sha256:0123456789abcdef…, as this model was trained on: choose that backbone and those weights in the Features tab.',
    );
    expect(weightsNeeded({ featureDim: 4096, features: null })).toMatch(/does not record .*4096 numbers per image, as VGG16's fc2 layer gives/);
    expect(featureWidthRefusal({ featureDim: 12, features: identity }, { featureDim: 12 })).toBeNull();
    expect(featureWidthRefusal({ featureDim: 12, features: identity }, { featureDim: 4096, backboneId: 'vgg16' })).toBe(
      `These image features have 4096 numbers per image (vgg16), but the model expects 12. ${weightsNeeded({ featureDim: 12, features: identity })}`,
    );
  });

  it('reads the record from an archive without unpacking the weights; none from an archive without it', () => {
    const zip = (meta: unknown) => zipSync({ 'm/model.json': new TextEncoder().encode(JSON.stringify({ meta })), 'm/weights.bin': new Uint8Array(8) });
    expect(featureIdentityOfArchive(zip({ features: identity }))).toEqual(identity);
    expect(featureIdentityOfArchive(zip({ protocol: 'standard' }))).toBeNull();
    expect(featureIdentityOfArchive(zip({ features: { ...identity, featureDim: '12' } }))).toBeNull();
    expect(featureIdentityOfArchive(new Uint8Array([1, 2, 3]))).toBeNull();
  });

  it('a trained model exports its features\' identity; an import names it and refuses features of another width', async () => {
    const store = testStore().store;
    const session = new StudioSession(store, access(), engines(12, identity));
    await session.extractFeatures();
    expect(store.getState().features.identity).toEqual(identity);
    store.getState().setTrainConfig({ epochs: 1, batchSize: 8, validationSample: 0, replicas: 1 });
    await session.startTraining();
    expect(store.getState().training.error).toBeNull();
    expect(store.getState().model.info?.features).toEqual(identity);
    const exported = await session.exportModel();
    expect(featureIdentityOfArchive(exported!.bytes)).toEqual(identity);
    await session.dispose();

    // Another page imports it, holding 8-number features from another backbone.
    const store2 = testStore().store;
    const session2 = new StudioSession(store2, access(), engines(8, { ...identity, backboneId: 'other_net', featureDim: 8 }));
    await session2.importArchive({ name: exported!.fileName, bytes: exported!.bytes });
    const info = store2.getState().model.info!;
    expect(info.features).toEqual(identity);
    expect(weightsNeeded(info)).toContain('mobilenet_v1_0.25_224 (12 numbers per image)');
    await session2.extractFeatures();
    const sentence = featureWidthRefusal(info, { featureDim: 8, backboneId: 'other_net' })!;
    await session2.evaluate(['standard'], 4);
    expect(store2.getState().evaluation.status).toBe('failed');
    expect(store2.getState().evaluation.error?.message).toBe(`Evaluation: ${sentence}`);
    await session2.captionImages([{ name: 'x.png', bytes: new Uint8Array(), imageUrl: null }]);
    expect(store2.getState().playground.items[0].error?.message).toBe(`Captioning x.png: ${sentence}`);
    await session2.dispose();
  });
});
