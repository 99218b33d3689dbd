// A replica worker thread for tests: the stock host, Node's backends and models, plus the toy model
// (tests/support/toyReplicaModel.ts), which ships only with the tests. Spawn it with
// nodeWorkerEndpoint(testReplicaWorkerUrl); like workers/replica.node.ts it runs from a bundle (no top-level
// await). The test page's Web Worker twin: tests/e2e/mirrored/replica.worker.ts.
import { startNodeReplicaHost } from '../../src/engine/mirrored/worker/nodeHost';
import { testReplicaModelRegistry } from './replicas';

startNodeReplicaHost(testReplicaModelRegistry);
