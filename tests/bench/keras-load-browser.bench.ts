/**
 * The 528 MB VGG16 .h5 loaded in the page (built app, headless Debian Chromium), not a test:
 *   /usr/bin/python3 tests/fixtures/make_keras_files.py --vgg16-full /tmp/vgg16_full.h5
 *   npx tsx tests/bench/keras-load-browser.bench.ts --weights /tmp/vgg16_full.h5
 *   npx tsx tests/bench/keras-load-browser.bench.ts --weights /tmp/vgg16_full_tfjs   (the same weights, tfjs folder)
 * Picks the file in the Features panel (VGG16, Keras .h5), starts an extraction on the demo dataset and
 * measures the time until the network is loaded (the status leaves "loading-weights"), then aborts. Memory:
 * the summed RSS of the browser's processes (page, its Keras worker, GPU and utility processes), sampled
 * every 100 ms, before the pick and at its highest during the load.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { buildApp, CHROMIUM_ARGS, CHROMIUM_PATH, serveApp } from '../e2e/harness/index.ts';

const { values } = parseArgs({ options: { weights: { type: 'string' } } });
if (!values.weights) throw new Error('--weights <vgg16 .h5> is required');

/** RSS in bytes of a process and all its descendants. */
async function treeRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  let total = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
  for (const task of await readdir(`/proc/${pid}/task`).catch(() => [] as string[])) {
    const children = (await readFile(`/proc/${pid}/task/${task}/children`, 'utf8').catch(() => '')).trim();
    for (const child of children ? children.split(/\s+/).map(Number) : []) total += await treeRss(child);
  }
  return total;
}

const served = await serveApp(await buildApp());
const server = await chromium.launchServer({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
const browserPid = server.process().pid!;
const browser = await chromium.connect(server.wsEndpoint());
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
try {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${served.url}?backend=wasm`);
  await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor({ timeout: 5 * 60_000 });
  await page.getByRole('tab', { name: /^Features/ }).click();
  await page.getByRole('radio', { name: /VGG16/ }).check();
  await page.getByRole('radio', { name: /Keras \.h5 file/ }).check();
  const isFolder = (await stat(values.weights)).isDirectory();
  const picked = isFolder ? (await readdir(values.weights)).map((name) => join(values.weights!, name)) : values.weights;
  await page.getByLabel('Weight files').setInputFiles(picked);
  const before = await treeRss(browserPid);
  let peak = before;
  const sampler = setInterval(() => void treeRss(browserPid).then((rss) => (peak = Math.max(peak, rss))), 100);
  const startMs = performance.now();
  await page.getByTestId('extract-start').click();
  await page.waitForFunction(
    () => {
      const status = document.querySelector('[data-testid=features-status]')?.getAttribute('data-status');
      return status !== 'loading-weights' && status !== 'idle';
    },
    undefined,
    { timeout: 30 * 60_000, polling: 200 },
  );
  const loadMs = performance.now() - startMs;
  clearInterval(sampler);
  const status = await page.getByTestId('features-status').getAttribute('data-status');
  const loaded = await treeRss(browserPid);
  const weights = await page.getByTestId('features-weights').textContent().catch(() => null);
  const error = await page.getByTestId('features-error').textContent({ timeout: 1000 }).catch(() => null);
  await page.getByTestId('extract-abort').click().catch(() => undefined);
  console.log(`${values.weights} in the page (tfjs wasm): status ${status} after ${(loadMs / 1000).toFixed(1)} s${error ? `; error: ${error}` : ''}${weights ? `; ${weights}` : ''}`);
  console.log(`browser processes' RSS: ${mib(before)} before, peak during load ${mib(peak)}, once loaded ${mib(loaded)}`);
  if (errors.length) console.log(`page errors: ${errors.join(' | ')}`);
} finally {
  await browser.close();
  await server.close();
  await served.close();
}
process.exit(0);
