/**
 * A replica worker entry for gpu-replica-trouble.test.ts: the stock replica host and registry, except that
 * the toy model of rank 1 provokes a real uncaptured WebGPU validation error on its own Dawn device during
 * its second gradient computation, and waits until the device has reported it (so the fault reaches the
 * trainer during that step, whatever the timing of Dawn's error callback).
 */
import { replicaGpuEngine } from '../../../../src/engine/mirrored/worker/backend';
import { startNodeReplicaHost } from '../../../../src/engine/mirrored/worker/nodeHost';
import type { ReplicaModel } from '../../../../src/model/replicaModel';
import { testReplicaModelRegistry as replicaModelRegistry } from '../../../support/replicas';

const errorOnCall = 2;

startNodeReplicaHost({
  ...replicaModelRegistry,
  toy: async () => {
    const create = await replicaModelRegistry.toy();
    return async (options, context) => {
      const model: ReplicaModel = await create(options, context);
      if (context.rank !== 1) return model;
      let calls = 0;
      const compute = model.computeGradients.bind(model);
      model.computeGradients = async (batch, globalTokenCount) => {
        if (++calls === errorOnCall) {
          const engine = replicaGpuEngine();
          if (!engine) throw new Error('this replica has no GPU engine (was it started on webgpu?)');
          const before = engine.errors.length;
          // MAP_READ may only be combined with COPY_DST: a validation error nobody captures.
          engine.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
          for (let i = 0; i < 500 && engine.errors.length === before; i++) {
            await engine.device.queue.onSubmittedWorkDone();
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
        }
        return compute(batch, globalTokenCount);
      };
      return model;
    };
  },
});
