/**
 * The models a replica worker can build, by ModelSpec.kind. Factories are imported lazily so a worker loads
 * only the model it trains.
 */
import type { ReplicaModelRegistry } from '../../../model/replicaModel';

export const replicaModelRegistry: ReplicaModelRegistry = {
  toy: async () => (await import('../../toyReplicaModel')).createToyReplicaModel,
  caption: async () => (await import('../../../model/replicaStep')).createCaptionReplicaModel,
};
