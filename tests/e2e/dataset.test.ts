/**
 * The Dataset panel in a real browser: the built app served by `vite preview`, opened in headless Debian
 * Chromium; the demo dataset loaded by a click and charted; a broken folder loaded through the folder input
 * and its problems listed, without a crash or a console error.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encode } from 'fast-png';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, openPage, repoRoot, screenshot, useStudioApp } from './harness/index.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { HANG_BOUND_MS } from '../hangBound.ts';

const flickr8k = resolve(repoRoot, '..', 'shared', 'datasets', 'flickr8k');
const hasFlickr8k = existsSync(join(flickr8k, 'captions.txt'));
if (!hasFlickr8k) console.warn(`skipping the real-data browser test: ${flickr8k} is absent`);

const app = useStudioApp();
let brokenDir: string;

function png(width: number, height: number): Uint8Array {
  return encode({ width, height, data: new Uint8Array(width * height * 4).fill(200), channels: 4 });
}

beforeAll(async () => {
  if (chromiumMissing) return;
  // A folder with one of each problem the panel must list, plus enough good rows to stay usable.
  brokenDir = await mkdtemp(join(tmpdir(), 'caption-studio-broken-'));
  await mkdir(join(brokenDir, 'Images'));
  await writeFile(join(brokenDir, 'Images', 'good1.png'), png(40, 30));
  await writeFile(join(brokenDir, 'Images', 'good2.png'), png(30, 40));
  await writeFile(join(brokenDir, 'Images', 'uncaptioned.png'), png(20, 20));
  await writeFile(join(brokenDir, 'Images', 'notimage.png'), 'this is text, not a picture');
  await writeFile(join(brokenDir, 'Images', 'empty.png'), new Uint8Array(0));
  await writeFile(
    join(brokenDir, 'captions.txt'),
    [
      'image,caption',
      'good1.png,a red circle above a blue square',
      'good1.png,a circle and a square',
      'good2.png,',
      'good2.png,a green triangle',
      'ghost.png,a caption for an image that is not there',
      'notimage.png,a caption for a text file',
      'empty.png,a caption for an empty file',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  if (brokenDir) await rm(brokenDir, { recursive: true, force: true });
});

describe.skipIf(skipUnlessPresent(chromiumMissing, 'Chromium'))('Dataset panel in Chromium', () => {
  it('loads the demo dataset by a click and draws its charts, cross-origin isolated, without errors', async () => {
    const { page, errors } = await openPage(app.browser, `${app.served.url}?empty`);
    const workerUrls: string[] = [];
    page.on('worker', (worker) => workerUrls.push(worker.url()));
    await expect.poll(() => page.getByTestId('dataset-status').getAttribute('data-status')).toBe('empty');
    await page.getByTestId('load-demo').click();
    await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor({ timeout: HANG_BOUND_MS });

    // Every chart card has drawn SVG paths (bars, lines or dots) inside a recharts surface.
    const cards = page.locator('[data-testid^=chart-]');
    await expect.poll(() => cards.count()).toBeGreaterThanOrEqual(6);
    for (const card of await cards.all()) {
      await card.locator('svg.recharts-surface path, svg.recharts-surface circle').first().waitFor({ timeout: HANG_BOUND_MS });
    }
    await expect.poll(() => page.locator('[data-testid=samples] img').count()).toBeGreaterThan(0);
    const firstImageLoaded = await page
      .locator('[data-testid=samples] img')
      .first()
      .evaluate((img: HTMLImageElement) => img.decode().then(() => img.naturalWidth > 0));
    expect(firstImageLoaded).toBe(true);

    // The demo was drawn in its module worker, not on the page's thread.
    expect(workerUrls.some((url) => url.includes('demo.worker'))).toBe(true);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await expect.poll(() => page.getByTestId('isolation-badge').textContent()).toBe('cross-origin isolated');
    expect(await page.getByTestId('dataset-format').textContent()).toContain('captions.txt');

    // Switching the protocol recomputes the statistics in place.
    await page.getByTestId('protocol-kaggle').check();
    await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor();
    await screenshot(page, 'dataset-demo.png');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lists the problems of a broken folder loaded through the folder input, and keeps working', async () => {
    const { page, errors } = await openPage(app.browser, `${app.served.url}?empty`);
    await page.getByTestId('folder-input').setInputFiles(brokenDir);
    await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor({ timeout: HANG_BOUND_MS });

    const rows = page.getByTestId('warning-row');
    await expect.poll(() => rows.count()).toBeGreaterThanOrEqual(4);
    const text = (await page.getByTestId('warnings').textContent()) ?? '';
    expect(text).toContain('captions.txt');
    expect(text).toContain('notimage.png');
    expect(text).toContain('empty.png');
    expect(text).toContain('ghost.png');
    expect(text).toContain('uncaptioned.png');
    // The caption-file problems carry their line: the empty caption of good2.png is on line 4.
    const lines = await rows.locator('td:nth-child(2)').allTextContents();
    expect(lines).toContain('4');

    await page.locator('[data-testid^=chart-] svg.recharts-surface path').first().waitFor({ timeout: HANG_BOUND_MS });
    await screenshot(page, 'dataset-broken.png');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('loads loose files dropped onto the page', async () => {
    const { page, errors } = await openPage(app.browser, `${app.served.url}?empty`);
    const files = [
      { name: 'captions.txt', base64: Buffer.from('image,caption\none.png,a grey square\ntwo.png,another grey square\n').toString('base64') },
      { name: 'one.png', base64: Buffer.from(png(16, 16)).toString('base64') },
      { name: 'two.png', base64: Buffer.from(png(24, 16)).toString('base64') },
    ];
    // A script-built DataTransfer has files but no directory entries: the panel takes them as a flat folder.
    const dataTransfer = await page.evaluateHandle((list) => {
      const transfer = new DataTransfer();
      for (const file of list) {
        const bytes = Uint8Array.from(atob(file.base64), (char) => char.charCodeAt(0));
        transfer.items.add(new File([bytes], file.name));
      }
      return transfer;
    }, files);
    await page.locator('.drop-zone').dispatchEvent('drop', { dataTransfer });
    await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor({ timeout: HANG_BOUND_MS });
    expect(await page.getByTestId('key-numbers').textContent()).toContain('2images');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('switches panels with the keyboard (arrow keys on the tabs)', async () => {
    const { page, errors } = await openPage(app.browser, `${app.served.url}?empty`);
    await page.getByRole('tab', { name: 'Dataset' }).focus();
    await page.keyboard.press('ArrowRight');
    const features = page.getByRole('tab', { name: /Features/ });
    await expect.poll(() => features.getAttribute('aria-selected')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('tab-features');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(() => page.getByRole('tab', { name: 'Dataset' }).getAttribute('aria-selected')).toBe('true');
    await page.getByTestId('load-demo').waitFor();
    expect(errors).toEqual([]);
    await page.close();
  });

  it.skipIf(skipUnlessPresent(hasFlickr8k ? '' : `${flickr8k}/captions.txt is absent`, '../shared Flickr8K'))('loads the real Flickr8K folder (../shared/datasets/flickr8k) through the folder input', async () => {
    const { page, errors } = await openPage(app.browser, `${app.served.url}?empty`);
    await page.getByTestId('folder-input').setInputFiles(flickr8k);
    await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor({ timeout: HANG_BOUND_MS });
    const numbers = (await page.getByTestId('key-numbers').textContent()) ?? '';
    expect(numbers).toContain('8,000images'); // standard protocol: the official 6000/1000/1000 split
    // Up front: all 100 images present are in the standard test split.
    expect(await page.getByTestId('split-notice-train').textContent()).toBe(
      'standard: all 100 images are in the test split: nothing to train on; use kaggle, or add Flickr_8k.trainImages.txt images',
    );
    // The 7,991 absent images are one line with examples, opened to list each; the count is of every warning.
    const missing = page.locator('[data-testid=warning-row][data-code=image-missing]');
    expect(await missing.count()).toBe(1);
    expect(await missing.getAttribute('data-count')).toBe('7991');
    expect(await missing.textContent()).toMatch(/^captions\.txt7,991 images named in captions\.txt are not in the folder.*1000268201_693b08cb0e\.jpg/);
    await missing.getByTestId('warning-group-toggle').click();
    expect(await missing.getByTestId('warning-detail-row').count()).toBe(25);
    expect(await missing.getByTestId('warning-detail-row').first().locator('td').nth(1).textContent()).toBe('2');
    await screenshot(page, 'dataset-flickr8k-warnings.png');
    await page.getByTestId('protocol-kaggle').check();
    await expect.poll(() => page.getByTestId('key-numbers').textContent()).toContain('8,091images');
    expect(await page.getByTestId('split-notice-test').textContent()).toContain('kaggle: all 100 images are in the train split: no test images in this folder under this protocol');
    expect(await page.getByTestId('key-numbers').textContent()).toContain('35max length');
    await expect.poll(() => page.locator('[data-testid=samples] img').count()).toBeGreaterThan(0);
    await screenshot(page, 'dataset-flickr8k.png');
    expect(errors).toEqual([]);
    await page.close();
  });
});
