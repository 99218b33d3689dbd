/** What tests need to run replicas of the toy model: the registry that knows it, and the worker that uses it. */
import type { ReplicaModelRegistry } from '../../src/model/replicaModel';
import { replicaModelRegistry } from '../../src/engine/mirrored/worker/registry';

export const testReplicaModelRegistry: ReplicaModelRegistry = {
  ...replicaModelRegistry,
  toy: async () => (await import('./toyReplicaModel')).createToyReplicaModel,
};

/** The replica worker entry with the toy model registered (Node: nodeWorkerEndpoint(testReplicaWorkerUrl)). */
export const testReplicaWorkerUrl = new URL('./replicaWorker.ts', import.meta.url);
