/**
 * A reload in the middle of a run, in Chromium (built app, `vite preview`, headless Debian Chromium, tfjs
 * wasm): a first run finishes, a second one starts; once the page says its checkpoint is kept for a reload,
 * the page is reloaded. The page then offers exactly that run's latest checkpoint ("continue from step N of
 * the run started at …") with its settings and its charts up to step N, the first run is still in the run
 * list reading as finished, and continuing finishes the second run under the same run id.
 * With one replica in a worker and with 2 mirrored replicas (Web Workers, ring all-reduce).
 *
 * The run is paused by the page itself the moment it has its first checkpoint (harness/studioPage.ts pauseInPageWhen),
 * and the page reloaded while it is paused: a paused run has not ended (the reload interrupts it as it would
 * a running one), and the pause holds it, so the run cannot end before the reload however fast the machine.
 * A worker may finish the step it was taking after the pause, and keep one more checkpoint when that step
 * ends an epoch (seen in CI): the test reloads once the run is at rest and its latest checkpoint is kept
 * for a reload, and the reload must offer exactly that one.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumMissing, openPage, screenshot, pauseInPageWhen, useStudioApp, tab, setNumber, extractDemoFeatures, waitPausedAtRest } from './harness/index.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { HANG_BOUND_MS } from '../hangBound.ts';

const app = useStudioApp();



const numberOf = async (page: Page, testId: string, attribute: string) => Number(await page.getByTestId(testId).getAttribute(attribute));
const state = (page: Page) => page.getByTestId('training-state').getAttribute('data-state');
const waitState = (page: Page, value: string) => page.locator(`[data-testid=training-state][data-state=${value}]`).waitFor({ timeout: HANG_BOUND_MS });

/** The settings both runs share: 40 demo images (28 to train on), batch 8, a tiny model, no BLEU decoding. */
async function configure(page: Page, replicas: number, epochs: number): Promise<void> {
  await setNumber(page, 'Epochs', epochs);
  await setNumber(page, 'Batch size', 8);
  await setNumber(page, 'Learning rate', 0.01);
  await setNumber(page, 'BLEU sample', 0);
  await setNumber(page, 'Replicas', replicas);
  if (replicas > 1) await page.getByRole('radio', { name: /Ring/ }).check();
}

