/**
 * The studio in a real browser (built app, `vite preview`, headless Debian Chromium): the path through every
 * panel on the demo dataset with a tiny model, training on the page's thread (in-process trainer), and the
 * same path through the Training panel with 2 mirrored replicas (ring all-reduce) in workers; the path on the
 * defaults is firstHour.test.ts, the precision knobs on WebGPU precision.test.ts, a failed weights download
 * weightsDownload.test.ts (files of their own, so they run beside each other).
 * Training runs on tfjs wasm (see studioFlow.ts for why); screenshots go to test-results/studio-*.png.
 */
import { describe, expect, it } from 'vitest';
import { chromiumMissing, useStudioApp } from './harness/index.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { newUserPath } from './studioFlow.ts';

const app = useStudioApp();

describe.skipIf(skipUnlessPresent(chromiumMissing, 'Chromium'))('studio new-user path in Chromium', () => {
  it('the same path training on the page itself (in-process trainer)', async () => {
    const { errors } = await newUserPath(app.browser, app.served.url, { replicas: 1, tag: 'page', placement: 'page' });
    expect(errors).toEqual([]);
  });

  // Through the Training panel only: the rest of the path (evaluation to import) is the same code for any
  // trained model, walked on the defaults (a worker's run, firstHour.test.ts) and above (the page's own run);
  // a mirrored run kept across a reload is reloadMidRun.test.ts's.
  it('the same path with 2 mirrored replicas, through training', async () => {
    const { errors } = await newUserPath(app.browser, app.served.url, { replicas: 2, tag: 'r2', throughTraining: true });
    expect(errors).toEqual([]);
  });
});
