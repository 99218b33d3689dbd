/**
 * The fused f32 WGSL kernels in headless Chromium (SwiftShader WebGPU, no shader-f16): a standalone page
 * (tests/e2e/gpuKernels) trains a tiny LSTM → Dense model 3 steps in the page and in a module worker, then a
 * tiny caption model through the real model code (chooseModelKernels + CaptionReplicaModel), and each must
 * match the stock-op losses (cpu backend, same page) with no WebGPU validation error.
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CheckResult } from './gpuKernels/check';
import { captionSteps } from './gpuKernels/captionRun';
import { chromiumMissing, closePages, openPage, repoRoot, testBrowser } from './harness/index.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { HANG_BOUND_MS } from '../hangBound.ts';

const root = join(repoRoot, 'tests', 'e2e', 'gpuKernels');
const outDir = join(repoRoot, '.cache', 'e2e-gpu-kernels-dist');
let server: PreviewServer;
let browser: Browser;

beforeAll(async () => {
  if (chromiumMissing) return;
  await build({ root, configFile: false, logLevel: 'warn', worker: { format: 'es' }, build: { outDir, emptyOutDir: true } });
  server = await preview({ root, configFile: false, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0 } });
  browser = await testBrowser();
});

afterAll(async () => {
  if (browser) await closePages(browser);
  await server?.close();
});

describe.skipIf(skipUnlessPresent(chromiumMissing, 'Chromium'))('fused WebGPU kernels in Chromium', () => {
  it('train a tiny model in a page and a worker with the same losses as stock ops, without validation errors', async () => {
    const url = server.resolvedUrls?.local[0];
    expect(url).toBeTruthy();
    const { page, errors } = await openPage(browser, url!);
    await page.waitForFunction(() => (window as { gpuCheck?: unknown }).gpuCheck != null, undefined, { timeout: HANG_BOUND_MS });
    const results = (await page.evaluate(() => (window as unknown as { gpuCheck: unknown }).gpuCheck)) as Record<string, CheckResult>;
    for (const result of Object.values(results)) {
      expect(result.error, `${result.where}: ${result.error}`).toBeUndefined();
      expect(result.gpuErrors, result.where).toEqual([]);
      expect(result.fusedLosses).toHaveLength(3);
      result.fusedLosses.forEach((loss, i) => expect(loss).toBeCloseTo(result.stockLosses[i], 4));
      // Training moved: the losses are not all equal.
      expect(new Set(result.fusedLosses.map((l) => l.toFixed(6))).size).toBeGreaterThan(1);
      // The caption model: asked for mixed_float16 on an adapter without shader-f16, it trains in f32 fused
      // kernels, says why, and gives the stock ops' losses.
      expect(result.shaderF16, result.where).toBe(false);
      expect(result.captionChoice, result.where).toEqual({
        precision: 'float32',
        kernels: 'fused WGSL f32',
        fallbackReason: 'this WebGPU adapter does not offer shader-f16; running float32',
      });
      expect(result.captionFusedLosses).toHaveLength(captionSteps);
      result.captionFusedLosses.forEach((loss, i) => expect(loss).toBeCloseTo(result.captionStockLosses[i], 4));
      expect(result.captionFusedLosses[captionSteps - 1]).toBeLessThan(result.captionFusedLosses[0]);
    }
    console.log(`Chromium adapter: ${results.page.adapter}; page losses ${results.page.fusedLosses.join(', ')}`);
    console.log(`caption model, fused f32 (page): ${results.page.captionFusedLosses.join(', ')}; stock ops (cpu): ${results.page.captionStockLosses.join(', ')}`);
    expect(errors).toEqual([]);
  });
});
