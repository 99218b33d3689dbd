/**
 * How long a wait in a test may take before it is called a hang. It bounds a hang; it is never a speed check.
 * No test may depend on how fast the machine is (a busy 2-core CI machine runs the GPU tests on lavapipe and
 * the browser tests on SwiftShader several times slower than a quiet one), so there is one generous bound
 * instead of per-step guesses of how long a step takes.
 *
 * Two sizes: one wait (a page element, a polled value, a click) and a whole test or hook, which waits several
 * times. The test's bound is the larger, so a hung wait fails first, with Playwright or Vitest naming what it
 * waited for, instead of the test's timeout saying only that the test took too long.
 */
export const HANG_BOUND_MS = 10 * 60_000;

/** A whole test or hook. */
export const TEST_HANG_BOUND_MS = 2 * HANG_BOUND_MS;
