import { describe, expect, it } from 'vitest';
import { chartsBelongElsewhere, timelineKeepSteps } from '../../../src/store/slices/training/index';
import { extractionRates } from '../../../src/store/slices/features';
import { belongsElsewhere, currentOwner, referenceLines, sortImageResults } from '../../../src/store/slices/evaluation';

const owner = { modelId: 'm1', model: 'standard run, seed 42', dataset: 'demo (30 images, seed 5)' };
import { bindTrainer } from '../../../src/studio/training/bindTrainer';
import type { TrainerEvent, TrainerListener } from '../../../src/engine/training/trainer';
import { testStore } from '../../support/studioStore';

const makeStore = () => testStore().store;

const step = (i: number, loss = 3): TrainerEvent => ({ type: 'stepCompleted', epoch: 0, step: i, loss, tokens: 10, durationMs: 5, tokensPerSecond: 2000 });

describe('training slice', () => {
  it('applies a batch of events in one update and keeps the rest of the state', () => {
    const store = makeStore();
    store.getState().setTrainConfig({ epochs: 2, replicas: 2 });
    const featuresBefore = store.getState().features;
    let updates = 0;
    store.subscribe(() => updates++);
    store.getState().applyTrainerEvents([
      { type: 'backendChosen', backend: 'wasm', fallbackReason: 'no WebGPU adapter' },
      { type: 'stateChanged', state: 'running' },
      step(0, 4),
      step(1, 3.5),
      { type: 'epochCompleted', epoch: 0, trainLoss: 3.7, valLoss: 3.9, bleu: { bleu1: 0.3, bleu2: 0.1, bleu3: 0.05, bleu4: 0.01 }, durationMs: 100 },
      { type: 'checkpointSaved', epoch: 0, step: 1, location: 'idb:run' },
      { type: 'warning', message: 'replicas differ', replica: 1 },
    ]);
    expect(updates).toBe(1);
    const t = store.getState().training;
    expect(t.config.epochs).toBe(2);
    expect(t.state).toBe('running');
    expect(t.steps.loss).toEqual([4, 3.5]);
    expect(t.steps.step).toEqual([0, 1]);
    expect(t.epochs).toHaveLength(1);
    expect(t.backend?.fallbackReason).toBe('no WebGPU adapter');
    expect(t.lastCheckpoint?.location).toBe('idb:run');
    expect(t.warnings[0].replica).toBe(1);
    expect(store.getState().features).toBe(featuresBefore);
  });

  it('keeps the adapter and fallback reason when a trainer repeats the backend without them', () => {
    const store = makeStore();
    store.getState().applyTrainerEvents([{ type: 'backendChosen', backend: 'webgpu', adapter: 'google swiftshader' }]);
    store.getState().applyTrainerEvents([{ type: 'backendChosen', backend: 'webgpu' }]);
    expect(store.getState().training.backend).toEqual({ backend: 'webgpu', adapter: 'google swiftshader', fallbackReason: undefined });
    store.getState().applyTrainerEvents([{ type: 'backendChosen', backend: 'wasm' }]);
    expect(store.getState().training.backend?.adapter).toBeUndefined();
  });

  it('keeps earlier step arrays untouched (charts memoise on identity)', () => {
    const store = makeStore();
    store.getState().applyTrainerEvents([step(0)]);
    const first = store.getState().training.steps;
    store.getState().applyTrainerEvents([step(1)]);
    expect(first.loss).toHaveLength(1);
    expect(store.getState().training.steps.loss).toHaveLength(2);
  });

  it('keeps only a recent window of the replica timeline', () => {
    const store = makeStore();
    const events: TrainerEvent[] = [];
    for (let s = 0; s < 100; s++)
      for (let r = 0; r < 2; r++)
        events.push({ type: 'workerTimeline', replica: r, step: s, startMs: s * 10, phasesMs: { compute: 5, readback: 0, allReduceWait: 3, apply: 1, idle: 1 } });
    store.getState().applyTrainerEvents(events);
    const tl = store.getState().training.timeline;
    expect(tl).toHaveLength(timelineKeepSteps * 2);
    expect(tl[0].step).toBe(100 - timelineKeepSteps);
  });

  it('records a failure with its technical detail and a reset clears the run but keeps the settings', () => {
    const store = makeStore();
    store.getState().setTrainConfig({ seed: 7 });
    store.getState().applyTrainerEvents([step(0), { type: 'runFailed', error: { name: 'Error', message: 'device lost', stack: 'at x' }, replica: 1 }]);
    expect(store.getState().training.error).toMatchObject({ message: 'device lost', replica: 1, stack: 'at x' });
    store.getState().resetTrainingRun();
    const t = store.getState().training;
    expect(t.error).toBeNull();
    expect(t.steps.loss).toEqual([]);
    expect(t.config.seed).toBe(7);
  });

  it("a continued run aligns the charts to the checkpoint it found: padded with unknown losses, cut back, or from 0 when there was none; each said", () => {
    const epochEnd = (epoch: number): TrainerEvent => ({ type: 'epochCompleted', epoch, trainLoss: 3, valLoss: 3, bleu: null, durationMs: 10 });
    const checkpoint = (epoch: number, s: number): TrainerEvent => ({ type: 'checkpointSaved', epoch, step: s, location: 'idb:studio' });
    const charted = () => {
      const store = makeStore();
      store.getState().setRunContext({ dataset: 'demo', stepsPerEpoch: 2 });
      store.getState().applyTrainerEvents([{ type: 'stateChanged', state: 'running' }, step(0), step(1), epochEnd(1), checkpoint(1, 2), step(2)]);
      store.getState().cutToCheckpoint();
      return store;
    };
    // The checkpoint is ahead of the charts (the page was left between the checkpoint and the charts' record).
    const ahead = charted();
    ahead.getState().applyTrainerEvents([{ type: 'resumedFrom', epoch: 2, step: 4 }, step(4, 2)]);
    let t = ahead.getState().training;
    expect(t.steps.step).toEqual([0, 1, 2, 3, 4]);
    expect(t.steps.loss.slice(2, 4).every(Number.isNaN)).toBe(true);
    expect(t.steps.epoch).toEqual([0, 0, 2, 2, 0]);
    expect(t.steps.loss[4]).toBe(2);
    expect(t.lastCheckpoint).toEqual({ epoch: 2, step: 4, location: 'idb:studio' });
    expect(t.warnings.at(-1)?.message).toMatch(/^The charts end at step 2 and the checkpoint at step 4: steps 3 to 4 were trained but their losses were not kept/);
    // The checkpoint is behind the charts: they go back to it.
    const behind = charted();
    behind.getState().applyTrainerEvents([{ type: 'resumedFrom', epoch: 0, step: 1 }]);
    t = behind.getState().training;
    expect(t.steps.step).toEqual([0]);
    expect(t.warnings.at(-1)?.message).toMatch(/^The checkpoint is at step 1, the charts went to step 2/);
    // No checkpoint at all (storage cleared): from step 0, said, no checkpoint offered.
    const none = charted();
    none.getState().applyTrainerEvents([{ type: 'resumedFrom', epoch: 0, step: 0 }]);
    t = none.getState().training;
    expect(t.steps.step).toEqual([]);
    expect(t.epochs).toEqual([]);
    expect(t.lastCheckpoint).toBeNull();
    expect(t.warnings.at(-1)?.message).toMatch(/^No checkpoint was found/);
    // Where they agree nothing changes and nothing is said.
    const agreed = charted();
    const before = agreed.getState().training.steps;
    agreed.getState().applyTrainerEvents([{ type: 'resumedFrom', epoch: 1, step: 2 }]);
    expect(agreed.getState().training.steps).toEqual(before);
    expect(agreed.getState().training.warnings).toEqual([]);
  });

  it('is plain data: survives structuredClone', () => {
    const store = makeStore();
    store.getState().applyTrainerEvents([step(0), { type: 'mirroredSetup', replicas: 2, replicaIds: [0, 1], allReduce: 'ring', backend: 'wasm' }]);
    const t = store.getState().training;
    expect(structuredClone(t)).toEqual(t);
  });
});

