/**
 * `npm run bench:gpu -- --quick` runs its whole path (training-step variants, 1 and 2 replicas each on its own
 * Dawn device, VGG16 extraction) on this machine's adapter and prints every table with the adapter named. The
 * figures are not checked: on lavapipe they mean nothing, and a test never measures speed.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../paths.ts';
import { skipUnlessPresent } from '../prerequisites.ts';
import { setupGpu } from '../unit/gpu/setup.ts';

const gpu = await setupGpu();

describe.skipIf(skipUnlessPresent(gpu.skipReason, 'a WebGPU adapter in Node (Dawn)'))('npm run bench:gpu -- --quick', () => {
  it('prints the adapter and every row the README lacks', async () => {
    const output = await new Promise<string>((done, fail) => {
      execFile(
        process.execPath,
        [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'tests/bench/gpuMachine.bench.ts', '--quick'],
        { cwd: repoRoot, maxBuffer: 16 * 1024 * 1024 },
        (error, stdout, stderr) => (error ? fail(new Error(`${error.message}\n${stderr}`)) : done(stdout)),
      );
    });
    expect(output).toMatch(/^Adapter: .+ \((software|hardware), (f16|no-f16)\); vendor '/m);
    expect(output).toContain('| webgpu | stock tfjs ops |');
    expect(output).toContain('| webgpu | fused WGSL f32 |');
    if (gpu.engine?.shaderF16) expect(output).toMatch(/\| webgpu \| fused WGSL f16( \(\d+ steps skipped\))? \|/);
    expect(output).toMatch(/^\| 1 \| \d+ \| 1\.00x \|/m);
    expect(output).toMatch(/^\| 2 \| \d+ \| [\d.]+x \|/m);
    expect(output).toMatch(/^\| webgpu \| 1 \| \d+ \| [\d.]+ \|$/m);
  });
});
