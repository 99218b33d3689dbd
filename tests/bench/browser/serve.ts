/**
 * Builds the bench page (tests/bench/browser) with Vite, serves it with the cross-origin isolation headers
 * and opens it in headless Debian Chromium (tests/e2e/harness/chromium.ts): for browser.bench.ts and the page row of
 * cpuPeer.bench.ts.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { build, preview } from 'vite';
import { CHROMIUM_ARGS, launchChromium, openPage, repoRoot } from '../../e2e/harness/index.ts';

const root = join(repoRoot, 'tests', 'bench', 'browser');
const outDir = join(repoRoot, '.cache', 'bench-browser-dist');
const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export async function openBenchPage(query: string): Promise<{ page: Page; errors: string[]; close(): Promise<void> }> {
  await build({ root, configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true }, worker: { format: 'es' } });
  const server = await preview({ root, configFile: false, logLevel: 'warn', build: { outDir }, preview: { host: '127.0.0.1', port: 0, headers } });
  const browser = await launchChromium(CHROMIUM_ARGS);
  const close = async () => {
    await browser.close();
    await server.close();
  };
  try {
    const { page, errors } = await openPage(browser, `${server.resolvedUrls!.local[0]}?${query}`);
    return { page, errors, close };
  } catch (error) {
    await close();
    throw error;
  }
}
