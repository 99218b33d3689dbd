/**
 * The suite's closing line (tests/plainSummaryReporter.ts) tells the truth: a test file that fails before its
 * tests run (an import error) or whose beforeAll fails counts as failed and is named, not as passed or skipped.
 * Runs vitest itself on the fixtures in tests/fixtures/reporter/.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repoRoot = resolve(import.meta.dirname, '..', '..');
const vitestBin = resolve(repoRoot, 'node_modules', 'vitest', 'vitest.mjs');

function runFixtures(pattern: string, ci = ''): Promise<{ code: number; stdout: string }> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      [vitestBin, 'run', '--config', 'tests/fixtures/reporter/vitest.config.ts'],
      { cwd: repoRoot, env: { ...process.env, REPORTER_FIXTURE: pattern, CI: ci } },
      (error, stdout) => done({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}

const closingLine = (stdout: string) => stdout.trim().split('\n').at(-1);

describe('the closing line of a test run', () => {
  it('counts passed and skipped tests of a healthy file', async () => {
    const run = await runFixtures('passes.fixture.ts');
    expect(closingLine(run.stdout)).toBe('Tests: 1 passed, 0 failed, 1 skipped');
    expect(run.code).toBe(0);
  });

  it('a missing prerequisite skips with its reason locally and fails with it in CI', async () => {
    const local = await runFixtures('missingPrerequisite.fixture.ts');
    expect(closingLine(local.stdout)).toBe('Tests: 0 passed, 0 failed, 1 skipped');
    expect(local.code).toBe(0);
    const ci = await runFixtures('missingPrerequisite.fixture.ts', 'true');
    expect(closingLine(ci.stdout)).toBe('Tests: 0 passed, 1 failed, 1 skipped');
    expect(ci.stdout).toContain('missing the frobnicator in CI: the frobnicator is not installed (apt-get install frobnicator)');
    expect(ci.code).not.toBe(0);
  });

  it('counts a file with an import error and a failed beforeAll as failures, and names them', async () => {
    const run = await runFixtures('{passes,importError,hookFails}.fixture.ts');
    expect(closingLine(run.stdout)).toBe('Tests: 1 passed, 2 failed, 2 skipped');
    expect(run.stdout).toContain("FAILED importError.fixture.ts: Error: Cannot find module './doesNotExist.ts'");
    expect(run.stdout).toContain("FAILED hookFails.fixture.ts: 'a suite whose setup fails': Error: setup broke");
    expect(run.code).not.toBe(0);
  });
});