describe('bindTrainer', () => {
  it('batches events per frame and flushes at once when a run ends', () => {
    const store = makeStore();
    const listeners = new Set<TrainerListener>();
    const trainer = { on: (l: TrainerListener) => (listeners.add(l), () => listeners.delete(l)) };
    const frames: (() => void)[] = [];
    const unbind = bindTrainer(trainer, () => store.getState(), {
      schedule: (f) => (frames.push(f), () => {}),
    });
    let updates = 0;
    store.subscribe(() => updates++);
    const emit = (e: TrainerEvent) => listeners.forEach((l) => l(e));
    for (let i = 0; i < 50; i++) emit(step(i));
    expect(store.getState().training.steps.loss).toHaveLength(0);
    frames[frames.length - 1]();
    expect(updates).toBe(1);
    expect(store.getState().training.steps.loss).toHaveLength(50);
    emit(step(50));
    emit({ type: 'stateChanged', state: 'finished' });
    // flushed immediately, without waiting for the frame
    expect(store.getState().training.state).toBe('finished');
    expect(store.getState().training.steps.loss).toHaveLength(51);
    unbind();
    expect(listeners.size).toBe(0);
  });
});

describe('features, evaluation, playground, model slices', () => {
  it('computes images/s from computed images only, and ETA', () => {
    expect(extractionRates({ done: 30, total: 100, fromCache: 10, elapsedMs: 2000 })).toEqual({ imagesPerSecond: 10, etaMs: 7000 });
    expect(extractionRates({ done: 10, total: 100, fromCache: 10, elapsedMs: 2000 })).toEqual({ imagesPerSecond: null, etaMs: null });
    const store = makeStore();
    store.getState().updateExtraction({ cached: 40, weightsLabel: 'random (seed 42)' });
    store.getState().setFeatureOptions({ backbone: 'vgg16' });
    expect(store.getState().features.cached).toBeNull(); // other backbone: old count does not apply
    store.getState().reportExtractionProgress({ done: 5, total: 10, elapsedMs: 1000 });
    expect(store.getState().features.imagesPerSecond).toBe(5);
  });

  it('sorts image results by score with stable name ties, and has the published reference lines', () => {
    const imgs = [
      { name: 'b', prediction: '', references: [], score: 0.5 },
      { name: 'a', prediction: '', references: [], score: 0.5 },
      { name: 'c', prediction: '', references: [], score: 0.9 },
    ];
    expect(sortImageResults(imgs, 'score-desc').map((i) => i.name)).toEqual(['c', 'a', 'b']);
    expect(sortImageResults(imgs, 'score-asc').map((i) => i.name)).toEqual(['a', 'b', 'c']);
    expect(imgs[0].name).toBe('b');
    const kaggle = referenceLines.filter((r) => r.protocol === 'kaggle').map((r) => r.value);
    expect(kaggle).toEqual([0.517, 0.293]);
    const store = makeStore();
    store.getState().setProtocolResult({ protocol: 'kaggle', bleu: { bleu1: 0.5, bleu2: 0.3, bleu3: 0.2, bleu4: 0.1 }, images: imgs, evaluatedAtMs: 1, owner });
    store.getState().setProtocolResult({ protocol: 'standard', bleu: { bleu1: 0.6, bleu2: 0.3, bleu3: 0.2, bleu4: 0.1 }, images: [], evaluatedAtMs: 2, owner });
    expect(Object.keys(store.getState().evaluation.results).sort()).toEqual(['kaggle', 'standard']);
  });

  it('charts belong to the dataset their run trained on', () => {
    const store = makeStore();
    store.getState().setRunContext({ dataset: 'demo (30 images, seed 5)', stepsPerEpoch: 4 });
    expect(store.getState().training.dataset).toBe('demo (30 images, seed 5)');
    store.getState().resetTrainingRun();
    expect(store.getState().training.dataset).toBeNull();
    expect(chartsBelongElsewhere(null, 'flickr8k')).toBeNull();
    expect(chartsBelongElsewhere('flickr8k', 'flickr8k')).toBeNull();
    expect(chartsBelongElsewhere('demo (30 images, seed 5)', 'flickr8k')).toBe('These charts are of a run on demo (30 images, seed 5), not on flickr8k.');
  });

  it('a result is current only for the model and the dataset it was computed with, and says what it belongs to otherwise', () => {
    const store = makeStore();
    expect(currentOwner(store.getState())).toBeNull();
    store.getState().updateModel({ info: { id: 'trained-1', source: 'trained', label: 'standard run, seed 42', vocabSize: 10, maxLength: 5, featureDim: 4 } });
    const ownerNow = currentOwner(store.getState())!;
    expect(ownerNow).toEqual({ modelId: 'trained-1', model: 'standard run, seed 42', dataset: 'no dataset' });
    expect(belongsElsewhere(ownerNow, currentOwner(store.getState()))).toBeNull();
    // Another model with the same label is another model.
    store.getState().updateModel({ info: { id: 'trained-2', source: 'trained', label: 'standard run, seed 42', vocabSize: 10, maxLength: 5, featureDim: 4 } });
    expect(belongsElsewhere(ownerNow, currentOwner(store.getState()))).toBe("from an earlier model ('standard run, seed 42') on no dataset");
    const sameModelOtherData = { ...currentOwner(store.getState())!, dataset: 'demo (30 images, seed 5)' };
    expect(belongsElsewhere(sameModelOtherData, currentOwner(store.getState()))).toBe('from this model on demo (30 images, seed 5), not on no dataset');
    store.getState().updateModel({ info: null });
    expect(belongsElsewhere(ownerNow, currentOwner(store.getState()))).toMatch(/^from an earlier model/);
  });

  it('builds a caption step by step and clamps the beam width', () => {
    const store = makeStore();
    store.getState().setDecoding({ decoding: 'beam', beamWidth: 40 });
    expect(store.getState().playground.beamWidth).toBe(10);
    store.getState().addPlaygroundItems([{ id: '1', name: 'dog.jpg', imageUrl: null }]);
    store.getState().appendCaptionStep('1', { word: 'dog', top: [{ word: 'dog', probability: 0.6 }] });
    store.getState().appendCaptionStep('1', { word: 'runs', top: [{ word: 'runs', probability: 0.4 }] });
    store.getState().updatePlaygroundItem('1', { status: 'done', caption: 'dog runs' });
    const item = store.getState().playground.items[0];
    expect(item.steps.map((s) => s.word)).toEqual(['dog', 'runs']);
    expect(item.status).toBe('done');
    store.getState().updateModel({ operation: 'exporting' });
    expect(store.getState().model.operation).toBe('exporting');
  });
});
