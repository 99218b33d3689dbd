/**
 * The page's backend on its default (auto), in headless Chromium whose only WebGPU adapter is SwiftShader, a
 * software emulation: the page starts on wasm and says why; before extraction and before training a
 * calibration measures both backends on the actual work, shows both figures and uses wasm; the run's replica
 * worker starts the calibrated backend. Choosing WebGPU in the setting takes effect at once (the header, the
 * next run's worker), survives a reload of the tab, and the backbone and the held model still caption after
 * the switch (tfjs moves their tensors to the new backend).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from 'fast-png';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumMissing, openPage, screenshot, useStudioApp, tab, setNumber } from './harness/index.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { HANG_BOUND_MS } from '../hangBound.ts';

const app = useStudioApp();



interface Figure {
  backend: string;
  label: string;
  software: boolean;
  perSecond: number | null;
}

/** The calibration shown for `kind` once it has run: its line, chosen backend and figures. */
async function calibration(page: Page, kind: 'extraction' | 'training'): Promise<{ line: string; chosen: string; figures: Figure[] }> {
  const shown = page.getByTestId(`backend-calibration-${kind}`);
  await expect.poll(() => shown.getAttribute('data-chosen'), { timeout: HANG_BOUND_MS }).not.toBe('');
  return {
    line: (await shown.textContent()) ?? '',
    chosen: (await shown.getAttribute('data-chosen')) ?? '',
    figures: JSON.parse((await shown.getAttribute('data-figures')) ?? '[]') as Figure[],
  };
}

/**
 * What auto must pick: the fastest measured backend that is not a software GPU. Which of wasm and cpu wins is
 * the machine's business (under two busy loops cpu once measured faster than wasm); that SwiftShader is never
 * picked is the studio's.
 */
function fastestNotSoftware(figures: Figure[]): string {
  const eligible = figures.filter((f) => !f.software && f.perSecond !== null);
  return eligible.reduce((best, f) => ((f.perSecond ?? 0) > (best.perSecond ?? 0) ? f : best)).backend;
}

function expectBothMeasured(figures: Figure[], unit: string, line: string, chosen: string): void {
  const wasm = figures.find((f) => f.backend === 'wasm');
  const webgpu = figures.find((f) => f.backend === 'webgpu');
  expect(wasm?.perSecond).toBeGreaterThan(0);
  expect(webgpu?.software).toBe(true);
  expect(webgpu?.label).toMatch(/swiftshader.*software/i);
  expect(webgpu?.perSecond).toBeGreaterThan(0);
  expect(line).toMatch(new RegExp(`wasm \\d[\\d.]* ${unit.replace('/', '\\/')}`));
  expect(line).toMatch(/webgpu \(.*swiftshader.*, software\) \d/i);
  expect(chosen).not.toBe('webgpu');
  expect(line).toContain(`: using ${chosen}`);
}

function redCircle(): Uint8Array {
  const size = 64;
  const data = new Uint8Array(size * size * 4);
  for (let i = 0; i < size * size; i++) {
    const inside = ((i % size) - 32) ** 2 + (Math.floor(i / size) - 32) ** 2 < 300;
    data.set(inside ? [220, 30, 30, 255] : [240, 240, 240, 255], i * 4);
  }
  return encode({ width: size, height: size, data, channels: 4 });
}

