// One replica of mirrored training in a module Web Worker (Node threads: replica.node.ts); the logic is in src/engine.
import { webWorkerSelfEndpoint } from '../src/engine/threads/endpoint.ts';
import { startReplicaHost } from '../src/engine/mirrored/worker/host.ts';
import { replicaModelRegistry } from '../src/engine/mirrored/worker/registry.ts';

startReplicaHost(webWorkerSelfEndpoint(self as unknown as DedicatedWorkerGlobalScope), replicaModelRegistry);
