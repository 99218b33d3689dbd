/** Where a test finds the repository and the real data beside it (../shared), wherever the test file sits. */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const repoRoot = resolve(import.meta.dirname, '..');
/** Real datasets and weights, read-only; tests that need them skip (or fail in CI) when it is absent. */
export const sharedDir = resolve(repoRoot, '..', 'shared');
/** The replica worker entry with the toy model registered (Node: nodeWorkerEndpoint(testReplicaWorkerUrl)). */
export const testReplicaWorkerUrl = pathToFileURL(resolve(repoRoot, 'tests', 'support', 'replicaWorker.ts'));
