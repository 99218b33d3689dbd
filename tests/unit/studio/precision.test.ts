/**
 * Precision and kernels in the studio's store: a mixed_float16 run's events become the loss-scale chart's
 * series (skipped steps marked at the halved scale), the trainer's kernel choice is kept next to the backend,
 * and the precision/kernel knobs are offered or refused from what the page's backend offers.
 */
import { describe, expect, it } from 'vitest';
import { kernelOptionReasons, type StudioEngines } from '../../../src/studio/ports';
import { StudioSession } from '../../../src/studio/session';
import { defaultTrainConfig, type TrainerEvent } from '../../../src/engine/training/trainer';
import type { PageBackend } from '../../../src/store/slices/training/index';
import { bindTrainer } from '../../../src/studio/training/bindTrainer';
import { hasLossScale, lossScaleRows } from '../../../src/ui/charts/trainingSeries';
import { makeTrainer } from '../engine/mirrored/fixtures';
import { testStore } from '../../support/studioStore';

const makeStore = () => testStore().store;

const step = (i: number, extra: { lossScale?: number; skipped?: boolean; loss?: number; tokensPerSecond?: number } = {}): TrainerEvent => ({
  type: 'stepCompleted',
  epoch: 1,
  step: i,
  loss: extra.loss ?? 3 - i * 0.1,
  tokens: 10,
  durationMs: 5,
  tokensPerSecond: extra.tokensPerSecond ?? 2000,
  ...(extra.lossScale !== undefined ? { lossScale: extra.lossScale } : {}),
  ...(extra.skipped !== undefined ? { skipped: extra.skipped } : {}),
});

const swiftShader: PageBackend = { backend: 'webgpu', adapter: 'google swiftshader (software)', shaderF16: false };
const f16Gpu: PageBackend = { backend: 'webgpu', adapter: 'nvidia hopper', shaderF16: true };
const wasmPage: PageBackend = { backend: 'wasm', shaderF16: false };

describe('loss-scale series from stepCompleted events', () => {
  it('records the scale of every step and marks a skipped step (NaN loss, dot at the halved scale)', () => {
    const store = makeStore();
    store.getState().applyTrainerEvents([step(1, { lossScale: 32768, skipped: false }), step(2, { lossScale: 32768, skipped: false })]);
    // Events arrive in frame-sized batches: a skip in the next one.
    store.getState().applyTrainerEvents([
      step(3, { lossScale: 16384, skipped: true, loss: Number.POSITIVE_INFINITY }),
      step(4, { lossScale: 16384, skipped: false }),
      step(5, { lossScale: 32768, skipped: false }),
    ]);
    const t = store.getState().training;
    expect(t.steps.lossScale).toEqual([32768, 32768, 16384, 16384, 32768]);
    expect(t.steps.skipped).toEqual([0, 0, 1, 0, 0]);
    expect(Number.isNaN(t.steps.loss[2])).toBe(true);
    expect(t.skippedSteps).toBe(1);
    expect(hasLossScale(t.steps)).toBe(true);
    const rows = lossScaleRows(t.steps);
    expect(rows.map((r) => r.lossScale)).toEqual([32768, 32768, 16384, 16384, 32768]);
    expect(rows.map((r) => r.skippedScale)).toEqual([null, null, 16384, null, null]);
  });

  it('a float32 run has no loss scale: the chart stays empty', () => {
    const store = makeStore();
    store.getState().applyTrainerEvents([step(1), step(2)]);
    const t = store.getState().training;
    expect(hasLossScale(t.steps)).toBe(false);
    expect(lossScaleRows(t.steps).every((r) => r.lossScale === null && r.skippedScale === null)).toBe(true);
    expect(t.skippedSteps).toBe(0);
  });
});

