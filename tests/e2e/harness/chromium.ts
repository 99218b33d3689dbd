/**
 * Debian's Chromium for the browser tests: the flags of ../shared/WEBGPU.md, Playwright's launch or one whose
 * tabs can really be hidden, pages that record every console and page error, screenshots.
 */
import { existsSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { HANG_BOUND_MS } from '../../hangBound.ts';
import { repoRoot } from '../../paths.ts';

export const resultsDir = join(repoRoot, 'test-results');

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

/** The flags both launches share; each adds its one --disable-features list. */
const COMMON_ARGS = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];

const disableFeatures = (features: string[]) => `--disable-features=${features.join(',')}`;

export const CHROMIUM_ARGS = [...COMMON_ARGS, disableFeatures([...PLAYWRIGHT_DISABLED_FEATURES, ...OMNIBOX_WEBUI_FEATURES])];

/**
 * Dawn toggles for the tests' WebGPU (SwiftShader): no bounds clamping (robustness) and no zero-filling of
 * workgroup memory written into every compute shader. SwiftShader compiles each pipeline on the CPU, again for
 * every new device, and those two transforms made the shaders it compiles and runs larger: the GPU process
 * took 18 s of CPU (three runs: 14.3, 19.9, 20.6) for a tiny model's 3 epochs on the page's WebGPU, 10 s with
 * both toggles (11.1, 9.5, 10.6). The lost device, backend auto, precision, the kernels page and mirrored
 * together: 282 → 180 s of CPU. Dawn's own performance tests run with the same two.
 * What the kernels compute stays the same: the studio's WGSL kernels write every workgroup slot before they
 * read it (src/gpu/kernels/matmul.ts, softmaxCrossEntropy.ts) and index within their buffers, and every
 * browser test passes with the toggles as without (tfjs' own kernels included). A kernel that relied on
 * either transform would read stale memory here instead of the spec's zeros or a clamped index: a bug these
 * tests would show. Users' browsers keep both transforms, and so do benchmarks (CHROMIUM_ARGS).
 */
const TEST_DAWN_FEATURES = ['disable_robustness', 'disable_workgroup_init'];

/**
 * Chromium keeps a renderer process started ahead for the next navigation (the spare renderer). Every test page
 * has a browser context of its own, which a spare started for another context cannot serve: each page started
 * three renderer processes where two do (counted: 9 → 6 for 3 pages), and a load of the demo cost its browser
 * 4.15 s of CPU with the spare, 3.87 s without (6 loads each, two browsers side by side). Users' browsers and
 * the benchmarks keep it (CHROMIUM_ARGS).
 */
const TEST_DISABLED_FEATURES = ['SpareRendererForSitePerProcess'];

/**
 * The tests' Chromium: V8 without its background threads, as the Node test processes run (vite.config.ts). On
 * two cores that the suite keeps busy, concurrent compiling and parallel GC cost more CPU than the same work on
 * the page's and workers' own threads. Measured alone, CPU per file before → after: the first hour 97, 86,
 * 91 → 84, 70, 81 s; the lost GPU device 76.3 → 68.3 s; backend auto 52.4 → 51.8 s (reload mid-run: 42.5 →
 * 33.4 s in one pair, but 41 to 46 s in four later runs with the flag: within its noise). The whole suite:
 * 645 s and 1247 s of CPU → 602 s and 1163 s. It changes how V8 schedules its own work, not what the page
 * computes (the first hour's BLEU stayed the same). Benchmarks keep CHROMIUM_ARGS: they measure the browser
 * as users run it. The tests' Dawn toggles and disabled features: TEST_DAWN_FEATURES and TEST_DISABLED_FEATURES above.
 */
export const TEST_CHROMIUM_ARGS = [
  ...COMMON_ARGS,
  disableFeatures([...PLAYWRIGHT_DISABLED_FEATURES, ...OMNIBOX_WEBUI_FEATURES, ...TEST_DISABLED_FEATURES]),
  '--js-flags=--single-threaded',
  `--enable-dawn-features=${TEST_DAWN_FEATURES.join(',')}`,
];

/** Headless Chromium with TEST_CHROMIUM_ARGS for a test, or CHROMIUM_ARGS for a benchmark (V8 as users run it). */
export function launchChromium(args: readonly string[]): Promise<Browser> {
  if (chromiumMissing) throw new Error(chromiumMissing);
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: [...args] });
}

let shared: Promise<Browser> | null = null;

/**
 * The Chromium of this test process, launched by the first browser-test file that asks and kept for the next
 * ones: the browser tests share their process (vite.config.ts, project 'browser'), and a launch with its first
 * page costs about 3 s of CPU (measured: 5 launches, a blank page each, 15.6 s). Each page still gets a
 * context of its own (Browser.newPage), so no storage is shared between tests; `closePages` ends a file's.
 * Playwright ends the browser when the process exits.
 */
export function testBrowser(): Promise<Browser> {
  shared ??= launchChromium(TEST_CHROMIUM_ARGS).then((browser) => {
    browser.on('disconnected', () => (shared = null));
    return browser;
  });
  return shared;
}

/** Closes every page (and its context) a file left open in the shared browser. */
export async function closePages(browser: Browser): Promise<void> {
  await Promise.all(browser.contexts().map((context) => context.close()));
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
  const child = spawn(CHROMIUM_PATH, ['--headless', ...TEST_CHROMIUM_ARGS, '--window-size=1400,1000', '--remote-debugging-port=0', `--user-data-dir=${profile}`, 'about:blank'], {
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
