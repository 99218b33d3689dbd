// A replica worker for tests: the stock host and models, plus the toy model (tests/support/toyReplicaModel.ts),
// which ships only with the tests. Spawn it with nodeWorkerEndpoint(testReplicaWorkerUrl) or as a Web Worker.
import { currentParentEndpoint } from '../../src/engine/threads/endpoint';
import { startReplicaHost } from '../../src/engine/mirrored/worker/host';
import { testReplicaModelRegistry } from './replicas';

startReplicaHost(await currentParentEndpoint(), testReplicaModelRegistry);
