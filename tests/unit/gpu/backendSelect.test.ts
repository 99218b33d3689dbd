import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend } from '../../../src/gpu/backendSelect';
import { nodeGpu } from '../../../src/gpu/nodeGpu';
import { inCi } from '../../prerequisites.ts';

describe('selectBackend', () => {
  it('without WebGPU in Node falls back past webgpu and webgl, naming each reason', async () => {
    const choice = await selectBackend({ gpu: null, prepareWasm: async () => Promise.reject(new Error('no wasm file here')) });
    expect(choice.backend).toBe('cpu');
    expect(choice.fallbacks.map((f) => f.backend)).toEqual(['webgpu', 'webgl', 'wasm']);
    expect(choice.fallbacks[0].reason).toMatch(/navigator\.gpu/);
    expect(choice.fallbacks[1].reason).toMatch(/canvas/);
    expect(choice.fallbacks[2].reason).toMatch(/no wasm file here/);
    expect(choice.fallbackReason).toMatch(/^webgpu: .*; webgl: .*; wasm: /);
    expect(tf.getBackend()).toBe('cpu');
  });

  it('starts where asked (e.g. --backend cpu) without trying earlier backends', async () => {
    const choice = await selectBackend({ start: 'cpu' });
    expect(choice).toMatchObject({ backend: 'cpu', fallbacks: [] });
    expect(choice.fallbackReason).toBeUndefined();
  });

  it('chooses webgpu on Dawn when an adapter exists, and reports it', async (ctx) => {
    const gpu = await nodeGpu();
    const adapter = await gpu.requestAdapter();
    const missing = 'Dawn found no adapter (install Mesa lavapipe: mesa-vulkan-drivers from bookworm-backports)';
    if (!adapter && inCi) throw new Error(`missing a WebGPU adapter in Node in CI: ${missing}`);
    if (!adapter) ctx.skip(missing);
    const choice = await selectBackend({ gpu });
    expect(choice.backend).toBe('webgpu');
    expect(choice.adapter).toMatch(/\((software|hardware), (f16|no-f16)\)/);
    expect(choice.engine!.report.features).toContain('timestamp-query');
    expect(choice.engine!.report.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(tf.getBackend()).toBe('webgpu');
    const sum = tf.add(tf.tensor1d([1, 2]), 1);
    expect(Array.from(await sum.data())).toEqual([2, 3]);
    tf.dispose(sum);
    choice.engine!.assertNoErrors();
  });
});
