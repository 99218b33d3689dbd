/**
 * The studio in a real browser (built app, `vite preview`, headless Debian Chromium): the path through every
 * panel on the demo dataset with a tiny model, training on the page's thread (in-process trainer) and with 2
 * mirrored replicas (ring all-reduce) in workers; the path on the defaults is firstHour.test.ts.
 * Training runs on tfjs wasm (see studioFlow.ts for why); screenshots go to test-results/studio-*.png.
 */
import { describe, expect, it } from 'vitest';
import { chromiumMissing, useStudioApp } from './harness.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { newUserPath, precisionOnWebGpu, weightsDownloadFailure } from './studioFlow.ts';

const app = useStudioApp();

describe.skipIf(skipUnlessPresent(chromiumMissing, 'Chromium'))('studio new-user path in Chromium', () => {
  it('the same path training on the page itself (in-process trainer)', async () => {
    const { errors } = await newUserPath(app.browser, app.served.url, { replicas: 1, tag: 'page', placement: 'page' });
    expect(errors).toEqual([]);
  });

  it('precision and kernels on the page\'s WebGPU (SwiftShader, no shader-f16): f16 refused with the reason, fused f32 run', async () => {
    const { errors } = await precisionOnWebGpu(app.browser, app.served.url);
    expect(errors).toEqual([]);
  });

  it('shows a failed weights download in student words, details folded, and keeps working', async () => {
    await weightsDownloadFailure(app.browser, app.served.url);
  });

  it('the same path with 2 mirrored replicas', async () => {
    const { errors } = await newUserPath(app.browser, app.served.url, { replicas: 2, tag: 'r2' });
    expect(errors).toEqual([]);
  });
});
