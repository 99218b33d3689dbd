/**
 * Mixed precision in the mirrored trainer, on wasm worker threads: the caption model's replicas report that
 * mixed_float16 and the fused kernels fell back (and why); the toy model's simulated f16 overflow makes every
 * replica skip the same steps and halve the same loss scale as one replica on this thread; the loss scaler's
 * state survives a replica restart; disagreeing replicas are named.
 */
import { describe, expect, test } from 'vitest';
import { checksumDisagreement, kernelDisagreement, outcomeDisagreement } from '../../../../src/engine/mirrored/checks';
import { stepEvents } from '../../../../src/engine/mirrored/reports';
import { MirroredTrainer } from '../../../../src/engine/mirrored/trainer';
import { replicaModelSpec } from '../../../../src/engine/mirrored/types';
import { nodeWorkerEndpoint } from '../../../../src/engine/threads/nodeEndpoint';
import type { ToyModelOptions } from '../../../support/toyReplicaModel';
import { defaultTrainConfig, type TrainerEvent } from '../../../../src/engine/training/trainer';
import { imageTokenCounts, makeCaptionBatch, sliceCaptionBatch, type CaptionBatch } from '../../../../src/model/batches';
import type { CaptionModelConfig } from '../../../../src/model/captionModel';
import type { StepReport } from '../../../../src/protocol/replica';
import { makeTrainer, maxAbsDifference, referenceRun, stepLosses, toyOptions } from './fixtures';

type StepEvent = Extract<TrainerEvent, { type: 'stepCompleted' }>;
const stepsOf = (events: TrainerEvent[]) => events.filter((e): e is StepEvent => e.type === 'stepCompleted');

// ~50 target tokens a batch: scale / tokens passes f16's 65504 above 2^21, so 2^24 overflows three times.
const overflow = { precision: 'mixed_float16' as const, initialLossScale: 2 ** 24, lossScaleGrowthSteps: 2 };
const mixedToy: ToyModelOptions = { ...toyOptions, precision: 'mixed_float16', lossScale: { initialScale: 2 ** 24, growthSteps: 2 } };

test('the run config reaches the replicas: precision, fused kernels, loss-scale settings', () => {
  const spec = replicaModelSpec({ kind: 'toy', options: toyOptions }, { ...defaultTrainConfig, ...overflow, fusedKernels: false });
  expect(spec.options).toEqual({ ...toyOptions, precision: 'mixed_float16', fusedKernels: false, lossScale: { initialScale: 2 ** 24, growthSteps: 2 } });
});

test('caption replicas on wasm: mixed_float16 and fused kernels fall back to float32 stock ops, reason reported', async () => {
  const config: CaptionModelConfig = { vocabSize: 20, maxLength: 6, featureDim: 8, units: 8, embedDim: 8, dropout: 0 };
  const batch = (step: number): CaptionBatch =>
    makeCaptionBatch(
      Array.from({ length: 4 }, (_, i) => ({
        features: Float32Array.from({ length: config.featureDim }, (_, k) => Math.sin(step + i + k)),
        captions: [[1, 3 + ((step + i) % 10), 4 + i, 2]],
      })),
      config.featureDim,
    );
  const trainer = new MirroredTrainer<CaptionBatch>({
    config: { ...defaultTrainConfig, replicas: 2, allReduce: 'ring', epochs: 1, dropout: 0, checksumEvery: 2, precision: 'mixed_float16', fusedKernels: true },
    model: { kind: 'caption', options: { config, layout: 'sequence', learningRate: 0.01, seed: 3 } },
    data: { stepsPerEpoch: 2, batch: (_e, s) => batch(s), exampleTokens: imageTokenCounts, slice: sliceCaptionBatch },
    backend: 'wasm',
    spawn: () => nodeWorkerEndpoint(),
  });
  const events: TrainerEvent[] = [];
  trainer.on((e) => events.push(e));
  await trainer.start();
  expect(trainer.state).toBe('finished');
  const chosen = events.find((e) => e.type === 'backendChosen');
  expect(chosen).toMatchObject({ backend: 'wasm', precision: 'float32', kernels: 'stock tfjs ops' });
  const reason = chosen?.type === 'backendChosen' ? chosen.kernelFallbackReason : undefined;
  expect(reason).toMatch(/mixed_float16 needs the webgpu backend; running float32 on wasm/);
  expect(reason).toMatch(/fused kernels need the webgpu backend/);
  // float32 after the fall-back: no loss scale, nothing skipped, replicas in step.
  const steps = stepsOf(events);
  expect(steps).toHaveLength(2);
  for (const s of steps) expect(s.lossScale === undefined && s.skipped === undefined && Number.isFinite(s.loss)).toBe(true);
  expect(events.some((e) => e.type === 'warning')).toBe(false);
  expect(events.filter((e) => e.type === 'replicaChecksums').every((e) => e.type === 'replicaChecksums' && e.identical)).toBe(true);
});

