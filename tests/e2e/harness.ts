/**
 * Shared plumbing for browser tests: build the app once per source state, serve it with `vite preview` on
 * 127.0.0.1 (cross-origin isolation headers come from vite.config.ts), launch Debian's Chromium with the
 * flags of ../shared/WEBGPU.md, and collect console errors and page errors.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll } from 'vitest';
import { HANG_BOUND_MS, TEST_HANG_BOUND_MS } from '../hangBound.ts';

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

/**
 * Chromium 156 gives every window (each Playwright page is one) a renderer of its own for the omnibox's WebUI
 * popup, headless too: measured 1.2 s of CPU in that renderer and 0.4 s in the browser process per page, about
 * a third of what loading the demo costs the page. No test looks at Chromium's own UI.
 */
const OMNIBOX_WEBUI_FEATURES = ['WebUIOmniboxPopup', 'WebUIOmniboxFullPopup', 'WebUIOmniboxAimPopup', 'PreloadTopChromeWebUI'];
/**
 * Playwright launches Chromium with a --disable-features list of its own, and Chromium takes only the last
 * --disable-features it is given (measured: a second one brought the omnibox renderers back), so ours repeats
 * playwright-core 1.65's list (chromiumSwitches.ts) to keep what it turns off turned off.
 */
const PLAYWRIGHT_DISABLED_FEATURES = [
  'AvoidUnnecessaryBeforeUnloadCheckSync',
  'DestroyProfileOnBrowserClose',
  'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable',
  'LensOverlay',
  'MediaRouter',
  'PaintHolding',
  'ThirdPartyStoragePartitioning',
  'AvoidCorsURLLoaderRestartOnRedirect',
  'OptimizationHints',
  'NetworkTimeServiceQuerying',
  'AimEnabled',
  'PreconnectToSearch',
];

export const CHROMIUM_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
  `--disable-features=${[...PLAYWRIGHT_DISABLED_FEATURES, ...OMNIBOX_WEBUI_FEATURES].join(',')}`,
];

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
  const errors = recordErrors(page);
  await page.goto(url);
  return { page, errors };
}

/** Collects the page's console errors, uncaught errors, crashes and failed loads; bounds its waits as hangs. */
export function recordErrors(page: Page): string[] {
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
  return errors;
}

/**
 * Chromium whose tabs can really be hidden: Playwright's own launch turns on focus emulation for every page
 * (a page then always reads as visible), so this one starts Debian's Chromium itself with a DevTools port and
 * connects over CDP without Playwright's default overrides. `hide()` opens another tab in the same window and
 * activates it, as a user switching tabs does: the page's visibilityState turns 'hidden' and the browser
 * throttles its timers (measured: a setTimeout(0) loop went from about 200 to 1 wake-up a second);
 * `show()` activates the page's tab again.
 */
