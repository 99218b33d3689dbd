/**
 * A replica host in a Node worker thread: the host with Node's backends (wasm, cpu, Dawn) and the thread's
 * parent port. Node-only, so only Node worker entries import it (workers/replica.node.ts, the tests' workers);
 * a browser worker calls startReplicaHost with its own endpoint.
 */
import type { ReplicaModelRegistry } from '../../../model/replicaModel.ts';
import { useNodeBackend } from '../../platform/nodeBackend.ts';
import { nodeParentEndpoint } from '../../threads/nodeParent.ts';
import { startReplicaHost } from './host.ts';

export function startNodeReplicaHost(registry: ReplicaModelRegistry): void {
  startReplicaHost(nodeParentEndpoint(), registry, { nodeBackend: useNodeBackend });
}
