/**
 * The run's kernels and why (server-rendered markup): a fall-back from a precision or kernels the user chose
 * is a notice; the same fall-back on the defaults (fused kernels on, which only WebGPU has) is a plain line,
 * since a student who changed nothing has nothing to undo.
 */
import { describe, expect, it } from 'vitest';
import { BackendInfo } from '../../../../src/ui/training/BackendInfo.tsx';
import { renderWithStore } from '../../../support/renderWithStore.tsx';
import { testStore } from '../../../support/studioStore.ts';

const fallback = 'fused kernels need the webgpu backend; running stock tfjs ops on wasm';

function rendered(given: boolean): string {
  const { store } = testStore();
  if (given) store.getState().setTrainConfig({ fusedKernels: true });
  store.getState().applyTrainerEvents([{ type: 'backendChosen', backend: 'wasm', precision: 'float32', kernels: 'stock tfjs ops', kernelFallbackReason: fallback }]);
  return renderWithStore(store, <BackendInfo />);
}

describe('the Training panel on the kernels a run got', () => {
  it('on the defaults: the reason as a plain line, no notice', () => {
    const html = rendered(false);
    expect(html).toContain(`Why these kernels: ${fallback}.`);
    expect(html).toContain('data-asked="false"');
    expect(html).not.toContain('sp-notice');
  });

  it('when the user chose the kernels: a notice that the run did not get them', () => {
    const html = rendered(true);
    expect(html).toContain(`Not what the settings asked for: ${fallback}.`);
    expect(html).toMatch(/class="sp-notice"[^>]*data-testid="kernel-fallback"/);
  });
});