export async function launchChromiumWithTabs(url: string): Promise<{
  page: Page;
  errors: string[];
  hide(): Promise<void>;
  show(): Promise<void>;
  close(): Promise<void>;
}> {
  if (chromiumMissing) throw new Error(chromiumMissing);
  const profile = await mkdtemp(join(tmpdir(), 'studio-chromium-'));
  // Port 0: Chromium binds a port itself and writes it to DevToolsActivePort in its profile. A port picked
  // here and handed over could be taken by another connection before Chromium binds it, and polling a port
  // nobody listens on yet can even connect the poller to itself and keep Chromium off it.
  const child = spawn(CHROMIUM_PATH, ['--headless', ...CHROMIUM_ARGS, '--window-size=1400,1000', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], {
    stdio: 'ignore',
  });
  const close = async () => {
    child.kill();
    await rm(profile, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    const deadline = Date.now() + HANG_BOUND_MS;
    const activePort = () => readFile(join(profile, 'DevToolsActivePort'), 'utf8').then((text) => (text.includes('\n') ? Number(text.split('\n')[0]) || 0 : 0), () => 0);
    let port = 0;
    while (!(port = await activePort())) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Chromium did not open a DevTools port (no DevToolsActivePort in ${profile})`);
      await new Promise((done) => setTimeout(done, 100));
    }
    const endpoint = `http://127.0.0.1:${port}`;
    const browser = await chromium.connectOverCDP(endpoint, { noDefaults: true, timeout: HANG_BOUND_MS });
    const context = browser.contexts()[0];
    const page = context.pages()[0] ?? (await context.newPage());
    const errors = recordErrors(page);
    await page.goto(url);
    const session = await bounded(context.newCDPSession(page), 'a DevTools session of the page');
    // DevTools commands have no timeout of their own: a hung one names itself at the wait bound.
    const cdp = { send: ((method: string, params?: object) => bounded(session.send(method as never, params as never), `DevTools ${method}`)) as typeof session.send };
    const own = (await cdp.send('Target.getTargetInfo')).targetInfo.targetId;
    let other: string | null = null;
    const visibility = () => page.evaluate(() => document.visibilityState);
    const settle = async (want: string) => {
      const settleBy = Date.now() + HANG_BOUND_MS;
      while ((await visibility()) !== want) {
        if (Date.now() > settleBy) throw new Error(`the page did not become ${want}`);
        await new Promise((done) => setTimeout(done, 50));
      }
    };
    return {
      page,
      errors,
      async hide() {
        other = (await cdp.send('Target.createTarget', { url: 'about:blank', newWindow: false })).targetId;
        await cdp.send('Target.activateTarget', { targetId: other });
        await settle('hidden');
      },
      async show() {
        await cdp.send('Target.activateTarget', { targetId: own });
        await settle('visible');
        if (other) await cdp.send('Target.closeTarget', { targetId: other });
        other = null;
      },
      async close() {
        await browser.close().catch(() => undefined);
        await close();
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** `promise`, or a failure naming `what` once it has waited HANG_BOUND_MS: for waits that have no bound of their own. */
export function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer in ${HANG_BOUND_MS / 60_000} minutes (a hang)`)), HANG_BOUND_MS);
  });
  return Promise.race([promise, hang]).finally(() => clearTimeout(timer));
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(resultsDir, { recursive: true });
  const path = join(resultsDir, name);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface StudioApp {
  /** The served build; set once the file's tests start. */
  readonly served: Served;
  /** Headless Chromium (Playwright's launch); set once the file's tests start, unless asked without. */
  readonly browser: Browser;
}

/**
 * The app built, served and (unless `browser: false`) a Chromium launched before the tests of the scope it is
 * called in (a file or a describe), and both closed after them. Nothing starts when a prerequisite is missing
 * (`missing`, default: Chromium's absence): the tests then skip locally or fail in CI (tests/prerequisites.ts).
 */
export function useStudioApp(options: { browser?: boolean; missing?: string } = {}): StudioApp {
  let served: Served | undefined;
  let browser: Browser | undefined;
  beforeAll(async () => {
    if (options.missing ?? chromiumMissing) return;
    served = await serveApp(await buildApp());
    if (options.browser !== false) browser = await launchChromium();
  }, TEST_HANG_BOUND_MS);
  afterAll(async () => {
    await browser?.close();
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

/** Opens a panel by its tab's name. */
export async function tab(page: Page, name: string): Promise<void> {
  await page.getByRole('tab', { name: new RegExp(`^${name}`) }).click();
}

/** Types a number into a labelled field and leaves it, as a user does (the value is taken on blur). */
export async function setNumber(page: Page, label: string, value: number): Promise<void> {
  const input = page.getByLabel(label, { exact: true });
  await input.fill(String(value));
  await input.blur();
}

/**
 * Clicks Pause if the run still shows it; false when the run had already ended. Looked up and clicked in one
 * task of the page: a Playwright click waits for its element, and when the run ended between reading its state
 * and the click (a run on the page's own thread holds the page's thread, so the click waited behind the last
 * steps), it waited for a button that would never come back, up to the hang bound.
 */
export function pauseIfRunning(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const pause = document.querySelector<HTMLButtonElement>('[data-testid=train-pause]');
    pause?.click();
    return pause !== null;
  });
}

/**
 * The status line of a paused run that rests: the step, and at an epoch's end its validation and checkpoint,
 * in flight at the click on Pause are done (`runAtRest`), so what the page shows no longer moves.
 */
export const PAUSED_AT_REST = '[data-testid=training-state][data-state=paused][data-at-rest=true]';

/** Waits until the paused run rests (PAUSED_AT_REST). */
export async function waitPausedAtRest(page: Page): Promise<void> {
  await page.locator(PAUSED_AT_REST).waitFor({ timeout: HANG_BOUND_MS });
}

/** When pauseInPageWhen clicks Pause: once the run has a checkpoint (Continue names its step), or once it has drawn `stepsAtLeast` steps. */
export type PauseCondition = { checkpoint: true } | { stepsAtLeast: number };

/**
 * Arms a Pause click inside the page, made by the page itself the moment the condition holds (a
 * MutationObserver on the Training panel: it runs right after the render that shows the condition, a frame
 * or so behind the trainer on a visible page). A test that polled from here and then clicked raced the run's
 * end: a busy page answers a poll seconds late, and a tiny run ended in between (seen in CI). A hidden page
 * draws about once a second, so arm it while the page is visible, before the run starts; `settled()`
 * resolves 'paused' once clicked, or 'ended' when the run ended first.
 */
export async function pauseInPageWhen(page: Page, condition: PauseCondition): Promise<{ settled(): Promise<'paused' | 'ended'> }> {
  await page.evaluate((when) => {
    const w = window as unknown as { __pauseArmed?: Promise<'paused' | 'ended'> };
    w.__pauseArmed = new Promise((resolve) => {
      const stateLine = () => document.querySelector('[data-testid=training-state]');
      // The previous run (its end, its checkpoint) still shows until this one starts: only the new run counts.
      const previousRun = stateLine()?.getAttribute('data-run-id') ?? '';
      const check = () => {
        const line = stateLine();
        if ((line?.getAttribute('data-run-id') ?? '') === previousRun) return;
        const state = line?.getAttribute('data-state');
        // Another run id: an end is this run's, even unseen going (a tiny run's events reach the page a frame
        // at a time, and its end flushes them all at once: idle, then finished, never 'running' on screen).
        if (state === 'finished' || state === 'stopped' || state === 'failed') return done('ended');
        const ready =
          'stepsAtLeast' in when
            ? Number(line?.getAttribute('data-steps')) >= when.stepsAtLeast
            : /\(step \d+\)/.test(document.querySelector('[data-testid=train-continue]')?.textContent ?? '');
        const pause = document.querySelector<HTMLButtonElement>('[data-testid=train-pause]');
        if (ready && state === 'running' && pause && !pause.disabled) {
          pause.click();
          done('paused');
        }
      };
      const observer = new MutationObserver(check);
      const done = (outcome: 'paused' | 'ended') => {
        observer.disconnect();
        resolve(outcome);
      };
      observer.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      check();
    });
  }, condition);
  return {
    settled: () =>
      bounded(
        page.evaluate(() => (window as unknown as { __pauseArmed: Promise<'paused' | 'ended'> }).__pauseArmed),
        `the armed pause (${JSON.stringify(condition)})`,
      ),
  };
}

/**
 * The demo loaded and its features extracted on the page's defaults (the demo CNN with its built-in weights:
 * a few milliseconds a picture even on SwiftShader, where MobileNet took a minute for 40): the cheap start of
 * the tests whose subject is a run, not the features.
 */
export async function extractDemoFeatures(page: Page): Promise<void> {
  await page.locator('[data-testid=dataset-status][data-status=ready]').waitFor({ timeout: HANG_BOUND_MS });
  await tab(page, 'Features');
  await page.getByTestId('extract-start').click();
  await page.locator('[data-testid=features-status][data-status=done]').waitFor({ timeout: HANG_BOUND_MS });
}

const BACKEND_SETTING_LABELS = { webgpu: 'WebGPU', wasm: 'wasm (CPU)' } as const;

/**
 * Names a backend in the open panel's Backend setting, as a user switches (wasm to extract, WebGPU to train),
 * and waits until the page runs on it. WebGPU here is SwiftShader, which auto never picks by itself.
 */
export async function useBackend(page: Page, backend: keyof typeof BACKEND_SETTING_LABELS): Promise<void> {
  await page.getByRole('radio', { name: BACKEND_SETTING_LABELS[backend], exact: true }).check();
  await page.locator(`[data-testid=backend-badge][data-backend=${backend}]`).waitFor({ timeout: HANG_BOUND_MS });
}
