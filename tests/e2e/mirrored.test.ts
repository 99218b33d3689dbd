/**
 * Mirrored training in headless Chromium with real module Web Workers: the test page
 * (tests/e2e/mirrored/) trains the toy model with 1 replica and with 2 replicas, and the losses agree.
 * Ring all-reduce over SharedArrayBuffer (the preview server sends COOP/COEP, so the page is cross-origin
 * isolated) on the wasm backend, the postMessage all-reduce, and once with every replica on its own WebGPU
 * device (SwiftShader here: slow shader compiles, so a tiny model and two steps).
 */
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, closePages, openPage, repoRoot, serveApp, testBrowser, type Served } from './harness/index.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { HANG_BOUND_MS } from '../hangBound.ts';

const outDir = join(repoRoot, '.cache', 'e2e-mirrored');
let served: Served;
let browser: Browser;

interface PageResult {
  crossOriginIsolated: boolean;
  singleState: string;
  mirroredState: string;
  singleLosses: number[];
  mirroredLosses: number[];
  checksums: { identical: boolean; checksums: string[] }[];
  setup: { replicas: number; allReduce: string; backend: string; fallbackReason?: string };
  backendChosen: { backend: string; adapter?: string };
  failures: unknown[];
  error?: string;
}


beforeAll(async () => {
  if (chromiumMissing) return;
  await build({
    root: repoRoot,
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, rollupOptions: { input: join(repoRoot, 'tests/e2e/mirrored/index.html') } },
  });
  served = await serveApp(outDir);
  browser = await testBrowser();
});

afterAll(async () => {
  if (browser) await closePages(browser);
  await served?.close();
});

async function runPage(query: string): Promise<{ result: PageResult; errors: string[] }> {
  const { page, errors } = await openPage(browser, `${served.url}tests/e2e/mirrored/index.html?${query}`);
  await page.waitForFunction(() => 'mirroredResult' in window, undefined, { timeout: HANG_BOUND_MS });
  const result = (await page.evaluate(() => (window as unknown as { mirroredResult: unknown }).mirroredResult)) as PageResult;
  await page.close();
  return { result, errors };
}

function expectEquivalent(result: PageResult, replicas: number): void {
  expect(result.error).toBeUndefined();
  expect(result.failures).toEqual([]);
  expect(result.singleState).toBe('finished');
  expect(result.mirroredState).toBe('finished');
  expect(result.setup.replicas).toBe(replicas);
  expect(result.mirroredLosses).toHaveLength(result.singleLosses.length);
  result.singleLosses.forEach((loss, step) => expect(result.mirroredLosses[step]).toBeCloseTo(loss, 4));
  expect(result.checksums.length).toBeGreaterThan(0);
  for (const check of result.checksums) expect(check.identical).toBe(true);
}

describe.skipIf(skipUnlessPresent(chromiumMissing, 'Chromium'))('mirrored training in Chromium workers', () => {
  it('wasm replicas, ring all-reduce over SharedArrayBuffer', async () => {
    const { result, errors } = await runPage('backend=wasm&allReduce=ring&replicas=2&steps=3');
    expect(result.crossOriginIsolated).toBe(true);
    expectEquivalent(result, 2);
    expect(result.setup).toMatchObject({ allReduce: 'ring', backend: 'wasm' });
    expect(errors).toEqual([]);
  });

  it('wasm replicas, postMessage all-reduce, 3 replicas', async () => {
    const { result, errors } = await runPage('backend=wasm&allReduce=postMessage&replicas=3&steps=3');
    expectEquivalent(result, 3);
    expect(result.setup).toMatchObject({ allReduce: 'postMessage', backend: 'wasm' });
    expect(errors).toEqual([]);
  });

  it('each replica on its own WebGPU device', async () => {
    const { result, errors } = await runPage('backend=webgpu&allReduce=ring&replicas=2&steps=2');
    expectEquivalent(result, 2);
    expect(result.setup).toMatchObject({ backend: 'webgpu' });
    expect(result.backendChosen.adapter).toBeTruthy();
    expect(errors).toEqual([]);
  });
});
