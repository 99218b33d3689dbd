// One replica of mirrored training (module Web Worker or Node worker thread); the logic is in src/engine.
import { currentParentEndpoint } from '../src/engine/threads/endpoint.ts';
import { startReplicaHost } from '../src/engine/mirrored/worker/host.ts';
import { replicaModelRegistry } from '../src/engine/mirrored/worker/registry.ts';

startReplicaHost(await currentParentEndpoint(), replicaModelRegistry);
