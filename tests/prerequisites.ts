/**
 * What a test needs from the machine (Chromium, a WebGPU adapter in Node, ../shared data, python3 modules)
 * and what happens when it is missing: on a developer's or user's machine the test skips with the reason; in CI
 * (CI=true) it fails with the reason instead, so a green CI run means the whole suite ran.
 */
import { it } from 'vitest';

export const inCi = process.env.CI === 'true';

/**
 * Returns true when the tests that need `what` should be skipped. `missing` is '' when the prerequisite is
 * there, otherwise the reason it is not (what to install or where the data should be). In CI it registers a
 * failing test carrying the reason, so the run goes red instead of quietly skipping.
 * Use it as `describe.skipIf(skipUnlessPresent(reason))(…)` or `it.skipIf(…)`.
 */
export function skipUnlessPresent(missing: string, what = 'prerequisite'): boolean {
  if (!missing) return false;
  if (inCi) {
    it(`${what} is present (CI=true: a missing prerequisite fails instead of skipping)`, () => {
      throw new Error(`missing ${what} in CI: ${missing}`);
    });
  } else {
    console.warn(`skipping tests that need ${what}: ${missing}`);
  }
  return true;
}