describe('mirrored mixed precision (toy model, simulated f16 overflow)', () => {
  test.each(['ring', 'postMessage'] as const)('3 replicas (%s) skip the same steps and halve the same scale as one replica', async (allReduce) => {
    const steps = 9;
    const reference = await referenceRun(steps, mixedToy);
    const { trainer, events, store } = makeTrainer({ replicas: 3, allReduce, epochs: 3, checksumEvery: 1, ...overflow });
    await trainer.start();
    expect(trainer.state).toBe('finished');
    expect(events.find((e) => e.type === 'backendChosen')).toMatchObject({ precision: 'mixed_float16', kernels: 'toy ops, simulated f16 overflow' });
    const outcomes = stepsOf(events).map((s) => ({ skipped: s.skipped, lossScale: s.lossScale }));
    expect(outcomes).toEqual(reference.outcomes);
    // Really mixed: the first steps overflowed and halved the scale, later ones trained.
    expect(outcomes.slice(0, 4)).toEqual([
      { skipped: true, lossScale: 2 ** 23 },
      { skipped: true, lossScale: 2 ** 22 },
      { skipped: true, lossScale: 2 ** 21 },
      { skipped: false, lossScale: 2 ** 21 },
    ]);
    const applied = outcomes.filter((o) => !o.skipped).length;
    expect(applied).toBeGreaterThan(2);
    const losses = stepLosses(events);
    reference.losses.forEach((loss, step) => expect(losses.get(step)).toBeCloseTo(loss, 5));
    const final = store.saved.at(-1)!.state;
    expect(maxAbsDifference(final, reference.states[steps - 1])).toBeLessThan(1e-5);
    // Adam counted exactly the applied steps; the scaler's counters travel in the state.
    expect(Array.from(final.at(-1)!)).toEqual([applied, outcomes.at(-1)!.lossScale, expect.any(Number), steps - applied, steps]);
    expect(final.every((w) => w.every(Number.isFinite))).toBe(true);
    for (const check of events.filter((e) => e.type === 'replicaChecksums')) expect(check.type === 'replicaChecksums' && check.identical).toBe(true);
    expect(events.some((e) => e.type === 'warning')).toBe(false);
  });

  test('a restarted replica takes over the loss scaler state of its peers', async () => {
    const steps = 9;
    const faultStep = 4;
    const reference = await referenceRun(steps, mixedToy);
    // The scale by then is not the initial one, so a replica that kept its fresh scaler would disagree.
    expect(reference.outcomes[faultStep - 1]!.lossScale).not.toBe(2 ** 24);
    const { trainer, events, store } = makeTrainer(
      { replicas: 2, allReduce: 'ring', epochs: 3, checksumEvery: 1, ...overflow },
      { faults: [{ replica: 1, fault: { step: faultStep, kind: 'exit' } }] },
    );
    trainer.on((e) => {
      // Decided inside the event itself: the trainer already waits when it announces the pause.
      if (e.type === 'stateChanged' && e.state === 'paused') trainer.recoverWith('restart');
    });
    await trainer.start();
    expect(trainer.state).toBe('finished');
    expect(events.filter((e) => e.type === 'mirroredSetup').at(-1)).toMatchObject({ replicas: 2, replicaIds: [0, 2] });
    expect(stepsOf(events).map((s) => s.step)).toEqual([...Array(steps).keys()].map((i) => i + 1));
    expect(stepsOf(events).map((s) => ({ skipped: s.skipped, lossScale: s.lossScale }))).toEqual(reference.outcomes);
    expect(Array.from(store.saved.at(-1)!.state.at(-1)!)).toEqual(Array.from(reference.states[steps - 1].at(-1)!));
    for (const check of events.filter((e) => e.type === 'replicaChecksums')) expect(check.type === 'replicaChecksums' && check.identical).toBe(true);
    expect(events.some((e) => e.type === 'warning')).toBe(false);
  });
});

