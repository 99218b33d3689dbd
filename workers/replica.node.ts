// One replica of mirrored training in a Node worker thread (the CLI, tests): the browser worker's host, with
// Node's backends (wasm, cpu, Dawn). Started from a bundle (src/engine/threads/nodeEndpoint.ts), so no
// top-level await.
import { startReplicaHost } from '../src/engine/mirrored/worker/host.ts';
import { replicaModelRegistry } from '../src/engine/mirrored/worker/registry.ts';
import { useNodeBackend } from '../src/engine/platform/nodeBackend.ts';
import { nodeParentEndpoint } from '../src/engine/threads/nodeParent.ts';

startReplicaHost(nodeParentEndpoint(), replicaModelRegistry, { nodeBackend: useNodeBackend });