describe('a real mixed_float16 run into the store', () => {
  it('2 toy replicas in worker threads with simulated f16 overflow: skips and the halved scale reach the chart', async () => {
    // 2^24 overflows the toy model's simulated f16 gradients (~50 tokens a batch) until the scale is small enough.
    const { trainer } = makeTrainer({ replicas: 2, allReduce: 'ring', epochs: 2, precision: 'mixed_float16', initialLossScale: 2 ** 24, lossScaleGrowthSteps: 2 });
    const store = makeStore();
    const unbind = bindTrainer(trainer, () => store.getState());
    try {
      await trainer.start();
    } finally {
      unbind();
      await trainer.dispose();
    }
    const t = store.getState().training;
    expect(t.state).toBe('finished');
    expect(t.backend).toMatchObject({ precision: 'mixed_float16', kernels: 'toy ops, simulated f16 overflow' });
    expect(t.steps.lossScale[0]).toBe(2 ** 23);
    expect(t.steps.skipped[0]).toBe(1);
    expect(t.skippedSteps).toBe(t.steps.skipped.filter(Boolean).length);
    expect(t.skippedSteps).toBeGreaterThan(0);
    expect(t.steps.skipped.some((s) => s === 0)).toBe(true);
    const rows = lossScaleRows(t.steps);
    expect(rows.filter((r) => r.skippedScale !== null)).toHaveLength(t.skippedSteps);
    for (const r of rows) if (r.skippedScale !== null) expect(r.skippedScale).toBe(r.lossScale);
  });
});

describe('what the run got: backend, precision, kernels', () => {
  it("keeps the trainer's kernels and fall-back reason next to the page's adapter", () => {
    const store = makeStore();
    store.getState().applyTrainerEvents([{ type: 'backendChosen', backend: 'webgpu', adapter: 'google swiftshader' }]);
    store.getState().applyTrainerEvents([
      {
        type: 'backendChosen',
        backend: 'webgpu',
        precision: 'float32',
        kernels: 'fused WGSL f32',
        kernelFallbackReason: 'this WebGPU adapter does not offer shader-f16; running float32',
      },
    ]);
    expect(store.getState().training.backend).toEqual({
      backend: 'webgpu',
      adapter: 'google swiftshader',
      precision: 'float32',
      kernels: 'fused WGSL f32',
      kernelFallbackReason: 'this WebGPU adapter does not offer shader-f16; running float32',
    });
    // A bare repeat (a group announced again) keeps what the trainer said.
    store.getState().applyTrainerEvents([{ type: 'backendChosen', backend: 'webgpu' }]);
    expect(store.getState().training.backend?.kernels).toBe('fused WGSL f32');
    // A trainer that got what it asked for clears the old notice.
    store.getState().applyTrainerEvents([{ type: 'backendChosen', backend: 'webgpu', precision: 'mixed_float16', kernels: 'fused WGSL f16' }]);
    expect(store.getState().training.backend).toMatchObject({ precision: 'mixed_float16', kernels: 'fused WGSL f16' });
    expect(store.getState().training.backend?.kernelFallbackReason).toBeUndefined();
  });

  it('a new run forgets the last run\'s backend but not what the page offers', () => {
    const store = makeStore();
    store.getState().setPageBackend(swiftShader);
    store.getState().applyTrainerEvents([{ type: 'backendChosen', backend: 'webgpu', kernels: 'fused WGSL f32' }]);
    store.getState().resetTrainingRun();
    expect(store.getState().training.backend).toBeNull();
    expect(store.getState().training.pageBackend).toEqual(swiftShader);
  });
});

