/**
 * The Features panel in Chromium with real weights picked as a folder: ../shared's MobileNet 0.25 folder as
 * tensorflowjs_converter wrote it (model.json and 55 extension-less shards `group1-shard1of1` …), picked through
 * the Weights folder input and read by model.json's manifest.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chromiumMissing, openPage, repoRoot, screenshot, useStudioApp, tab } from './harness/index.ts';
import { skipUnlessPresent } from '../prerequisites.ts';

const mobilenetDir = resolve(repoRoot, '..', 'shared', 'models', 'mobilenet_v1_0.25_224');
const missing = chromiumMissing || (existsSync(join(mobilenetDir, 'model.json')) ? '' : `${mobilenetDir} is absent (needs ../shared)`);

const app = useStudioApp({ missing: missing });

describe.skipIf(skipUnlessPresent(missing, 'Chromium and ../shared MobileNet weights'))('Features panel in Chromium', () => {
  it('extracts with the shared MobileNet folder picked as it is (shards without an extension)', async () => {
    const { page, errors } = await openPage(app.browser, `${app.served.url}?backend=wasm`);
    await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor();
    await page.getByRole('tab', { name: /^Features/ }).click();
    await page.getByRole('radio', { name: /MobileNet/ }).check();
    await page.getByRole('radio', { name: /files\/folder \(model.json/ }).check();
    await page.getByLabel('Weights folder').setInputFiles(mobilenetDir);
    await page.getByTestId('extract-start').click();
    await page.locator('[data-testid=features-status][data-status=done]').waitFor();
    const weights = (await page.getByTestId('features-weights').textContent()) ?? '';
    expect(weights).not.toContain('RANDOM');
    expect(weights).toContain('files: model.json + 55 other file(s)');
    expect(await page.getByTestId('features-error').count()).toBe(0);
    await screenshot(page, 'features-mobilenet-folder.png');
    expect(errors).toEqual([]);
    await page.close();
  });
});
