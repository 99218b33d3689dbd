/**
 * The models a replica worker can build, by ModelSpec.kind. Factories are imported lazily so a worker loads
 * only the model it trains. (The tests add their toy model in tests/support/replicas.ts.)
 */
import type { ReplicaModelRegistry } from '../../../model/replicaModel.ts';

export const replicaModelRegistry: ReplicaModelRegistry = {
  caption: async () => (await import('../../../model/replicaStep.ts')).createCaptionReplicaModel,
};
