// One replica of mirrored training (module Web Worker or Node worker thread); the logic is in src/engine.
import { currentParentEndpoint } from '../src/engine/threads/endpoint';
import { startReplicaHost } from '../src/engine/mirrored/worker/host';
import { replicaModelRegistry } from '../src/engine/mirrored/worker/registry';

startReplicaHost(await currentParentEndpoint(), replicaModelRegistry);
