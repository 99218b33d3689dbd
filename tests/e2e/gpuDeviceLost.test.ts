/**
 * A lost GPU device in the middle of a run, in Chromium (built app, `vite preview`, the page's WebGPU is
 * SwiftShader, named in the Training panel's Backend setting since auto never picks a software adapter (the
 * features are extracted on wasm before): a tiny model, 40 demo
 * images). The device is lost for real: the test calls destroy() on the GPUDevice the page (or a replica
 * worker) trains on, reached through tests/e2e/gpuDevices.ts, not through any hook of the app. Each stage is
 * logged with the run's state, so a hang names the stage it stopped in.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumMissing, openPage, screenshot, setNumber, tab, useStudioApp, useBackend, extractDemoFeatures } from './harness/index.ts';
import { destroyNewestDevice, recordGpuDevices, workersWithDevices } from './gpuDevices.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { HANG_BOUND_MS } from '../hangBound.ts';

const app = useStudioApp();

/** One line per stage: seconds since the test started, the run's state and its steps drawn. */
async function stage(page: Page, startedMs: number, what: string): Promise<void> {
  const state = page.getByTestId('training-state');
  const [runState, steps] = await Promise.all([
    state.count().then((n) => (n ? state.getAttribute('data-state') : 'none')),
    state.count().then((n) => (n ? state.getAttribute('data-steps') : '-')),
  ]);
  console.log(`[device lost ${((Date.now() - startedMs) / 1000).toFixed(1)} s] ${what} (run ${runState}, ${steps} steps)`);
}

/** A stage line that reads nothing from the page (for the moments a read would wait for a step). */
function mark(startedMs: number, what: string): void {
  console.log(`[device lost ${((Date.now() - startedMs) / 1000).toFixed(1)} s] ${what}`);
}

async function startRun(replicas: number, placement: 'page' | 'worker', epochs: number): Promise<{ page: Page; errors: string[] }> {
  const { page, errors } = await openPage(app.browser, 'about:blank');
  await recordGpuDevices(page);
  // Features on wasm, then the run on WebGPU through the Backend setting, as a student would switch: each
  // pipeline costs SwiftShader seconds to compile, and the demo CNN's are not what this test is about.
  await page.goto(`${app.served.url}?backend=wasm&units=16&demoImages=40`);
  await extractDemoFeatures(page);
  console.log(`[device lost ${replicas}/${placement}] features extracted`);
  await tab(page, 'Training');
  await useBackend(page, 'webgpu');
  await setNumber(page, 'Epochs', epochs);
  await setNumber(page, 'Batch size', 8);
  await setNumber(page, 'BLEU sample', 0);
  await setNumber(page, 'Replicas', replicas);
  if (replicas === 1) await page.getByRole('radio', { name: placement === 'page' ? 'This page' : 'A worker', exact: true }).check();
  await page.getByTestId('train-start').click();
  return { page, errors };
}

/** 28 training images, batch 8. */
const STEPS_PER_EPOCH = 4;

/**
 * What a run shows before its device is lost (its id and first loss), to check that nothing of it is lost
 * after; then waits for the first step after the first checkpoint (an epoch's checkpoint is written before the
 * next epoch's first step), so the caller destroys the device right after that checkpoint, mid-epoch: where a
 * run on the page once waited for good. Nothing else is read in between (a run on the page's thread makes
 * each read wait for its step).
 */
async function snapshot(page: Page) {
  const chart = page.getByTestId('chart-step-loss');
  await expect.poll(async () => Number(await chart.getAttribute('data-points')), { timeout: HANG_BOUND_MS }).toBeGreaterThan(0);
  const before = {
    runId: await page.getByTestId('training-state').getAttribute('data-run-id'),
    firstLoss: await chart.getAttribute('data-first'),
  };
  const steps = async () => Number(await page.getByTestId('training-state').getAttribute('data-steps'));
  await expect.poll(steps, { timeout: HANG_BOUND_MS }).toBeGreaterThan(STEPS_PER_EPOCH);
  return before;
}

/** A run that ended before its device was destroyed has nothing to lose: said at once, not at the hang bound. */
async function expectNotFinished(page: Page): Promise<void> {
  if ((await page.getByTestId('training-state').getAttribute('data-state')) === 'finished') {
    throw new Error('the run finished before the test destroyed its device: no run to interrupt');
  }
}

/**
 * Waits for the device-lost notice after the test destroyed a device; a run that ended instead (finished, or
 * failed with an error) is said at once with what the page shows, not after the hang bound.
 */
async function waitForNotice(page: Page): Promise<void> {
  const notice = page.getByTestId('device-lost');
  const ended = '[data-testid=training-state][data-state=finished], [data-testid=training-state][data-state=failed], [data-testid=training-error]';
  await page.locator(`[data-testid=device-lost], ${ended}`).first().waitFor({ timeout: HANG_BOUND_MS });
  if ((await notice.count()) === 0) {
    const state = (await page.getByTestId('training-state').textContent()) ?? '';
    const error = (await page.getByTestId('training-error').count()) ? await page.getByTestId('training-error').textContent() : '';
    throw new Error(`no device-lost notice: the run ended instead (${state}${error ? `; error: ${error}` : ''})`);
  }
}

async function expectFinishedRun(page: Page, before: { runId: string | null; firstLoss: string | null }, epochs: number): Promise<void> {
  await page.locator('[data-testid=training-state][data-state=finished]').waitFor({ timeout: HANG_BOUND_MS });
  expect(await page.getByTestId('training-state').getAttribute('data-run-id')).toBe(before.runId);
  expect(await page.getByTestId('chart-step-loss').getAttribute('data-first')).toBe(before.firstLoss);
  // Every epoch, each step drawn once.
  expect(Number(await page.getByTestId('chart-step-loss').getAttribute('data-points'))).toBe(epochs * STEPS_PER_EPOCH);
  expect(Number(await page.getByTestId('chart-epoch-loss').getAttribute('data-points'))).toBe(epochs);
  expect(await page.getByTestId('device-lost').count()).toBe(0);
  expect(await page.getByTestId('training-error').count()).toBe(0);
}

