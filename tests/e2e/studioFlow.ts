/**
 * The new user's path through every panel, shared by the browser tests. With `defaults` (the first hour):
 * every setting as the page has it (the demo CNN with its built-in weights, the notebook-sized caption model,
 * the Training panel's defaults) except the epochs, reduced through the visible setting; the run must reach
 * the BLEU floor and the playground must caption new demo pictures right. The other variants
 * (training on the page's thread, 2 mirrored replicas) test mechanics: `?units=16` (a tiny caption model),
 * 3 epochs. With `throughTraining` the path ends once the run's Training panel is checked: what follows
 * (evaluation, playground, export, reload, import) is the same code whoever trained the model.
 * `?backend=wasm` everywhere: SwiftShader's WebGPU needs minutes per first step (../shared/WEBGPU.md).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { generateDemoDataset, generateDemoScenes } from '../../src/core/data/demo.ts';
import { openPage, PAUSED_AT_REST, pauseIfRunning, screenshot, setNumber, tab } from './harness/index.ts';
import { HANG_BOUND_MS } from '../hangBound.ts';


function testPng(): Uint8Array {
  const size = 64;
  const data = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    const x = i % size;
    const y = Math.floor(i / size);
    const inside = (x - 32) ** 2 + (y - 32) ** 2 < 300;
    data.set(inside ? [220, 30, 30, 255] : [240, 240, 240, 255], i * 4);
  }
  return encode({ width: size, height: size, data, channels: 4 });
}



export async function newUserPath(
  browser: Browser,
  baseUrl: string,
  options: { replicas: number; tag: string; placement?: 'worker' | 'page'; defaults?: boolean; throughTraining?: boolean },
): Promise<{ errors: string[] }> {
  // The tiny model needs the whole demo to say a word after 3 epochs (with 80 pictures its caption was empty).
  // The defaults keep the demo as a new user gets it.
  const url = options.defaults ? `${baseUrl}?backend=wasm` : `${baseUrl}?backend=wasm&units=16`;
  const { page, errors } = await openPage(browser, url);
  const shot = (name: string) => screenshot(page, `studio-${options.tag}-${name}.png`);

  // Dataset: the demo loads by itself; its statistics are drawn.
  await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor({ timeout: HANG_BOUND_MS });
  await page.locator('[data-testid^=chart-] svg.recharts-surface path').first().waitFor({ timeout: HANG_BOUND_MS });
  await shot('1-dataset');

  // Features: the demo CNN with its built-in weights, the page's default for the demo (MobileNet with random
  // weights, labelled as such, is weightsDownload.test.ts's; here it cost a MobileNet pass over every picture).
  await tab(page, 'Features');
  expect(await page.getByRole('radio', { name: /Demo CNN/ }).isChecked()).toBe(true);
  expect(await page.getByRole('radio', { name: /built in/ }).isChecked()).toBe(true);
  await page.getByTestId('extract-start').click();
  await page.locator('[data-testid=features-status][data-status=done]').waitFor({ timeout: HANG_BOUND_MS });
  expect(await page.getByTestId('features-weights').textContent()).toContain('built in');
  await shot('2-features');

  // Training: on the defaults, only fewer epochs (the visible setting; the data's defaults are said); else a
  // small configuration. The loss chart gains points and falls.
  await tab(page, 'Training');
  const epochs = options.defaults ? FIRST_HOUR_EPOCHS : 3;
  await setNumber(page, 'Epochs', epochs);
  if (options.defaults) {
    expect(await page.getByTestId('training-defaults-basis').textContent()).toContain('defaults for 210 training images and 39 numbers per image');
    expect(await page.getByLabel('Batch size', { exact: true }).inputValue()).toBe('16');
  } else {
    await setNumber(page, 'Batch size', 32);
    await setNumber(page, 'Learning rate', 0.01);
  }
  await setNumber(page, 'Replicas', options.replicas);
  // `?backend=wasm`: mixed float16 is offered, disabled, with the reason.
  expect(await page.getByRole('radio', { name: /mixed float16/ }).isDisabled()).toBe(true);
  expect(await page.getByTestId('training-settings').textContent()).toContain('needs WebGPU with shader-f16; this page runs on wasm');
  if (options.placement === 'page') await page.getByRole('radio', { name: 'This page', exact: true }).check();
  // The page is cross-origin isolated, so the ring all-reduce over SharedArrayBuffer is available.
  if (options.replicas > 1) await page.getByRole('radio', { name: /Ring/ }).check();
  // Long tasks (main-thread work over 50 ms) while training: reported, not asserted (times vary by machine).
  await page.evaluate(() => {
    const w = window as unknown as { __longTasksMs: number[] };
    w.__longTasksMs = [];
    new PerformanceObserver((list) => list.getEntries().forEach((e) => w.__longTasksMs.push(e.duration))).observe({ type: 'longtask', buffered: false });
  });
  await page.getByTestId('train-start').click();
  const lossChart = page.getByTestId('chart-step-loss');
  // While the run goes (held by a pause at once, so the page can be read before it ends): the settings are
  // folded away, the live charts are in view, the header names the backend in use.
  // A tiny run on the page's own thread can end before a poll of the page sees it going: waiting for
  // 'running' alone then waited for the hang bound. Whichever state comes first decides what is checked.
  const state = page.locator('[data-testid=training-state]');
  await page.locator('[data-testid=training-state]:is([data-state=running], [data-state=finished], [data-state=failed])').waitFor({ timeout: HANG_BOUND_MS });
  if ((await state.getAttribute('data-state')) === 'failed') throw new Error(`the run failed: ${await page.getByTestId('training-error').textContent().catch(() => '')}`);
  let early = 0;
  if ((await state.getAttribute('data-state')) === 'running' && (await pauseIfRunning(page))) {
    // At rest or finished: a pause in the run's last step never rests (the run ends), and reading the chart
    // before the run rests could count a step it was still taking.
    await page.locator(`${PAUSED_AT_REST}, [data-testid=training-state][data-state=finished]`).waitFor({ timeout: HANG_BOUND_MS });
  }
  if ((await state.getAttribute('data-state')) === 'paused') {
    expect(await page.getByTestId('settings-fold').evaluate((d: HTMLDetailsElement) => d.open)).toBe(false);
    await page.evaluate(() => window.scrollTo(0, 0));
    expect((await lossChart.boundingBox())?.y ?? Infinity).toBeLessThan(page.viewportSize()!.height);
    expect(await page.getByTestId('backend-badge').getAttribute('data-backend')).toBe('wasm');
    await shot('3-training-paused');
    // Steps on the chart while paused: a pause holds the run, so the count is read at a known point (reading it
    // after the resume raced the run's end on a quiet machine).
    early = Number(await lossChart.getAttribute('data-points'));
    await page.getByTestId('train-resume').click();
  } else {
    console.log(`[studio ${options.tag}] the run ended before the page was seen running: the paused view is not checked`);
  }
  await page.locator('[data-testid=training-state][data-state=finished]').waitFor({ timeout: HANG_BOUND_MS });
  const longTasksMs = await page.evaluate(() => (window as unknown as { __longTasksMs: number[] }).__longTasksMs);
  console.log(`[studio ${options.tag}] long tasks while training: ${longTasksMs.length}, longest ${Math.round(Math.max(0, ...longTasksMs))} ms`);
  const points = Number(await lossChart.getAttribute('data-points'));
  expect(points).toBeGreaterThan(early);
  const first = Number(await lossChart.getAttribute('data-first'));
  const last = Number(await lossChart.getAttribute('data-last'));
  expect(last).toBeLessThan(first);
  expect(Number(await page.getByTestId('chart-epoch-loss').getAttribute('data-points'))).toBe(epochs);
  // Four fixed test pictures with the captions of the last epoch, the earlier ones folded.
  expect(await page.getByTestId('epoch-samples').getAttribute('data-epoch')).toBe(String(epochs));
  expect(await page.getByTestId('epoch-sample').count()).toBe(4);
  await page.locator('[data-testid=epoch-sample] img').first().waitFor({ timeout: HANG_BOUND_MS });
  await page.locator('[data-testid=chart-step-loss] svg.recharts-surface path.recharts-curve').first().waitFor();
  // Time per epoch from the run's own epochs; the settings open again once it ended.
  expect(Number(await page.getByTestId('run-progress').getAttribute('data-epoch-ms'))).toBeGreaterThan(0);
  expect(await page.getByTestId('settings-fold').evaluate((d: HTMLDetailsElement) => d.open)).toBe(true);
  if (options.replicas > 1) {
    expect(Number(await page.getByTestId('chart-gantt').getAttribute('data-replicas'))).toBe(options.replicas);
    const group = (await page.getByTestId('training-backend').textContent()) ?? '';
    expect(group).toContain(`${options.replicas} replicas`);
    expect(group).toContain('all-reduce: ring');
    expect(group).toContain('weights identical');
    // Why 2 replicas are as fast as they are: compute, all-reduce and idle per step, in the timeline and in
    // the run's row of the run table, as numbers, each header with a tooltip saying what it means.
    const perStep = page.getByTestId('step-breakdown');
    for (const key of ['data-compute-ms', 'data-allreduce-ms', 'data-idle-ms']) {
      const ms = await perStep.getAttribute(key);
      expect(ms, key).not.toBe('');
      expect(Number(ms), key).toBeGreaterThanOrEqual(0);
    }
    expect(Number(await perStep.getAttribute('data-compute-ms'))).toBeGreaterThan(0);
    const history = page.getByTestId('run-history');
    for (const header of ['Compute ms', 'All-reduce ms', 'Idle ms'])
      expect((await history.locator('th', { hasText: header }).getAttribute('title'))?.length ?? 0, header).toBeGreaterThan(20);
    const row = history.locator('tbody tr').last();
    for (const cell of ['history-compute-ms', 'history-allreduce-ms', 'history-idle-ms']) {
      const ms = await row.getByTestId(cell).getAttribute('data-ms');
      expect(ms, cell).not.toBe('');
      expect(Number.isFinite(Number(ms)), cell).toBe(true);
      expect(Number((await row.getByTestId(cell).textContent())?.trim()), cell).toBeGreaterThanOrEqual(0);
    }
    console.log(`[studio ${options.tag}] per step: ${await perStep.textContent()}`);
  }
  else {
    const backend = (await page.getByTestId('training-backend').textContent()) ?? '';
    expect(backend).toContain('Backend: wasm');
    if (options.placement !== 'page') expect(backend).toContain('1 replica in a worker');
    else {
      // The fused kernels are on by default; on wasm the run says it used stock ops instead, and why.
      expect(await page.getByTestId('training-kernels').textContent()).toBe('stock tfjs ops');
      expect(await page.getByTestId('kernel-fallback').textContent()).toContain('fused kernels need the webgpu backend');
      // Nobody asked for them here (the box is as the page had it): a plain line, not a notice.
      expect(await page.getByTestId('kernel-fallback').getAttribute('data-asked')).toBe('false');
    }
  }
  await shot('3-training');
  if (options.throughTraining) {
    await page.close();
    return { errors };
  }

  // Evaluation: BLEU in both protocols; on the defaults, the floor and the demo score.
  await tab(page, 'Evaluation');
  await page.getByTestId('eval-start').click();
  await page.locator('[data-testid=eval-status][data-status=done]').waitFor({ timeout: HANG_BOUND_MS });
  for (const protocol of ['kaggle', 'standard']) {
    const bleu1 = Number(await page.getByTestId(`chart-bleu-${protocol}`).getAttribute('data-bleu1'));
    expect(bleu1).toBeGreaterThanOrEqual(0);
    expect(bleu1).toBeLessThanOrEqual(1);
  }
  if (options.defaults) {
    const chart = page.getByTestId('chart-bleu-standard');
    const [bleu1, bleu4] = [Number(await chart.getAttribute('data-bleu1')), Number(await chart.getAttribute('data-bleu4'))];
    const demoScore = Number(await page.getByTestId('demo-score').getAttribute('data-share'));
    console.log(`[studio ${options.tag}] ${epochs} epochs: test BLEU-1 ${bleu1.toFixed(3)} BLEU-4 ${bleu4.toFixed(3)}, demo score ${(demoScore * 100).toFixed(1)}%`);
    expect(bleu1).toBeGreaterThanOrEqual(0.7);
    expect(bleu4).toBeGreaterThanOrEqual(0.35);
    expect(demoScore).toBeGreaterThanOrEqual(0.7);
  }
  await expect.poll(() => page.locator('[data-testid=eval-grid] li[data-score]').count()).toBeGreaterThan(0);
  await shot('4-evaluation');

  // Playground: pick an image, read its caption with the top words per step.
  const dir = await mkdtemp(join(tmpdir(), 'studio-e2e-'));
  const imagePath = join(dir, 'red-circle.png');
  await writeFile(imagePath, testPng());
  await tab(page, 'Playground');
  if (options.defaults) await captionsNewDemoPictures(page, dir);
  await page.getByTestId('playground-input').setInputFiles(imagePath);
  await page.locator('[data-testid=playground-item][data-status=done]').first().waitFor({ timeout: HANG_BOUND_MS });
  const caption = ((await page.getByTestId('playground-caption').first().textContent()) ?? '').trim();
  expect(caption.length).toBeGreaterThan(0);
  await expect.poll(() => page.locator('.sp-step').count()).toBeGreaterThan(0);
  // The per-step top words are folded, one click away.
  const steps = page.getByTestId('playground-steps').first();
  expect(await steps.evaluate((d: HTMLDetailsElement) => d.open)).toBe(false);
  await steps.locator('summary').click();
  expect(await steps.evaluate((d: HTMLDetailsElement) => d.open)).toBe(true);
  await shot('5-playground');

  // Model: export as one archive.
  await tab(page, 'Model');
  const downloadPromise = page.waitForEvent('download');
  await page.getByTestId('model-export').click();
  const download = await downloadPromise;
  const archivePath = join(dir, download.suggestedFilename());
  await download.saveAs(archivePath);
  const archive = await readFile(archivePath);
  expect(archive.subarray(0, 2).toString('latin1')).toBe('PK');
  await page.getByTestId('model-saved-run').waitFor({ timeout: HANG_BOUND_MS });
  expect(await page.getByTestId('model-weights').textContent()).toContain('lstm/recurrent_kernel');
  await shot('6-model');
  // The same run for PyTorch DDP: one zip of the run folder, train_ddp.py inside (src/engine/scaleOut).
  const runDownload = page.waitForEvent('download');
  await page.getByTestId('scale-out-export').click();
  const runZip = unzipSync(new Uint8Array(await readFile((await (await runDownload).path())!)));
  expect(Object.keys(runZip).some((name) => /^caption-run-[0-9a-f]{16}\/train_ddp\.py$/.test(name))).toBe(true);

  // Reload: the run's charts and its model come back; importing the archive gives the same caption.
  await page.reload();
  await tab(page, 'Model');
  try {
    await page.locator('[data-testid=model-info][data-source=trained]').waitFor({ timeout: HANG_BOUND_MS });
  } catch (error) {
    await shot('reload-failure');
    throw new Error(`the saved run did not come back after a reload: ${await page.locator('main').textContent()} / ${errors.join(' | ')}`, { cause: error });
  }
  await tab(page, 'Training');
  expect(Number(await page.getByTestId('chart-step-loss').getAttribute('data-points'))).toBe(points);
  // A finished run reads as finished; the run table and the evaluation are still there, the evaluation
  // current (same model, same demo drawn again); the cached features show as extracted.
  expect(await page.getByTestId('training-state').getAttribute('data-state')).toBe('finished');
  expect(Number(await page.getByTestId('run-history').getAttribute('data-runs'))).toBeGreaterThanOrEqual(1);
  await tab(page, 'Evaluation');
  await expect.poll(() => page.getByTestId('bleu-row-standard').getAttribute('data-current'), { timeout: HANG_BOUND_MS }).toBe('true');
  await tab(page, 'Features');
  await page.locator('[data-testid=features-status][data-status=done]').waitFor({ timeout: HANG_BOUND_MS });
  expect(await page.getByTestId('features-identity').textContent()).toContain('demo');
  await tab(page, 'Model');
  await page.getByTestId('model-import-input').setInputFiles(archivePath);
  await page.locator('[data-testid=model-info][data-source=archive]').waitFor({ timeout: HANG_BOUND_MS });
  await shot('7-model-imported');
  await tab(page, 'Playground');
  await page.getByTestId('playground-input').setInputFiles(imagePath);
  await page.locator('[data-testid=playground-item][data-status=done]').first().waitFor({ timeout: HANG_BOUND_MS });
  expect(((await page.getByTestId('playground-caption').first().textContent()) ?? '').trim()).toBe(caption);
  await shot('8-playground-after-reload');
  await page.close();
  await rm(dir, { recursive: true, force: true });
  return { errors };
}

/** Epochs of the first-hour run (the demo's default is 15; the test reduces them through the visible setting). */
const FIRST_HOUR_EPOCHS = 8;