describe.skipIf(skipUnlessPresent(chromiumMissing, 'Chromium'))('backend auto in Chromium (SwiftShader WebGPU vs wasm)', () => {
  it('calibrates before extraction and training, uses wasm over SwiftShader, and the WebGPU override takes effect', async () => {
    // No ?backend: the page's default. 40 demo images and a tiny caption model keep SwiftShader's steps short.
    const { page, errors } = await openPage(app.browser, `${app.served.url}?units=16&demoImages=40`);
    await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor({ timeout: HANG_BOUND_MS });
    const badge = page.getByTestId('backend-badge');
    await expect.poll(() => badge.getAttribute('data-backend'), { timeout: HANG_BOUND_MS }).toBe('wasm');
    expect(await page.getByTestId('backend-why').textContent()).toMatch(/start of auto: WebGPU here is .*swiftshader.*software emulation/i);

    await tab(page, 'Features');
    expect(await page.getByTestId('backend-setting-extraction').getAttribute('data-preference')).toBe('auto');
    // The demo CNN, the page's default for the demo: a few layers, where MobileNet's many each cost SwiftShader a
    // shader compile in the calibration and again when the Playground captions on WebGPU.
    expect(await page.getByRole('radio', { name: /Demo CNN/ }).isChecked()).toBe(true);
    await page.getByTestId('extract-start').click();
    await page.locator('[data-testid=features-status][data-status=done]').waitFor({ timeout: HANG_BOUND_MS });
    const extraction = await calibration(page, 'extraction');
    console.log(`[backend auto] extraction: ${extraction.line}`);
    expect(extraction.chosen).toBe(fastestNotSoftware(extraction.figures));
    expectBothMeasured(extraction.figures, 'images/s', extraction.line, extraction.chosen);
    expect(await page.getByTestId('backend-why').textContent()).toContain('the faster in the calibration before extraction');
    await screenshot(page, 'backend-auto-1-extraction.png');

    await tab(page, 'Training');
    await setNumber(page, 'Epochs', 1);
    await setNumber(page, 'Batch size', 16);
    await setNumber(page, 'BLEU sample', 0);
    await page.getByTestId('train-start').click();
    const training = await calibration(page, 'training');
    await page.locator('[data-testid=training-state][data-state=finished]').waitFor({ timeout: HANG_BOUND_MS });
    console.log(`[backend auto] training: ${training.line}`);
    expect(training.chosen).toBe(fastestNotSoftware(training.figures));
    expectBothMeasured(training.figures, 'tokens/s', training.line, training.chosen);
    // The replica worker started the calibrated backend.
    expect(await page.getByTestId('training-backend').textContent()).toContain(`1 replica in a worker (${training.chosen})`);
    await screenshot(page, 'backend-auto-2-training.png');

    // The override: WebGPU, named. The header says so at once; no calibration runs for the next run.
    await page.getByTestId('backend-setting-training').getByRole('radio', { name: 'WebGPU', exact: true }).check();
    await expect.poll(() => badge.getAttribute('data-backend'), { timeout: HANG_BOUND_MS }).toBe('webgpu');
    expect(await page.getByTestId('backend-why').textContent()).toContain('webgpu is chosen in the backend setting');
    expect(await page.getByTestId('backend-calibration-training').textContent()).toContain('No calibration (webgpu chosen in this setting)');
    // The backbone (its weights moved to wasm by the extraction) and the held model (trained, loaded on wasm)
    // caption an image on WebGPU now.
    const dir = await mkdtemp(join(tmpdir(), 'backend-auto-'));
    const imagePath = join(dir, 'red-circle.png');
    await writeFile(imagePath, redCircle());
    await tab(page, 'Playground');
    console.log('[backend auto] captioning on WebGPU after the switch');
    await page.getByTestId('playground-input').setInputFiles(imagePath);
    await page.locator('[data-testid=playground-item][data-status=done]').first().waitFor({ timeout: HANG_BOUND_MS });
    expect(((await page.getByTestId('playground-caption').first().textContent()) ?? '').trim().length).toBeGreaterThan(0);
    await rm(dir, { recursive: true, force: true });
    console.log('[backend auto] a run on WebGPU');
    // The next run's replica starts WebGPU.
    await tab(page, 'Training');
    await page.getByTestId('train-start').click();
    await page.locator('[data-testid=training-state][data-state=finished]').waitFor({ timeout: HANG_BOUND_MS });
    expect(await page.getByTestId('training-backend').textContent()).toContain('1 replica in a worker (webgpu)');
    await screenshot(page, 'backend-auto-3-webgpu-chosen.png');

    // The choice is kept for the tab: a reload starts on WebGPU, from the setting.
    await page.reload();
    await expect.poll(() => badge.getAttribute('data-backend'), { timeout: HANG_BOUND_MS }).toBe('webgpu');
    await tab(page, 'Training');
    expect(await page.getByTestId('backend-setting-training').getAttribute('data-preference')).toBe('webgpu');
    expect(await page.getByTestId('backend-setting-training').getAttribute('data-from')).toBe('setting');
    expect(errors).toEqual([]);
    await page.close();
  });
});
