/** Browser only: spawns replica module Web Workers (Vite bundles workers/replica.worker.ts from this URL). */
import { maxReplicas } from '../../protocol/training.ts';
import { webWorkerEndpoint, type WorkerEndpoint } from './endpoint.ts';

export function spawnBrowserReplica(): WorkerEndpoint {
  const worker = new Worker(new URL('../../../workers/replica.worker.ts', import.meta.url), { type: 'module', name: 'replica' });
  return webWorkerEndpoint(worker);
}

/** Replicas to offer by default: one per logical core, at most maxReplicas. */
export function defaultReplicaCount(): number {
  return Math.max(1, Math.min(maxReplicas, globalThis.navigator?.hardwareConcurrency ?? 2));
}
