/**
 * The Model panel's scale-out actions (session.scaleOut) in Node: the export zip holds what export-run
 * writes (the page's copy of train_ddp.py is the repository's one file), and a run folder with a checkpoint
 * in train_ddp.py's layout and its log comes back, as a zip or as picked folder files, as the current model
 * plus a row of the run comparison table. Bad input lands in the Model panel's error, nothing adopted.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { unzipSync, zipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoFolder, generateDemoScenes } from '../../../src/core/data/demo';
import { loadDataset } from '../../../src/core/data/load';
import type { Corpus } from '../../../src/core/data/types';
import { buildCorpus } from '../../../src/core/text/protocols';
import { demoSceneFeatures } from '../../support/demoFeatures';
import { readTrainDdpScript } from '../../../src/engine/scaleOut/nodeFiles';
import { encodeNpy } from '../../../src/engine/scaleOut/npy';
import { CHECKPOINT_FORMAT, type RunDescription } from '../../../src/engine/scaleOut/runFormat';
import { ScaleOutActions } from '../../../src/studio/scaleOut';
import { trainDdpScript } from '../../../src/engine/scaleOut/trainDdpScriptPage';
import { unzipModelArchive } from '../../../src/model/archive';
import { studioModelFromFiles, type StudioModel } from '../../../src/studio/model';
import { defaultTrainConfig } from '../../../src/protocol/training';
import { initialWeights } from '../../../src/model/captionModel';
import { testStore } from '../../support/studioStore';

const demo = { images: 30, seed: 4 };
let corpus: Corpus;
let features: Map<string, Float32Array>;

function setup(withFeatures = true) {
  const { store } = testStore();
  store.getState().setTrainConfig({ epochs: 2, batchSize: 4, seed: 3 });
  const adopted: StudioModel[] = [];
  const actions = new ScaleOutActions({
    store,
    corpus: () => corpus,
    features: () => (withFeatures ? features : null),
    importArchive: async (bytes, fileName) => studioModelFromFiles(unzipModelArchive(bytes, fileName), fileName.replace(/\.zip$/, ''), 'archive'),
    adopt: async (c) => void adopted.push(c),
    modelSizes: { units: 16, embedDim: 8 },
  });
  return { store, actions, adopted };
}

/** Adds a checkpoint (weights = a seeded init) and a log, as train_ddp.py writes them, to a run's files. */
function trained(files: Record<string, Uint8Array>, top: string): Record<string, Uint8Array> {
  const run: RunDescription = JSON.parse(new TextDecoder().decode(files[`${top}run.json`]));
  const weights = initialWeights({ ...run.model, dropout: 0 }, 77);
  const out = { ...files };
  for (const folder of ['weights', 'adam_m', 'adam_v']) {
    run.params.forEach((p, i) => (out[`${top}checkpoints/epoch_0001/${folder}/${p.name}.npy`] = encodeNpy(weights[i], p.shape)));
  }
  const state = { format: CHECKPOINT_FORMAT, version: 1, runId: run.runId, epoch: 1, step: 8, adamStep: 8, worldSize: 4, precision: 'float32' };
  out[`${top}checkpoints/epoch_0001/state.json`] = new TextEncoder().encode(JSON.stringify(state));
  const start = { event: 'start', runId: run.runId, worldSize: 4, backend: 'nccl', device: 'cuda:0', precision: 'float32', layout: 'sequence', batchSize: 4, epochs: 2, torch: '2.5' };
  const steps = [1, 2, 3].map((step) => ({ event: 'step', epoch: 1, step, loss: 3 - step / 10, tokens: 50, durationMs: 4, tokensPerSecond: 10000 + step, worldSize: 4 }));
  out[`${top}train_log.jsonl`] = new TextEncoder().encode([start, ...steps, { event: 'end', epochs: 1, steps: 3, worldSize: 4 }].map((r) => JSON.stringify(r)).join('\n'));
  return out;
}

describe('the Model panel: export for PyTorch, import the trained run', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
    corpus = buildCorpus(await loadDataset(demoFolder(demo)), 'standard');
    features = demoSceneFeatures(generateDemoScenes(demo), 12);
  });

  it('the page imports the same train_ddp.py the CLI reads (one copy in the repository)', async () => {
    expect(trainDdpScript).toBe(await readTrainDdpScript());
  });

  it('exports a zip of the run folder, then imports it back after training (zip and picked folder), with its log as a run row', { timeout: 180_000 }, async () => {
    const { store, actions, adopted } = setup();
    expect(actions.exportUnavailable()).toBeNull();
    const out = await actions.exportRun();
    expect(store.getState().model.error).toBeNull();
    expect(out!.fileName).toMatch(/^caption-run-[0-9a-f]{16}\.zip$/);
    const top = `${out!.fileName.replace(/\.zip$/, '')}/`;
    const files = unzipSync(out!.bytes);
    const run: RunDescription = JSON.parse(new TextDecoder().decode(files[`${top}run.json`]));
    expect(run.train).toMatchObject({ epochs: 2, batchSize: 4, seed: 3 });
    expect(Object.keys(run.files).every((name) => `${top}${name}` in files)).toBe(true);
    expect(store.getState().model.lastExport).toMatchObject({ fileName: out!.fileName });

    await actions.importRun({ zip: { name: out!.fileName, bytes: zipSync(trained(files, top)) } });
    expect(store.getState().model.error).toBeNull();
    expect(adopted).toHaveLength(1);
    expect(adopted[0].info).toMatchObject({ vocabSize: run.model.vocabSize, featureDim: 12 });
    expect(adopted[0].info.label).toContain(`PyTorch DDP run ${run.runId}, epoch 1`);
    const [row] = store.getState().training.history;
    expect(row).toMatchObject({ placement: 'pytorch', replicas: 4, steps: 3, ended: 'finished', backend: 'PyTorch DDP (nccl, cuda:0)', medianTokensPerSecond: 10002.5 });

    const picked = Object.entries(trained(files, top)).map(([path, bytes]) => ({ path, bytes }));
    await actions.importRun({ folder: { name: top.slice(0, -1), files: picked } });
    expect(adopted).toHaveLength(2);
    expect(store.getState().training.history).toHaveLength(2);
    const caption = await adopted[1].caption(features.values().next().value!, { mode: 'greedy', beamWidth: 1, topK: 0 });
    expect(typeof caption.caption).toBe('string');
    adopted.forEach((c) => c.dispose());
  });

  it('says why the export is unavailable and shows bad imports in the Model panel, adopting nothing', { timeout: 120_000 }, async () => {
    const { store, actions, adopted } = setup(false);
    expect(actions.exportUnavailable()).toMatch(/extract its image features first/);
    expect(await actions.exportRun()).toBeNull();
    expect(store.getState().model.error?.message).toMatch(/Export for PyTorch: extract its image features first/);
    await actions.importRun({ zip: { name: 'model.zip', bytes: zipSync({ 'model/model.json': new TextEncoder().encode('{}') }) } });
    expect(store.getState().model.error?.message).toMatch(/model\.zip holds no run\.json/);
    const ready = setup();
    const out = await ready.actions.exportRun();
    await ready.actions.importRun({ zip: { name: 'run.zip', bytes: out!.bytes } });
    expect(ready.store.getState().model.error?.message).toMatch(/no checkpoint yet: train the run first/);
    expect(ready.store.getState().model.operation).toBe('idle');
    expect([...adopted, ...ready.adopted]).toHaveLength(0);
  });
});
