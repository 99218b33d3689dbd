import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { LossScaler, allFinite, resolveKernels, scaledStep, type LossScaleEvent } from '../../../src/model/precision';

describe('LossScaler (Keras dynamic loss scaling)', () => {
  it('starts at 2^15 with Keras defaults', () => {
    const scaler = new LossScaler();
    expect(scaler.scale).toBe(32768);
    expect(scaler.goodSteps).toBe(0);
  });

  it('halves and skips on a non-finite step, resetting the finite-step counter', () => {
    const scaler = new LossScaler();
    const events: LossScaleEvent[] = [];
    scaler.on((e) => events.push(e));
    scaler.update(true);
    scaler.update(true);
    const result = scaler.update(false);
    expect(result).toMatchObject({ skipped: true, scale: 16384 });
    expect(scaler.goodSteps).toBe(0);
    expect(scaler.skippedSteps).toBe(1);
    expect(events).toEqual([{ type: 'stepSkipped', step: 3, scaleBefore: 32768, scaleAfter: 16384 }]);
  });

  it('doubles after exactly growthSteps consecutive finite steps', () => {
    const scaler = new LossScaler({ initialScale: 8, growthSteps: 2000 });
    for (let i = 0; i < 1999; i++) expect(scaler.update(true).event).toBeUndefined();
    expect(scaler.scale).toBe(8);
    const grown = scaler.update(true);
    expect(grown.scale).toBe(16);
    expect(grown.event).toEqual({ type: 'scaleGrew', step: 2000, scaleBefore: 8, scaleAfter: 16 });
    expect(scaler.goodSteps).toBe(0);
  });

  it('an overflow in the middle restarts the growth count', () => {
    const scaler = new LossScaler({ initialScale: 4, growthSteps: 3 });
    scaler.update(true);
    scaler.update(true);
    scaler.update(false); // 2
    scaler.update(true);
    scaler.update(true);
    expect(scaler.scale).toBe(2);
    scaler.update(true);
    expect(scaler.scale).toBe(4);
  });

  it('never drops below minScale and round-trips its state', () => {
    const scaler = new LossScaler({ initialScale: 2 });
    scaler.update(false);
    scaler.update(false);
    scaler.update(false);
    expect(scaler.scale).toBe(1);
    const copy = new LossScaler();
    copy.restore(scaler.toJSON());
    expect(copy.toJSON()).toEqual({ scale: 1, goodSteps: 0, step: 3, skippedSteps: 3 });
  });
});

describe('resolveKernels', () => {
  const f16 = { precision: 'mixed_float16', fusedKernels: true } as const;
  it('gives mixed_float16 only with fused kernels on webgpu with shader-f16', () => {
    expect(resolveKernels(f16, 'webgpu', true)).toEqual({ precision: 'mixed_float16', fused: true });
    expect(resolveKernels({ precision: 'float32', fusedKernels: true }, 'webgpu', false)).toEqual({ precision: 'float32', fused: true });
    expect(resolveKernels({ precision: 'float32', fusedKernels: false }, 'cpu', false)).toEqual({ precision: 'float32', fused: false });
  });
  it('falls back to float32 or stock ops with the reason', () => {
    const noF16 = resolveKernels(f16, 'webgpu', false);
    expect(noF16).toMatchObject({ precision: 'float32', fused: true });
    expect(noF16.fallbackReason).toMatch(/shader-f16/);
    const wasm = resolveKernels(f16, 'wasm', true);
    expect(wasm).toMatchObject({ precision: 'float32', fused: false });
    expect(wasm.fallbackReason).toMatch(/fused kernels need the webgpu backend.*mixed_float16 needs the webgpu backend/);
    const stock = resolveKernels({ precision: 'mixed_float16', fusedKernels: false }, 'webgpu', true);
    expect(stock).toMatchObject({ precision: 'float32', fused: false });
    expect(stock.fallbackReason).toMatch(/stock tfjs ops have no f16/);
  });
});

describe('scaledStep on the cpu backend', () => {
  it('applies finite steps and skips a non-finite one without touching the weights', async () => {
    await tf.setBackend('cpu');
    const w = tf.variable(tf.tensor1d([1, 2]));
    const optimizer = tf.train.sgd(0.1);
    const scaler = new LossScaler({ initialScale: 1024 });
    const before = tf.memory().numTensors;
    const ok = await scaledStep(() => tf.sum(tf.square(w)), [w], optimizer, scaler);
    expect(ok.skipped).toBe(false);
    expect(ok.loss).toBeCloseTo(5, 5);
    expect(Array.from(await w.data())).toEqual([expect.closeTo(0.8, 6), expect.closeTo(1.6, 6)]);
    // log(0) gives -Inf and its gradient Inf: the step must be skipped.
    const bad = await scaledStep(() => tf.sum(tf.mul(tf.log(tf.sub(w, w)), w)), [w], optimizer, scaler);
    expect(bad).toMatchObject({ skipped: true, scale: 512 });
    expect(Array.from(await w.data())).toEqual([expect.closeTo(0.8, 6), expect.closeTo(1.6, 6)]);
    expect(tf.memory().numTensors).toBe(before);
    const withNaN = tf.tensor1d([1, NaN]);
    expect(await allFinite([withNaN])).toBe(false);
    withNaN.dispose();
    w.dispose();
    optimizer.dispose();
  });
});
