/**
 * What a user does on the studio's page, as the browser tests do it: open a panel, type a number, switch the
 * backend, extract the demo's features, pause a run (and know when it rests).
 */
import type { Page } from 'playwright-core';
import { HANG_BOUND_MS } from '../../hangBound.ts';
import { bounded } from './chromium.ts';

/** Opens a panel by its tab's name. */
export async function tab(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
}

/** Types a number into a labelled field and leaves it, as a user does (the value is taken on blur). */
export async function setNumber(page: Page, label: string, value: number): Promise<void> {
  const input = page.getByLabel(label, { exact: true });
  await input.fill(String(value));
  await input.blur();
}

/**
 * Clicks Pause if the run still shows it; false when the run had already ended. Looked up and clicked in one
 * task of the page: a Playwright click waits for its element, and when the run ended between reading its state
 * and the click (a run on the page's own thread holds the page's thread, so the click waited behind the last
 * steps), it waited for a button that would never come back, up to the hang bound.
 */
export function pauseIfRunning(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const pause = document.querySelector<HTMLButtonElement>('[data-testid=train-pause]');
    pause?.click();
    return pause !== null;
  });
}

/**
 * The status line of a paused run that rests: the step, and at an epoch's end its validation and checkpoint,
 * in flight at the click on Pause are done (`runAtRest`), so what the page shows no longer moves.
 */
export const PAUSED_AT_REST = '[data-testid=training-state][data-state=paused][data-at-rest=true]';

/** Waits until the paused run rests (PAUSED_AT_REST). */
export async function waitPausedAtRest(page: Page): Promise<void> {
  await page.locator(PAUSED_AT_REST).waitFor({ timeout: HANG_BOUND_MS });
}

/** When pauseInPageWhen clicks Pause: once the run has a checkpoint (Continue names its step), or once it has drawn `stepsAtLeast` steps. */
export type PauseCondition = { checkpoint: true } | { stepsAtLeast: number };

/**
 * Arms a Pause click inside the page, made by the page itself the moment the condition holds (a
 * MutationObserver on the Training panel: it runs right after the render that shows the condition, a frame
 * or so behind the trainer on a visible page). A test that polled from here and then clicked raced the run's
 * end: a busy page answers a poll seconds late, and a tiny run ended in between (seen in CI). A hidden page
 * draws about once a second, so arm it while the page is visible, before the run starts; `settled()`
 * resolves 'paused' once clicked, or 'ended' when the run ended first.
 */
export async function pauseInPageWhen(page: Page, condition: PauseCondition): Promise<{ settled(): Promise<'paused' | 'ended'> }> {
  await page.evaluate((when) => {
    const w = window as unknown as { __pauseArmed?: Promise<'paused' | 'ended'> };
    w.__pauseArmed = new Promise((resolve) => {
      const stateLine = () => document.querySelector('[data-testid=training-state]');
      // The previous run (its end, its checkpoint) still shows until this one starts: only the new run counts.
      const previousRun = stateLine()?.getAttribute('data-run-id') ?? '';
      const check = () => {
        const line = stateLine();
        if ((line?.getAttribute('data-run-id') ?? '') === previousRun) return;
        const state = line?.getAttribute('data-state');
        // Another run id: an end is this run's, even unseen going (a tiny run's events reach the page a frame
        // at a time, and its end flushes them all at once: idle, then finished, never 'running' on screen).
        if (state === 'finished' || state === 'stopped' || state === 'failed') return done('ended');
        const ready =
          'stepsAtLeast' in when
            ? Number(line?.getAttribute('data-steps')) >= when.stepsAtLeast
            : /\(step \d+\)/.test(document.querySelector('[data-testid=train-continue]')?.textContent ?? '');
        const pause = document.querySelector<HTMLButtonElement>('[data-testid=train-pause]');
        if (ready && state === 'running' && pause && !pause.disabled) {
          pause.click();
          done('paused');
        }
      };
      const observer = new MutationObserver(check);
      const done = (outcome: 'paused' | 'ended') => {
        observer.disconnect();
        resolve(outcome);
      };
      observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      check();
    });
  }, condition);
  return {
    settled: () =>
      bounded(
        page.evaluate(() => (window as unknown as { __pauseArmed: Promise<'paused' | 'ended'> }).__pauseArmed),
        `the armed pause (${JSON.stringify(condition)})`,
      ),
  };
}

/**
 * The demo loaded and its features extracted on the page's defaults (the demo CNN with its built-in weights:
 * a few milliseconds a picture even on SwiftShader, where MobileNet took a minute for 40): the cheap start of
 * the tests whose subject is a run, not the features.
 */
export async function extractDemoFeatures(page: Page): Promise<void> {
  await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor({ timeout: HANG_BOUND_MS });
  await tab(page, 'Features');
  await page.getByTestId('extract-start').click();
  await page.locator('[data-testid=features-status][data-status=done]').waitFor({ timeout: HANG_BOUND_MS });
}

const BACKEND_SETTING_LABELS = { webgpu: 'WebGPU', wasm: 'wasm (CPU)' } as const;

/**
 * Names a backend in the open panel's Backend setting, as a user switches (wasm to extract, WebGPU to train),
 * and waits until the page runs on it. WebGPU here is SwiftShader, which auto never picks by itself.
 */
export async function useBackend(page: Page, backend: keyof typeof BACKEND_SETTING_LABELS): Promise<void> {
  await page.getByRole('radio', { name: BACKEND_SETTING_LABELS[backend], exact: true }).check();
  await page.locator(`[data-testid=backend-badge][data-backend=${backend}]`).waitFor({ timeout: HANG_BOUND_MS });
}
