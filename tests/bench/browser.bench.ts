/**
 * The training-step benchmark in headless Chromium (Debian's, flags of ../shared/WEBGPU.md: SwiftShader WebGPU
 * on a GPU-less machine, no shader-f16): `npx tsx tests/bench/browser.bench.ts [--images 4] [--rounds 1] [--only wasm]`.
 * Builds tests/bench/browser with Vite, serves it with the cross-origin isolation headers, prints the page's table.
 */
import { openBenchPage } from './browser/serve';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string) => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);

const { page, errors, close } = await openBenchPage(`images=${arg('images', '4')}&rounds=${arg('rounds', '1')}&only=${arg('only', '')}`);
try {
  await page.waitForFunction(() => (window as { benchResult?: unknown }).benchResult != null, undefined, { timeout: 60 * 60_000, polling: 2000 });
  const result = await page.evaluate(() => (window as unknown as { benchResult: { header: string; table: string; error?: string } }).benchResult);
  if (result.error) console.error(`page error: ${result.error}`);
  if (errors.length) console.error(`console errors: ${errors.join('\n')}`);
  console.log(result.header);
  console.log(result.table);
} finally {
  await close();
}
process.exit(0);
