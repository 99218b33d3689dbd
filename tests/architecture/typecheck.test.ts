/**
 * The TypeScript compiler over the whole project (tsconfig.json: src, workers, tests), as a test of the suite
 * rather than a step before it: it runs beside the other test files instead of holding both cores' worth of
 * tests back for its half minute, and its errors are named as this test's failure.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../paths.ts';

describe('the project type-checks', () => {
  it('tsc --noEmit -p tsconfig.json reports no error', () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const run = spawnSync(process.execPath, [tsc, '--noEmit', '-p', 'tsconfig.json'], { cwd: repoRoot, encoding: 'utf8' });
    // The compiler's own lines (file(line,col): error TS…) are the failure's message.
    expect(`${run.stdout}${run.stderr}`.trim()).toBe('');
    expect(run.status).toBe(0);
  });
});