/** The browser's own lines about the device the test destroyed are expected; anything else is a failure. */
const unexpected = (errors: string[]) => errors.filter((e) => !/destroyed|device.*lost|lost.*device/i.test(e));

describe.skipIf(skipUnlessPresent(chromiumMissing, 'Chromium'))('a lost GPU device during a run, in Chromium', () => {
  it('on the page\'s thread: the run stops at its last checkpoint, continues on a new device, then (lost again) on wasm', async () => {
    const startedMs = Date.now();
    // 3 epochs: the device is lost twice after the first checkpoint, a step apart, and the run must not end
    // before either (a read of a run on the page's thread waits for its step).
    const { page, errors } = await startRun(1, 'page', 3);
    const before = await snapshot(page);
    const notice = page.getByTestId('device-lost');
    const runState = page.getByTestId('training-state');

    mark(startedMs, 'past the first checkpoint: destroying the page\'s device');
    const lost = await destroyNewestDevice(page);
    await expectNotFinished(page);
    await stage(page, startedMs, `device.lost settled (${lost}); waiting for the notice`);
    await waitForNotice(page);
    await stage(page, startedMs, `notice: ${await notice.textContent()}`);
    await screenshot(page, 'device-lost-page-1.png');
    expect(await runState.getAttribute('data-state')).toBe('stopped');
    expect(await runState.textContent()).toMatch(/the GPU device was lost at step \d+; the checkpoint of step \d+ is kept/);
    expect(await page.getByTestId('training-error').count()).toBe(0);
    expect(await notice.textContent()).toContain("This page's GPU device was lost");

    // A new device: the run goes on from its checkpoint on WebGPU again.
    await page.getByTestId('continue-new-device').click();
    await stage(page, startedMs, 'continuing on a new device');
    // A step past the checkpoint (step STEPS_PER_EPOCH) on the new device. The notice goes once the continued
    // run is going, after its charts were cut back to the checkpoint: the step count read before that was the
    // lost run's (once it let the test destroy the old device again before the new one existed).
    await notice.waitFor({ state: 'detached', timeout: HANG_BOUND_MS });
    await expect.poll(async () => Number(await runState.getAttribute('data-steps')), { timeout: HANG_BOUND_MS }).toBeGreaterThan(STEPS_PER_EPOCH);

    // That device is lost too, mid-run (read nothing before: each read waits for a step): the run goes back
    // to its last checkpoint and ends on wasm.
    mark(startedMs, 'a step done on the new device: destroying it');
    const lostAgain = await destroyNewestDevice(page);
    await expectNotFinished(page);
    // The steps after the checkpoint were trained on the new WebGPU device, in the same run.
    expect((await page.getByTestId('training-backend').textContent()) ?? '').toContain('Backend: webgpu');
    expect(await runState.getAttribute('data-run-id')).toBe(before.runId);
    await stage(page, startedMs, `device.lost settled (${lostAgain}); waiting for the notice`);
    await waitForNotice(page);
    await stage(page, startedMs, `notice: ${await notice.textContent()}`);
    expect(await runState.getAttribute('data-state')).toBe('stopped');
    expect(await runState.textContent()).toMatch(/the GPU device was lost at step \d+; the checkpoint of step \d+ is kept/);
    await page.getByTestId('continue-wasm').click();
    await stage(page, startedMs, 'continuing on wasm');
    await expectFinishedRun(page, before, 3);
    await stage(page, startedMs, 'finished');
    expect((await page.getByTestId('training-backend').textContent()) ?? '').toContain('Backend: wasm');
    await screenshot(page, 'device-lost-page-2.png');
    expect(unexpected(errors)).toEqual([]);
    await page.close();
  });

  it('one replica of 2 mirrored ones (WebGPU workers): the run pauses and the replica restarts on a new device', async () => {
    const startedMs = Date.now();
    // 3 epochs: lost once, after the first checkpoint, with steps still to come. With 2 (8 steps), a loaded
    // machine had drawn all 8 by the time the device was destroyed (the run then finishes: nothing to recover).
    const { page, errors } = await startRun(2, 'worker', 3);
    const before = await snapshot(page);
    const workers = await workersWithDevices(page);
    expect(workers).toHaveLength(2);
    mark(startedMs, 'past the first checkpoint: destroying replica 1\'s device');
    const lost = await destroyNewestDevice(workers[1]);
    await expectNotFinished(page);
    await stage(page, startedMs, `device.lost settled (${lost}); waiting for the notice`);
    const notice = page.getByTestId('device-lost');
    await waitForNotice(page);
    await stage(page, startedMs, `notice: ${await notice.textContent()}`);
    await screenshot(page, 'device-lost-replica-1.png');
    expect(await page.getByTestId('training-state').getAttribute('data-state')).toBe('paused');
    expect(await notice.getAttribute('data-replica')).toMatch(/^\d+$/);
    await page.getByTestId('continue-new-device').click();
    await stage(page, startedMs, 'restarting the replica on a new device');
    await expectFinishedRun(page, before, 3);
    await stage(page, startedMs, 'finished');
    const group = (await page.getByTestId('training-backend').textContent()) ?? '';
    expect(group).toContain('2 replicas');
    expect(group).toContain('weights identical');
    await screenshot(page, 'device-lost-replica-2.png');
    expect(unexpected(errors)).toEqual([]);
    await page.close();
  });
});
