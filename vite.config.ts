import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';
import { HANG_BOUND_MS, TEST_HANG_BOUND_MS } from './tests/hangBound.ts';
import SlowFirstSequencer from './tests/setup/sequencer.ts';
import { tfjsShimAliases } from './tests/setup/tfjsShims.ts';

// Cross-origin isolation (SharedArrayBuffer for the ring all-reduce, wasm threads) needs these two headers
// on every response, from the dev server and the preview server alike.
const isolationHeaders = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const TEST_FILES = ['tests/**/*.test.ts', 'tests/**/*.test.tsx'];
/** The browser tests: they share their test process and its Chromium (see `projects`). */
const BROWSER_TESTS = ['tests/e2e/**/*.test.ts'];

export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173, headers: isolationHeaders },
  // `npm start` serves the production build here (the address the README gives); `npm run dev` takes the
  // next free port when both run.
  preview: { host: '127.0.0.1', port: 5173, headers: isolationHeaders },
  worker: { format: 'es' },
  build: {
    // The big chunks are libraries loaded whole: h5wasm (4.6 MiB, its wasm embedded; loaded only to import a
    // Keras .h5) and tfjs (1.4 MiB). The default 500 kB warning said nothing a user can act on at `npm start`.
    chunkSizeWarningLimit: 5 * 1024,
    // engines.ts loads each capability's modules lazily; modules two capabilities share (the archive reader,
    // the caption dataset) land in a chunk both load, which is what this check warns about.
    rolldownOptions: { checks: { ineffectiveDynamicImport: false } },
  },
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
  test: {
    // Which files: the projects below (a project that extends this config would add to an include here).
    environment: 'node',
    // tfjs through ES-module shims that `require` it: Node's scan of its CommonJS bundles on an ES-module
    // import cost each test process about 0.5 s of CPU (tests/setup/tfjsShims.ts). Only when Vitest runs.
    alias: process.env.VITEST ? tfjsShimAliases() : [],
    // Bounds of a hang, never speed checks (tests/hangBound.ts): one wait, and a whole test or hook.
    testTimeout: TEST_HANG_BOUND_MS,
    hookTimeout: TEST_HANG_BOUND_MS,
    expect: { poll: { timeout: HANG_BOUND_MS } },
    reporters: ['default', './tests/plainSummaryReporter.ts'],
    sequence: { sequencer: SlowFirstSequencer },
    // Two cores: keep parallelism modest so browser and GPU tests do not starve each other.
    maxWorkers: 2,
    // V8 without its background threads in the test processes (and their worker threads): on two cores that
    // are both busy for the whole suite, the concurrent compiler's and GC's helper threads cost more CPU than
    // the same work on the test's own thread (measured: the demo's quality control, the mirrored faults, the
    // trainer contract and the device limits together 167 → 154 s of CPU, 89 → 86 s of wall time).
    execArgv: ['--single-threaded'],
    // Dawn's Vulkan driver here is Mesa's lavapipe, which compiles each new shader with LLVM; on a fresh
    // machine (CI: no Mesa shader cache yet) that compiling was most of the Node GPU tests' CPU. At 128-bit
    // vectors instead of the 256 it picks on these CPUs, LLVM has half the lanes to compile and the tests' small
    // kernels run as fast (measured, cold cache: the WGSL matmul test 72.8 → 36.1 s of CPU, the GPU training
    // test 59.1 → 31.9 s; five heavier Dawn files 168.5 → 128.2 s cold, 105.6 → 102.1 s warm). Test processes
    // and the CLIs they start inherit it; the app, the CLI and the benchmarks keep the driver's own choice.
    env: { LP_NATIVE_VECTOR_WIDTH: process.env.LP_NATIVE_VECTOR_WIDTH ?? '128' },
    projects: [
      // The Node tests share one module graph per worker (isolate: false): a fresh process and graph per file
      // cost more CPU than most files' tests (measured, the 43 smaller files: 155 s of CPU isolated, 109 s
      // shared). Each file sets the tfjs backend it needs and counts tensors relative to its own start, so
      // what an earlier file in the worker left behind does not change what it checks.
      { extends: true, test: { name: 'node', include: TEST_FILES, exclude: BROWSER_TESTS, isolate: false } },
      // Browser tests drive a Chromium and a served build; the page's state lives in the browser, each page in
      // a context of its own. A process per file cost each a Chromium launch (about 3 s of CPU) and the imports
      // of Playwright and Vite: here a process runs several of them with one Chromium (harness/chromium.ts
      // testBrowser).
      { extends: true, test: { name: 'browser', include: BROWSER_TESTS, isolate: false } },
    ],
  },
});
