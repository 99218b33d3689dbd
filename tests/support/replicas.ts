/** The replica models tests can start: the stock ones and the toy model (worker entry: tests/support/replicaWorker.ts). */
import type { ReplicaModelRegistry } from '../../src/model/replicaModel';
import { replicaModelRegistry } from '../../src/engine/mirrored/worker/registry';

export const testReplicaModelRegistry: ReplicaModelRegistry = {
  ...replicaModelRegistry,
  toy: async () => (await import('./toyReplicaModel')).createToyReplicaModel,
};
