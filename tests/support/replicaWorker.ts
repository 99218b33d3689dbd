// A replica worker thread for tests: the stock host, Node's backends and models, plus the toy model
// (tests/support/toyReplicaModel.ts), which ships only with the tests (the test page's Web Worker twin:
// tests/e2e/mirrored/replica.worker.ts). Spawn it with
// nodeWorkerEndpoint(testReplicaWorkerUrl); like workers/replica.node.ts it runs from a bundle (no top-level await).
import { startReplicaHost } from '../../src/engine/mirrored/worker/host';
import { useNodeBackend } from '../../src/engine/platform/nodeBackend';
import { nodeParentEndpoint } from '../../src/engine/threads/nodeParent';
import { testReplicaModelRegistry } from './replicas';

startReplicaHost(nodeParentEndpoint(), testReplicaModelRegistry, { nodeBackend: useNodeBackend });
