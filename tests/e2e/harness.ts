/**
 * Shared plumbing for browser tests: build the app once per source state, serve it with `vite preview` on
 * 127.0.0.1 (cross-origin isolation headers come from vite.config.ts), launch Debian's Chromium with the
 * flags of ../shared/WEBGPU.md, and collect console errors and page errors.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { HANG_BOUND_MS } from '../hangBound.ts';

export const repoRoot = resolve(import.meta.dirname, '..', '..');
export const resultsDir = join(repoRoot, 'test-results');
const outDir = join(repoRoot, '.cache', 'e2e-dist');
const stampFile = join(outDir, '.source-stamp');
const lockFile = join(repoRoot, '.cache', 'e2e-build.lock');

export const CHROMIUM_PATH = '/usr/bin/chromium';
/** '' when Debian's Chromium is installed, else what to do about it (tests skip locally, fail in CI). */
export const chromiumMissing = existsSync(CHROMIUM_PATH)
  ? ''
  : `${CHROMIUM_PATH} is missing: install it with tests/setup/system-packages.sh (apt-get install chromium)`;

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

/** Fingerprint of everything the bundle is made from: paths, sizes and modification times. */
async function sourceStamp(): Promise<string> {
  const hash = createHash('sha256');
  async function walk(path: string): Promise<void> {
    const info = await stat(path).catch(() => null);
    if (!info) return;
    if (info.isDirectory()) {
      for (const name of (await readdir(path)).sort()) await walk(join(path, name));
    } else {
      hash.update(`${path}\0${info.size}\0${info.mtimeMs}\n`);
    }
  }
  for (const part of ['src', 'workers', 'public', 'index.html', 'vite.config.ts', 'package-lock.json']) {
    await walk(join(repoRoot, part));
  }
  return hash.digest('hex');
}

async function withLock<T>(run: () => Promise<T>): Promise<T> {
  await mkdir(join(repoRoot, '.cache'), { recursive: true });
  const deadline = Date.now() + HANG_BOUND_MS;
  for (;;) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.close();
      break;
    } catch {
      // Another test file is building: wait for it. A lock older than the deadline is from a killed run.
      const info = await stat(lockFile).catch(() => null);
      if (info && Date.now() - info.mtimeMs > HANG_BOUND_MS) await rm(lockFile, { force: true });
      if (Date.now() > deadline) throw new Error(`e2e build lock ${lockFile} held for ${HANG_BOUND_MS / 60_000} minutes`);
      await new Promise((done) => setTimeout(done, 250));
    }
  }
  try {
    return await run();
  } finally {
    await rm(lockFile, { force: true });
  }
}

/**
 * Builds the app into .cache/e2e-dist unless a build of the same sources is already there, so several
 * browser test files in one run share one build. Returns the output folder.
 */
export async function buildApp(): Promise<string> {
  return withLock(async () => {
    const stamp = await sourceStamp();
    const built = await readFile(stampFile, 'utf8').catch(() => null);
    if (built === stamp && existsSync(join(outDir, 'index.html'))) return outDir;
    await build({ root: repoRoot, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    await writeFile(stampFile, stamp);
    return outDir;
  });
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** `vite preview` of a build on 127.0.0.1 and a free port. */
export async function serveApp(builtDir: string): Promise<Served> {
  const port = await freePort();
  const server: PreviewServer = await preview({
    root: repoRoot,
    logLevel: 'warn',
    build: { outDir: builtDir },
    preview: { host: '127.0.0.1', port, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
  return { url, close: () => server.close() };
}

export function launchChromium(): Promise<Browser> {
  if (chromiumMissing) throw new Error(chromiumMissing);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** A page that records every console error and uncaught page error, to assert there were none. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  // Waits without an explicit bound (clicks, fills, waitFor) are bounded as hangs, not as speed checks.
  page.setDefaultTimeout(HANG_BOUND_MS);
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()} (${message.location().url})`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  page.on('crash', () => errors.push('page crashed'));
  // Console messages about failed loads do not say which URL: record it here.
  page.on('response', (response) => {
    if (response.status() >= 400) errors.push(`http ${response.status()}: ${response.url()}`);
  });
  await page.goto(url);
  return { page, errors };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const path = join(resultsDir, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}