async function reloadMidRun(replicas: number, tag: string): Promise<{ errors: string[] }> {
  const { page, errors } = await openPage(app.browser, `${app.served.url}?backend=wasm&units=16&demoImages=40`);
  // A fresh browser context per test: no run of another case in this page's IndexedDB.
  const shot = (name: string) => screenshot(page, `reload-${tag}-${name}.png`);
  await extractDemoFeatures(page);

  // The first run: one epoch, to the end.
  await tab(page, 'Training');
  await configure(page, replicas, 1);
  await page.getByTestId('train-start').click();
  await waitState(page, 'finished');
  const firstRunId = await page.getByTestId('training-state').getAttribute('data-run-id');
  expect(firstRunId).toBeTruthy();
  expect(await page.getByTestId('run-history').getAttribute('data-runs')).toBe('1');

  // The second run: four epochs (a checkpoint at the end of each), interrupted after its first checkpoint.
  const epochs = 4;
  await setNumber(page, 'Epochs', epochs);
  await setNumber(page, 'Learning rate', 0.005);
  const pause = await pauseInPageWhen(page, { checkpoint: true });
  await page.getByTestId('train-start').click();
  if ((await pause.settled()) === 'ended') throw new Error('the second run ended before its first checkpoint: no run to interrupt');
  // At rest: a worker may still finish the step it was taking after the pause, and when that step ends an
  // epoch, keep its checkpoint too. Then the run's latest checkpoint is written down for a reload (with the
  // charts, after the checkpoint itself): the page says so, and the reload offers exactly that one.
  await waitPausedAtRest(page);
  const continueButton = page.getByTestId('train-continue');
  const latestCheckpoint = Number(/\(step (\d+)\)/.exec((await continueButton.textContent()) ?? '')?.[1]);
  expect(latestCheckpoint).toBeGreaterThan(0);
  const keptForReload = () => page.evaluate(() => document.querySelector('[data-testid=checkpoint-kept]')?.getAttribute('data-step') ?? null);
  await expect.poll(keptForReload, { timeout: HANG_BOUND_MS }).toBe(String(latestCheckpoint));
  const keptStep = latestCheckpoint;
  const secondRunId = await page.getByTestId('training-state').getAttribute('data-run-id');
  expect(secondRunId).toBeTruthy();
  expect(secondRunId).not.toBe(firstRunId);
  const lossChart = page.getByTestId('chart-step-loss');
  const firstLoss = await lossChart.getAttribute('data-first');
  // Read as the page is left: the steps the page had drawn (past the checkpoint when paused mid-epoch).
  const stepsBeforeReload = await numberOf(page, 'training-state', 'data-steps');
  expect(stepsBeforeReload).toBeGreaterThanOrEqual(keptStep);
  await shot('1-before-reload');

  await page.reload();
  await tab(page, 'Training');
  // The interrupted run, at its latest checkpoint.
  const stateLine = page.getByTestId('training-state');
  const offered = /interrupted by a reload: continue from step (\d+) of the run started at \d\d:\d\d:\d\d/;
  await expect.poll(async () => (await stateLine.textContent()) ?? '', { timeout: HANG_BOUND_MS }).toMatch(offered);
  const step = Number(((await stateLine.textContent()) ?? '').match(offered)![1]);
  expect(step).toBe(keptStep);
  expect(await stateLine.getAttribute('data-state')).toBe('stopped');
  expect(await stateLine.getAttribute('data-run-id')).toBe(secondRunId);
  expect(await numberOf(page, 'training-state', 'data-steps')).toBe(step);
  expect(await numberOf(page, 'chart-step-loss', 'data-points')).toBe(step);
  expect(await lossChart.getAttribute('data-first')).toBe(firstLoss);
  const epochsBack = await numberOf(page, 'chart-epoch-loss', 'data-points');
  expect(epochsBack).toBeGreaterThanOrEqual(1);
  expect(epochsBack).toBeLessThan(epochs);
  // Its settings are back.
  expect(await page.getByLabel('Epochs', { exact: true }).inputValue()).toBe(String(epochs));
  expect(await page.getByLabel('Batch size', { exact: true }).inputValue()).toBe('8');
  expect(await page.getByLabel('Learning rate', { exact: true }).inputValue()).toBe('0.005');
  expect(await page.getByLabel('Replicas', { exact: true }).inputValue()).toBe(String(replicas));
  // The first run is still in the run list, reading as finished; the interrupted one has not ended.
  const history = page.getByTestId('run-history');
  await expect.poll(() => history.getAttribute('data-runs'), { timeout: HANG_BOUND_MS }).toBe('1');
  expect(await history.locator('tbody tr').first().getAttribute('data-ended')).toBe('finished');
  expect(await history.locator('tbody tr').first().textContent()).toContain('(finished)');
  await shot('2-after-reload');

  // Continue: the features come back from the cache; the run goes on from step N to its end, same run id.
  await expect.poll(() => continueButton.isEnabled(), { timeout: HANG_BOUND_MS }).toBe(true);
  expect(await continueButton.textContent()).toContain(`(step ${step})`);
  await continueButton.click();
  await waitState(page, 'finished');
  expect(await stateLine.getAttribute('data-run-id')).toBe(secondRunId);
  const total = await numberOf(page, 'chart-step-loss', 'data-points');
  // Every epoch has the same number of steps: the run ends at epochs × (steps of its first epoch).
  const firstEpochSteps = step / epochsBack;
  expect(total).toBe(firstEpochSteps * epochs);
  expect(await lossChart.getAttribute('data-first')).toBe(firstLoss);
  expect(await numberOf(page, 'chart-epoch-loss', 'data-points')).toBe(epochs);
  expect(await history.getAttribute('data-runs')).toBe('2');
  expect(await history.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-ended')))).toEqual(['finished', 'finished']);
  if (replicas > 1) expect((await page.getByTestId('training-backend').textContent()) ?? '').toContain(`${replicas} replicas`);
  console.log(`[reload ${tag}] paused with the checkpoint at step ${keptStep} kept, offered step ${step} after the reload, ${stepsBeforeReload} steps drawn at the reload, ${total} steps at the end`);
  await shot('3-continued');

  // One more reload: the continued run reads as finished, both runs listed.
  await page.reload();
  await tab(page, 'Training');
  await expect.poll(() => state(page), { timeout: HANG_BOUND_MS }).toBe('finished');
  expect(await stateLine.getAttribute('data-run-id')).toBe(secondRunId);
  expect(await numberOf(page, 'chart-step-loss', 'data-points')).toBe(total);
  await expect.poll(() => history.getAttribute('data-runs'), { timeout: HANG_BOUND_MS }).toBe('2');
  await page.close();
  return { errors };
}

describe.skipIf(skipUnlessPresent(chromiumMissing, 'Chromium'))('a reload in the middle of a run, in Chromium', () => {
  it('one replica in a worker (wasm): continues the interrupted run from its latest checkpoint', async () => {
    const { errors } = await reloadMidRun(1, 'r1');
    expect(errors).toEqual([]);
  });

  it('2 mirrored replicas (wasm workers, ring all-reduce): the same', async () => {
    const { errors } = await reloadMidRun(2, 'r2');
    expect(errors).toEqual([]);
  });
});
