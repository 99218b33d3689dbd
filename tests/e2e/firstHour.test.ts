/**
 * The first hour in a real browser (built app, `vite preview`, headless Debian Chromium): a new user's path on
 * the page's defaults (the demo, the demo CNN with its built-in weights, the notebook-sized caption model, the
 * data's default settings; only the epochs reduced, through the visible setting), to the BLEU floor
 * and captions of new pictures that name their colours. Its own file so that it runs beside studio.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { chromiumMissing, useStudioApp } from './harness/index.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { newUserPath } from './studioFlow.ts';

const app = useStudioApp();

describe.skipIf(skipUnlessPresent(chromiumMissing, 'Chromium'))('the first hour in Chromium', () => {
  it('on the defaults: demo → features (demo CNN) → train (fewer epochs, nothing else changed) → BLEU floor → captions of new pictures → export → reload → import → caption again', async () => {
    const { errors } = await newUserPath(app.browser, app.served.url, { replicas: 1, tag: 'r1', defaults: true });
    expect(errors).toEqual([]);
  });
});
