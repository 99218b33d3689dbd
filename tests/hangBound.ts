/**
 * How long any wait in a test may take before it is called a hang: a test, a hook, a page element, a polled
 * value. It bounds a hang; it is never a speed check. No test may depend on how fast the machine is (a busy
 * 2-core CI machine runs the GPU tests on lavapipe and the browser tests on SwiftShader several times slower
 * than a quiet one), so there is one generous bound instead of per-step guesses of how long a step takes.
 */
export const HANG_BOUND_MS = 20 * 60_000;