/**
 * New pictures of a seed the run never saw: the model of shapes says so on the Playground, the captions differ
 * between pictures and name each object's colour right for most of them.
 */
async function captionsNewDemoPictures(page: Page, dir: string): Promise<void> {
  expect(await page.getByTestId('playground-scope').getAttribute('data-scope')).toBe('demo-shapes');
  const scenes = generateDemoScenes({ images: 6, seed: 9001 });
  const files = generateDemoDataset({ images: 6, seed: 9001 });
  const paths: string[] = [];
  for (const scene of scenes) {
    const path = join(dir, scene.name);
    await writeFile(path, files[`Images/${scene.name}`] as Uint8Array);
    paths.push(path);
  }
  await page.getByTestId('playground-input').setInputFiles(paths);
  await expect.poll(() => page.locator('[data-testid=playground-item][data-status=done]').count(), { timeout: HANG_BOUND_MS }).toBe(scenes.length);
  const captions = (await page.getByTestId('playground-caption').allTextContents()).map((c) => c.trim());
  const coloursRight = scenes.filter((scene, k) => scene.objects.every((o) => captions[k].split(/\s+/).includes(o.colour))).length;
  console.log(`[studio first hour] playground: ${coloursRight} of ${scenes.length} new pictures with every colour right: ${captions.join(' | ')}`);
  expect(new Set(captions).size).toBeGreaterThan(1);
  expect(coloursRight).toBeGreaterThan(scenes.length / 2);
  await page.getByRole('button', { name: 'Clear all' }).click();
}
