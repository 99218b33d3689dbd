import type { SerializedError } from 'vitest';
import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain closing line, `Tests: N passed, N failed, N skipped`, after vitest's own summary, so any
 * tool that reads only the last line of a run can tell how many tests really ran. A test that never
 * finished (its worker crashed) counts as failed, not skipped, and unhandled errors are named on the line:
 * either makes the run red.
 */
export default class PlainSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let unfinished = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else if (state === 'skipped') skipped++;
        else unfinished++;
      }
    }
    const extra = [
      unfinished ? `${unfinished} did not finish` : '',
      unhandledErrors.length ? `${unhandledErrors.length} unhandled error${unhandledErrors.length > 1 ? 's' : ''}` : '',
    ].filter(Boolean);
    const suffix = extra.length ? ` (${extra.join(', ')})` : '';
    process.stdout.write(`\nTests: ${passed} passed, ${failed + unfinished} failed, ${skipped} skipped${suffix}\n`);
  }
}
