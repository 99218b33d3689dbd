/**
 * The app as the browser tests get it: built once per source state (the production build users get), served
 * with `vite preview` on 127.0.0.1 (cross-origin isolation headers come from vite.config.ts), and
 * `useStudioApp`, which builds, serves and launches Chromium around a file's tests.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { build, preview, type Plugin, type PreviewServer } from 'vite';
import { afterAll, beforeAll } from 'vitest';
import { HANG_BOUND_MS, TEST_HANG_BOUND_MS } from '../../hangBound.ts';
import { repoRoot } from '../../paths.ts';
import { chromiumMissing, closePages, testBrowser } from './chromium.ts';

const outDir = join(repoRoot, '.cache', 'e2e-dist');
const stampFile = join(outDir, '.source-stamp');
const lockFile = join(repoRoot, '.cache', 'e2e-build.lock');

/** Fingerprint of everything the bundle is made from: paths, sizes and modification times. */
async function sourceStamp(): Promise<string> {
  const hash = createHash('sha256');
  // A build of the development React before it was a production build: never reuse one.
  hash.update('production\n');
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
    // The build users get (`npm run build`): under vitest NODE_ENV is 'test', and Vite takes NODE_ENV over the
    // build's mode, so React came in its development build (jsxDEV, console.createTask per element), which
    // kept the page's main thread busy through a whole training run (measured: 99% of a core).
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await build({ root: repoRoot, mode: 'production', logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    } finally {
      if (nodeEnv === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = nodeEnv;
    }
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

/**
 * `vite preview` compresses every response as it sends it (gzip at zlib's default level, in this process):
 * for the tests' pages on 127.0.0.1 that is CPU spent twice, the server deflating and Chromium inflating,
 * to save no time (measured: the app's scripts and wasm, 5.8 MiB, cost this process 0.27 to 0.43 s of CPU
 * a round compressed, 0.13 s plain; a test page loads them about once and each worker its own again).
 * The tests' server drops Accept-Encoding before the compression middleware sees it; `npm start` keeps it.
 */
const uncompressed: Plugin = {
  name: 'tests-uncompressed-preview',
  configurePreviewServer(server) {
    // Called before `vite preview` adds its compression middleware, so this runs first on every request.
    server.middlewares.use((request, _response, next) => {
      delete request.headers['accept-encoding'];
      next();
    });
  },
};

/** `vite preview` of a build on 127.0.0.1 and a free port, without compression (see `uncompressed`). */
export async function serveApp(builtDir: string): Promise<Served> {
  const port = await freePort();
  const server: PreviewServer = await preview({
    root: repoRoot,
    logLevel: 'warn',
    plugins: [uncompressed],
    build: { outDir: builtDir },
    preview: { host: '127.0.0.1', port, strictPort: false, open: false },
  });
  const url = server.resolvedUrls?.local[0] ?? `http://127.0.0.1:${port}/`;
  return { url, close: () => server.close() };
}

export interface StudioApp {
  /** The served build; set once the file's tests start. */
  readonly served: Served;
  /** The process's headless Chromium (testBrowser); set once the file's tests start, unless asked without. */
  readonly browser: Browser;
}

/**
 * The app built and served, and (unless `browser: false`) the process's Chromium (testBrowser), before the
 * tests of the scope it is called in (a file or a describe); the server is closed after them, and the pages
 * they left open. Nothing starts when a prerequisite is missing
 * (`missing`, default: Chromium's absence): the tests then skip locally or fail in CI (tests/prerequisites.ts).
 */
export function useStudioApp(options: { browser?: boolean; missing?: string } = {}): StudioApp {
  let served: Served | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (options.missing ?? chromiumMissing) return;
    served = await serveApp(await buildApp());
    if (options.browser !== false) browser = await testBrowser();
  }, TEST_HANG_BOUND_MS);
  afterAll(async () => {
    if (browser) await closePages(browser);
    await served?.close();
  });
  return {
    get served() {
      if (!served) throw new Error('the app is served once the tests start (useStudioApp in beforeAll)');
      return served;
    },
    get browser() {
      if (!browser) throw new Error('Chromium is launched once the tests start (useStudioApp without browser: false)');
      return browser;
    },
  };
}
