/** The header's backend: the one in use (the run's while one goes) and why it is the one. */
import { describe, expect, it } from 'vitest';
import { backendHeadline } from '../../../src/ui/BackendBadge.tsx';

describe('backendHeadline', () => {
  it('is null while the page is still choosing', () => {
    expect(backendHeadline(null, null)).toBeNull();
  });

  it('names the page\'s backend, how it was chosen and what was passed over', () => {
    expect(
      backendHeadline({ backend: 'wasm', shaderF16: false, chosenBecause: 'the address asks to start at wasm (?backend=wasm)' }, null),
    ).toEqual({ badge: 'backend wasm', backend: 'wasm', realGpu: false, why: 'Chosen as the address asks to start at wasm (?backend=wasm).' });
    const page = {
      backend: 'webgpu' as const,
      shaderF16: false,
      adapter: 'google swiftshader',
      isSoftware: true,
      chosenBecause: 'the first of webgpu → webgl → wasm → cpu that works in this browser',
    };
    expect(backendHeadline(page, null)).toMatchObject({
      badge: 'backend webgpu · google swiftshader',
      realGpu: false,
      why: 'Chosen as the first of webgpu → webgl → wasm → cpu that works in this browser. A CPU emulation of a GPU: its speeds are not GPU speeds.',
    });
  });

  it('shows the run\'s backend while one goes, with its fall-back', () => {
    const headline = backendHeadline({ backend: 'webgpu', shaderF16: true, adapter: 'nvidia' }, { backend: 'wasm', fallbackReason: 'the device was lost' });
    expect(headline).toMatchObject({ badge: 'training on wasm', backend: 'wasm', why: 'Passed over: the device was lost' });
  });
});
