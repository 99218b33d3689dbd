/**
 * The precision and kernel knobs on the page's own WebGPU in Chromium (built app, `vite preview`, SwiftShader:
 * no shader-f16): f16 refused with the reason, a run on the fused f32 kernels, then one on stock ops beside it
 * in the run table. Screenshots go to test-results/studio-webgpu-*.png.
 */
import type { Browser } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { chromiumMissing, openPage, screenshot, setNumber, tab, useStudioApp, useBackend } from './harness/index.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { HANG_BOUND_MS } from '../hangBound.ts';

const app = useStudioApp();

async function precisionOnWebGpu(browser: Browser, baseUrl: string): Promise<{ errors: string[] }> {
  // 40 demo images: extraction and training on SwiftShader's emulated WebGPU take seconds, not minutes.
  // `backend=webgpu`: named, since auto never picks a software adapter by itself (tests/e2e/backendAuto.test.ts).
  const { page, errors } = await openPage(browser, `${baseUrl}?units=16&demoImages=40&backend=webgpu`);
  await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor({ timeout: HANG_BOUND_MS });
  expect(await page.getByTestId('key-numbers').textContent()).toContain('40images');
  await tab(page, 'Training');
  const settings = page.getByTestId('training-settings');
  const mixed = page.getByRole('radio', { name: /mixed float16/ });
  // The page picks its backend at start; the reason appears once the adapter is known.
  await expect.poll(async () => (await settings.textContent()) ?? '', { timeout: HANG_BOUND_MS }).toContain('lacks the shader-f16 feature');
  expect(await mixed.isDisabled()).toBe(true);
  expect(await page.getByRole('radio', { name: 'float32', exact: true }).isChecked()).toBe(true);
  // The page's adapter, named as a software one, with its features and limits one click away.
  const gpu = page.getByTestId('page-gpu');
  expect(await gpu.getAttribute('data-backend')).toBe('webgpu');
  expect(await gpu.getAttribute('data-shader-f16')).toBe('false');
  expect(await gpu.locator('summary').textContent()).toMatch(/swiftshader.*CPU emulation/);
  await gpu.locator('summary').click();
  expect(await gpu.textContent()).toContain('maxStorageBufferBindingSize');
  expect(await page.getByLabel('Initial loss scale', { exact: true }).inputValue()).toBe('32768');
  expect(await page.getByLabel('Initial loss scale', { exact: true }).isDisabled()).toBe(true);
  expect(await page.getByLabel('Loss scale growth steps', { exact: true }).inputValue()).toBe('2000');
  // Replica workers install the kernels too: the box is offered for the default placement (a worker).
  expect(await page.getByRole('radio', { name: 'A worker', exact: true }).isChecked()).toBe(true);
  const fused = page.getByLabel('Fused kernels', { exact: true });
  expect(await fused.isDisabled()).toBe(false);
  expect(await fused.isChecked()).toBe(true);
  await screenshot(page, 'studio-webgpu-1-precision.png');

  // The demo CNN with its built-in weights (the page's default for the demo), extracted on wasm through the
  // Backend setting, then WebGPU named again for the runs: each pipeline costs SwiftShader seconds to compile,
  // and the extraction's are not what this test is about.
  await tab(page, 'Features');
  expect(await page.getByRole('radio', { name: /Demo CNN/ }).isChecked()).toBe(true);
  await useBackend(page, 'wasm');
  await page.getByTestId('extract-start').click();
  await page.locator('[data-testid=features-status][data-status=done]').waitFor({ timeout: HANG_BOUND_MS });
  await tab(page, 'Training');
  await useBackend(page, 'webgpu');
  await setNumber(page, 'Epochs', 1);
  await setNumber(page, 'Batch size', 64);
  // No BLEU decoding: greedy decoding runs stock ops, each a shader SwiftShader compiles slowly.
  await setNumber(page, 'BLEU sample', 0);
  await page.getByTestId('train-start').click();
  await page.locator('[data-testid=training-state][data-state=finished]').waitFor({ timeout: HANG_BOUND_MS });
  const backend = (await page.getByTestId('training-backend').textContent()) ?? '';
  expect(backend).toContain('Backend: webgpu');
  expect(backend).toContain('1 replica in a worker (webgpu)');
  expect(await page.getByTestId('training-precision').textContent()).toBe('float32');
  expect(await page.getByTestId('training-kernels').textContent()).toBe('fused WGSL f32');
  expect(await page.getByTestId('kernel-fallback').count()).toBe(0);
  expect(await page.getByTestId('chart-loss-scale').textContent()).toContain('Only used with mixed float16 precision.');
  await screenshot(page, 'studio-webgpu-2-trained.png');

  // Switch one knob and measure again: stock tfjs ops; both runs side by side.
  await page.getByLabel('Fused kernels', { exact: true }).uncheck();
  await page.getByTestId('train-start').click();
  await page.locator('[data-testid=training-state][data-state=finished]').waitFor({ timeout: HANG_BOUND_MS });
  expect(await page.getByTestId('training-kernels').textContent()).toBe('stock tfjs ops');
  const history = page.getByTestId('run-history');
  expect(await history.getAttribute('data-runs')).toBe('2');
  expect(await history.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-kernels')))).toEqual(['fused WGSL f32', 'stock tfjs ops']);
  // As the table shows it: '–' for a run of one step (the median leaves the first step out).
  const speeds = await history.locator('tbody tr td:nth-child(9)').allTextContents();
  console.log(`[studio webgpu] median tokens/s on SwiftShader: fused f32 ${speeds[0]}, stock ops ${speeds[1]}`);
  await screenshot(page, 'studio-webgpu-3-compared.png');
  await page.close();
  return { errors };
}

describe.skipIf(skipUnlessPresent(chromiumMissing, 'Chromium'))('precision and kernels on the page\'s WebGPU in Chromium', () => {
  it('precision and kernels on the page\'s WebGPU (SwiftShader, no shader-f16): f16 refused with the reason, fused f32 run', async () => {
    const { errors } = await precisionOnWebGpu(app.browser, app.served.url);
    expect(errors).toEqual([]);
  });
});