describe('disagreements name the replicas', () => {
  const ids = [0, 2, 3];
  test('loss-scale outcomes', () => {
    const same = { skipped: false, lossScale: 1024 };
    expect(outcomeDisagreement(5, [same, { ...same }, { ...same }], ids)).toBeNull();
    expect(outcomeDisagreement(5, [undefined, undefined, undefined], ids)).toBeNull();
    const odd = outcomeDisagreement(5, [same, same, { skipped: true, lossScale: 512 }], ids);
    expect(odd).toMatchObject({ replica: 3 });
    expect(odd!.message).toMatch(/step 5.*replica 0 applied at loss scale 1024.*replica 3: skipped at loss scale 512/);
    expect(outcomeDisagreement(5, [same, undefined, undefined], ids)!.message).toMatch(/replica 2, 3/);
    expect(outcomeDisagreement(5, [same, undefined, undefined], ids)!.replica).toBeUndefined();
  });

  test('kernels and checksums', () => {
    const f16 = { precision: 'mixed_float16' as const, kernels: 'fused WGSL f16' };
    const f32 = { precision: 'float32' as const, kernels: 'fused WGSL f32', fallbackReason: 'no shader-f16' };
    expect(kernelDisagreement([f16, { ...f16 }, f16], ids)).toBeNull();
    expect(kernelDisagreement([f16, f32, f16], ids)).toMatchObject({ replica: 2, message: expect.stringMatching(/replica 2: fused WGSL f32, float32/) });
    expect(checksumDisagreement(4, ['a', 'a', 'b'], ids)).toMatchObject({ replica: 3, message: expect.stringMatching(/after step 4: replica 3 differ/) });
  });

  test('a step whose replicas disagree completes with rank 0 outcome and a warning', () => {
    const report = (outcome: StepReport['outcome']): StepReport => ({
      step: 7,
      lossSum: 10,
      tokenCount: 5,
      startMs: 1000,
      phasesMs: { compute: 1, readback: 1, allReduceWait: 1, apply: 1 },
      bytesSent: 0,
      bytesSavedBySparse: 0,
      ...(outcome ? { outcome } : {}),
    });
    const { events, lossSum } = stepEvents({
      step: 7,
      stepsPerEpoch: 3,
      reports: [report({ skipped: true, lossScale: 8 }), report({ skipped: false, lossScale: 16 })],
      ids: [0, 1],
      globalTokenCount: 10,
      stepMs: 10,
      runStartMs: 0,
    });
    expect(lossSum).toBe(20);
    expect(events.find((e) => e.type === 'stepCompleted')).toMatchObject({ epoch: 3, loss: 2, skipped: true, lossScale: 8 });
    expect(events.find((e) => e.type === 'warning')).toMatchObject({ replica: 1 });
  });
});