describe('runs compared', () => {
  it('a finished or stopped run leaves one line (median speed without the first step); new runs keep the list', () => {
    const store = makeStore();
    const run = (kernels: string, rates: number[], end: 'finished' | 'stopped') => {
      store.getState().resetTrainingRun();
      store.getState().applyTrainerEvents([
        { type: 'backendChosen', backend: 'webgpu', precision: 'float32', kernels },
        { type: 'stateChanged', state: 'running' },
        ...rates.map((r, i) => step(i + 1, { tokensPerSecond: r })),
        { type: 'stateChanged', state: end },
      ]);
    };
    run('stock tfjs ops', [10, 1000, 1200, 1100], 'finished');
    store.getState().setTrainConfig({ batchSize: 32 });
    run('fused WGSL f32', [5, 3000, 2800], 'stopped');
    const history = store.getState().training.history;
    expect(history).toHaveLength(2);
    expect(history[0]).toMatchObject({ kernels: 'stock tfjs ops', steps: 4, medianTokensPerSecond: 1100, ended: 'finished', replicas: 1, placement: 'worker' });
    expect(history[1]).toMatchObject({ kernels: 'fused WGSL f32', steps: 3, medianTokensPerSecond: 2900, ended: 'stopped', batchSize: 32 });
    // A failed run is not a measurement.
    store.getState().resetTrainingRun();
    store.getState().applyTrainerEvents([{ type: 'stateChanged', state: 'running' }, step(1), { type: 'stateChanged', state: 'failed' }]);
    expect(store.getState().training.history).toHaveLength(2);
  });
});

describe('precision and kernel knobs from the page backend', () => {
  const config = { ...defaultTrainConfig, replicas: 1 };

  it('mixed float16 needs WebGPU with shader-f16 and the fused kernels', () => {
    expect(kernelOptionReasons(f16Gpu, { ...config, precision: 'mixed_float16' }, 'page')).toEqual({ fusedKernels: null, mixedFloat16: null, lossScale: null });
    // The loss-scale knobs do nothing under float32.
    expect(kernelOptionReasons(f16Gpu, config, 'page').lossScale).toBe('only used with mixed float16');
    expect(kernelOptionReasons(f16Gpu, { ...config, fusedKernels: false }, 'page').mixedFloat16).toBe('runs in the fused kernels: tick Fused kernels first');
    const swift = kernelOptionReasons(swiftShader, config, 'page');
    expect(swift.fusedKernels).toBeNull();
    expect(swift.mixedFloat16).toBe('this WebGPU adapter (google swiftshader (software)) lacks the shader-f16 feature');
    expect(swift.lossScale).toBe(swift.mixedFloat16);
  });

  it('off WebGPU both are refused, naming the backend and why WebGPU was passed over', () => {
    const reasons = kernelOptionReasons({ ...wasmPage, fallbackReason: 'webgpu: WebGPU offered no adapter' }, config, 'page');
    expect(reasons.fusedKernels).toBe('only on WebGPU; this page runs on wasm (webgpu: WebGPU offered no adapter)');
    expect(reasons.mixedFloat16).toBe('needs WebGPU with shader-f16; this page runs on wasm (webgpu: WebGPU offered no adapter)');
    expect(kernelOptionReasons(null, config, 'page').mixedFloat16).toBe('the page has not chosen its tfjs backend yet');
  });

  it('workers without the kernels: refused for worker and mirrored runs only', () => {
    const why = 'used when training in this page (1 replica) only';
    expect(kernelOptionReasons(f16Gpu, config, 'worker', why)).toMatchObject({ fusedKernels: why, mixedFloat16: why });
    expect(kernelOptionReasons(f16Gpu, { ...config, replicas: 2 }, 'page', why).fusedKernels).toBe(why);
    expect(kernelOptionReasons(f16Gpu, config, 'page', why)).toMatchObject({ fusedKernels: null, mixedFloat16: null });
    expect(kernelOptionReasons(f16Gpu, config, 'worker', null)).toMatchObject({ fusedKernels: null, mixedFloat16: null });
  });

  it("the session learns the page's backend from the engines and answers for the Training panel", async () => {
    const store = makeStore();
    const engines: StudioEngines = { describeBackend: async () => swiftShader };
    const session = new StudioSession(store, { loaded: () => null, corpus: () => null }, engines);
    expect(session.unavailable('f16')).toBe('the page has not chosen its tfjs backend yet');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(store.getState().training.pageBackend).toEqual(swiftShader);
    expect(session.unavailable('f16')).toContain('lacks the shader-f16 feature');
    expect(session.unavailable('fusedKernels')).toBeNull();
    store.getState().setPageBackend(f16Gpu);
    expect(session.unavailable('f16')).toBeNull();
  });
});
