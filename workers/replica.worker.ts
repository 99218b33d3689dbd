// One replica of mirrored training (module Web Worker or Node worker thread); the logic is in src/engine.
import { currentParentEndpoint } from '../src/engine/endpoint';
import { startReplicaHost } from '../src/engine/replicaHost';
import { replicaModelRegistry } from '../src/engine/replicaRegistry';

startReplicaHost(await currentParentEndpoint(), replicaModelRegistry);
