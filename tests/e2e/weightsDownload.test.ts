/**
 * A failed weights download in Chromium (built app, `vite preview`): the Features panel says it in a
 * student's words where it happened, the technical detail folded one click away, and the page keeps working
 * (random weights extract after it; an abort keeps what was done and extracting again resumes from the cache).
 */
import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumMissing, openPage, screenshot, tab, useStudioApp } from './harness/index.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { HANG_BOUND_MS } from '../hangBound.ts';

const app = useStudioApp();

async function weightsDownloadFailure(browser: Browser, baseUrl: string): Promise<void> {
  const { page } = await openPage(browser, `${baseUrl}?backend=wasm`);
  await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor({ timeout: HANG_BOUND_MS });
  await tab(page, 'Features');
  // URL weights are for VGG16 and MobileNet (the demo CNN's come with the studio).
  await page.getByRole('radio', { name: /MobileNet/ }).check();
  await page.getByRole('radio', { name: /URL/ }).check();
  // A port nothing listens on: the download fails the way a wrong URL does.
  await page.getByLabel('URL of model.json').fill('http://127.0.0.1:9/weights/model.json');
  await page.getByTestId('extract-start').click();
  const error = page.getByTestId('features-error');
  await error.waitFor({ timeout: HANG_BOUND_MS });
  expect(await page.getByTestId('features-status').getAttribute('data-status')).toBe('failed');
  const sentence = (await error.locator('p').first().textContent()) ?? '';
  expect(sentence).toMatch(/weights|download|model\.json/i);
  // The technical detail is there but folded away until asked for.
  const details = error.locator('details');
  expect(await details.evaluate((d: HTMLDetailsElement) => d.open)).toBe(false);
  await details.locator('summary').click();
  expect(((await details.locator('pre').textContent()) ?? '').length).toBeGreaterThan(10);
  await screenshot(page, 'studio-features-error.png');
  // The page keeps working: random weights extract after the failure; an abort keeps what was done, and
  // extracting again resumes from the cache.
  await page.getByRole('radio', { name: /Random/ }).check();
  await page.getByTestId('extract-start').click();
  const progress = page.getByTestId('extract-progress');
  await expect.poll(async () => Number(await progress.getAttribute('data-done')), { timeout: HANG_BOUND_MS, interval: 100 }).toBeGreaterThan(0);
  await page.getByTestId('extract-abort').click();
  await page.locator('[data-testid=features-status][data-status=aborted]').waitFor({ timeout: HANG_BOUND_MS });
  const doneBeforeAbort = Number(await progress.getAttribute('data-done'));
  expect(await page.getByTestId('extract-start').textContent()).toBe('Resume extraction');
  await page.getByTestId('extract-start').click();
  await page.locator('[data-testid=features-status][data-status=done]').waitFor({ timeout: HANG_BOUND_MS });
  const fromCache = Number((((await page.getByTestId('features-status').textContent()) ?? '').match(/\((\d+) from the cache\)/) ?? [])[1] ?? 0);
  expect(fromCache).toBeGreaterThan(0);
  expect(fromCache).toBeLessThanOrEqual(doneBeforeAbort);
  // Random weights are said to be random where the features are described.
  expect(await page.getByTestId('features-weights').textContent()).toContain('RANDOM');
  await page.close();
}

describe.skipIf(skipUnlessPresent(chromiumMissing, 'Chromium'))('a failed weights download in Chromium', () => {
  it('shows a failed weights download in student words, details folded, and keeps working', async () => {
    await weightsDownloadFailure(app.browser, app.served.url);
  });
});
