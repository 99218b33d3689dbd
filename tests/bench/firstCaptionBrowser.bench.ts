/**
 * Time to the first good caption in the browser (a benchmark, not a test):
 *   npx tsx tests/bench/firstCaptionBrowser.bench.ts [--max-minutes 30] [--bleu1 0.7]
 *
 * Builds the page, serves it on 127.0.0.1 and drives headless Chromium on the page's defaults: no address
 * parameters (the demo dataset it loads by itself; the backend on auto, so its calibrations are part of the
 * time), the Features panel's backbone choice for the demo where the page offers one (else MobileNet with
 * random weights, said loudly: those features cannot give right captions), every training setting at its
 * default. The clock runs from opening the page to the first epoch that is good; the run is then stopped.
 *
 * "Good": the page shows no per-epoch sample captions yet, so the criterion is the validation BLEU-1 the
 * Training panel draws after each epoch, at least --bleu1 (0.7). Where the panel has `epoch-samples`, their
 * text at that epoch is printed too.
 */
import type { Page } from 'playwright-core';
import { buildApp, CHROMIUM_ARGS, launchChromium, openPage, serveApp } from '../e2e/harness/index.ts';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const maxMs = Number(arg('max-minutes', '30')) * 60_000;
const bleu1Goal = Number(arg('bleu1', '0.7'));

const served = await serveApp(await buildApp());
const browser = await launchChromium(CHROMIUM_ARGS);
const seconds = (from: number, to = performance.now()): string => `${((to - from) / 1000).toFixed(1)} s`;
const tab = (page: Page, name: string) => page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();

/** "epoch 3: BLEU-1 0.712, BLEU-4 0.401; …" from the BLEU chart's caption. */
async function epochBleu(page: Page): Promise<{ epoch: number; bleu1: number; bleu4: number }[]> {
  const text = (await page.locator('[data-testid=chart-epoch-bleu] figcaption').textContent().catch(() => '')) ?? '';
  return [...text.matchAll(/epoch (\d+): BLEU-1 ([\d.]+), BLEU-4 ([\d.]+)/g)].map((m) => ({ epoch: Number(m[1]), bleu1: Number(m[2]), bleu4: Number(m[3]) }));
}

try {
  const started = performance.now();
  const { page, errors } = await openPage(browser, served.url);
  page.setDefaultTimeout(maxMs);
  await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor();
  console.log(`page open → demo dataset loaded: ${seconds(started)}`);

  let stage = performance.now();
  await tab(page, 'Features');
  const demo = page.getByRole('radio', { name: /demo/i });
  if (await demo.count()) {
    await demo.first().check();
    console.log('backbone: the demo backbone (the page offers it)');
  } else {
    await page.getByRole('radio', { name: /MobileNet/ }).check();
    await page.getByRole('radio', { name: /Random/ }).check();
    console.log('backbone: the page offers no demo backbone yet: MobileNet with RANDOM weights (captions cannot describe the pictures)');
  }
  await page.getByTestId('extract-start').click();
  await page.locator('[data-testid=features-status][data-status=done]').waitFor();
  console.log(`features: ${seconds(stage)}; backend: ${await page.getByTestId('backend-calibration-extraction').textContent()}`);

  stage = performance.now();
  await tab(page, 'Training');
  await page.getByTestId('train-start').click();
  let found: { epoch: number; bleu1: number; bleu4: number; atMs: number } | null = null;
  let seen = 0;
  while (!found && performance.now() - started < maxMs) {
    const state = await page.getByTestId('training-state').getAttribute('data-state');
    const epochs = await epochBleu(page);
    for (const e of epochs.slice(seen)) console.log(`  epoch ${e.epoch}: validation BLEU-1 ${e.bleu1}, BLEU-4 ${e.bleu4} (${seconds(started)} from page open)`);
    seen = epochs.length;
    const good = epochs.find((e) => e.bleu1 >= bleu1Goal);
    if (good) found = { ...good, atMs: performance.now() };
    else if (state === 'finished' || state === 'failed' || state === 'stopped') break;
    else await page.waitForTimeout(500);
  }
  console.log(`training: ${await page.getByTestId('backend-calibration-training').textContent()}`);
  if (found) {
    await page.getByTestId('train-stop').click();
    const samples = page.getByTestId('epoch-samples');
    if (await samples.count()) console.log(`sample captions: ${(await samples.first().textContent())?.trim()}`);
    console.log(
      `first good caption (validation BLEU-1 ≥ ${bleu1Goal}): epoch ${found.epoch}, ${seconds(started, found.atMs)} from opening the page ` +
        `(training ${seconds(stage, found.atMs)}); BLEU-1 ${found.bleu1}, BLEU-4 ${found.bleu4}`,
    );
  } else {
    const state = await page.getByTestId('training-state').textContent();
    console.log(`no epoch reached validation BLEU-1 ${bleu1Goal} (${seconds(started)} from opening the page); the run: ${state}`);
  }
  if (errors.length) console.log(`page errors: ${errors.join(' | ')}`);
  await page.close();
} finally {
  await browser.close();
  await served.close();
}
