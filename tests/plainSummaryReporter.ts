import type { SerializedError } from 'vitest';
import type { Reporter, TestModule, TestSuite } from 'vitest/node';

/**
 * Prints one plain closing line, `Tests: N passed, N failed, N skipped`, after vitest's own summary, so any
 * tool that reads only the last line of a run can tell how many tests really ran. Counted as failed, and
 * named above the line with the first line of their error, besides failed tests:
 * - a test file that failed outside its tests (an import error, a syntax error, a failed beforeAll/afterAll
 *   hook): vitest then reports its tests as skipped or reports none, so counting tests alone would call a
 *   broken run green;
 * - a test that never finished (its worker crashed);
 * - unhandled errors.
 */
export default class PlainSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    const problems: string[] = [];
    for (const module of testModules) {
      const fileProblems = failuresOutsideTests(module);
      for (const problem of fileProblems) problems.push(`${module.relativeModuleId}: ${problem}`);
      failed += fileProblems.length;
      for (const test of module.children.allTests()) {
        const result = test.result();
        const state = result.state;
        if (state === 'passed') passed++;
        else if (state === 'failed') {
          failed++;
          const error = result.errors?.[0];
          problems.push(`${module.relativeModuleId}: '${test.fullName}'${error ? `: ${firstLine(error)}` : ''}`);
        }
        else if (state === 'skipped') skipped++;
        else {
          failed++;
          problems.push(`${module.relativeModuleId}: '${test.fullName}' did not finish`);
        }
      }
    }
    for (const error of unhandledErrors) {
      failed++;
      problems.push(`unhandled error: ${firstLine(error)}`);
    }
    const lines = problems.map((p) => `  FAILED ${p}\n`).join('');
    process.stdout.write(`\n${lines}Tests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

/** Errors of a file or of its suites that belong to no single test: collection errors and failed hooks. */
function failuresOutsideTests(module: TestModule): string[] {
  const found: string[] = [];
  const describe = (suite: TestModule | TestSuite, where: string) => {
    for (const error of suite.errors()) found.push(`${where}${firstLine(error)}`);
  };
  describe(module, '');
  for (const suite of module.children.allSuites()) describe(suite, `'${suite.fullName}': `);
  // A file whose state is failed although none of its tests failed and it reported no error (the worker died
  // while loading it, for example) still failed.
  const anyTestFailed = [...module.children.allTests('failed')].length > 0;
  if (found.length === 0 && module.state() === 'failed' && !anyTestFailed) found.push('the file failed outside its tests');
  return found;
}

function firstLine(error: SerializedError): string {
  const text = `${error.name ? `${error.name}: ` : ''}${error.message ?? String(error)}`;
  return text.split('\n')[0];
}
