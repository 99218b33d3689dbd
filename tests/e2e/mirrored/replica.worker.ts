// The test page's replica module Web Worker: the stock host with the toy model registered (its Node twin,
// a worker thread: tests/support/replicaWorker.ts).
import { webWorkerSelfEndpoint } from '../../../src/engine/threads/endpoint';
import { startReplicaHost } from '../../../src/engine/mirrored/worker/host';
import { testReplicaModelRegistry } from '../../support/replicas';

startReplicaHost(webWorkerSelfEndpoint(self as unknown as DedicatedWorkerGlobalScope), testReplicaModelRegistry);
