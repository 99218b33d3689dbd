/**
 * The studio in a real browser (built app, `vite preview`, headless Debian Chromium): the path through every
 * panel on the demo dataset with a tiny model, training on the page's thread (in-process trainer) and with 2
 * mirrored replicas (ring all-reduce) in workers; the path on the defaults is firstHour.test.ts.
 * Training runs on tfjs wasm (see studioFlow.ts for why); screenshots go to test-results/studio-*.png.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, chromiumMissing, launchChromium, serveApp, type Served } from './harness.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { newUserPath, precisionOnWebGpu, weightsDownloadFailure } from './studioFlow.ts';

let served: Served;
let browser: Browser;

beforeAll(async () => {
  if (chromiumMissing) return;
  served = await serveApp(await buildApp());
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await served?.close();
});

describe.skipIf(skipUnlessPresent(chromiumMissing, 'Chromium'))('studio new-user path in Chromium', () => {
  it('the same path training on the page itself (in-process trainer)', async () => {
    const { errors } = await newUserPath(browser, served.url, { replicas: 1, tag: 'page', placement: 'page' });
    expect(errors).toEqual([]);
  });

  it('precision and kernels on the page\'s WebGPU (SwiftShader, no shader-f16): f16 refused with the reason, fused f32 run', async () => {
    const { errors } = await precisionOnWebGpu(browser, served.url);
    expect(errors).toEqual([]);
  });

  it('shows a failed weights download in student words, details folded, and keeps working', async () => {
    await weightsDownloadFailure(browser, served.url);
  });

  it('the same path with 2 mirrored replicas', async () => {
    const { errors } = await newUserPath(browser, served.url, { replicas: 2, tag: 'r2' });
    expect(errors).toEqual([]);
  });
});
