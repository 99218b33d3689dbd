// One replica of mirrored training in a Node worker thread (the CLI, tests): the browser worker's host, with
// Node's backends (wasm, cpu, Dawn). Started from a bundle (src/engine/threads/nodeEndpoint.ts), so no
// top-level await.
import { startNodeReplicaHost } from '../src/engine/mirrored/worker/nodeHost.ts';
import { replicaModelRegistry } from '../src/engine/mirrored/worker/registry.ts';

startNodeReplicaHost(replicaModelRegistry);
