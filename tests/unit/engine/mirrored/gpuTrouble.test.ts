/**
 * A Node replica's Dawn device is watched like a browser worker's: useNodeBackend (what a Node worker entry
 * hands the host) gives its GpuEngine to initReplicaBackend, so a real uncaptured WebGPU validation error
 * becomes a 'gpuError' trouble report (the replica host posts it as its fault), and releasing the device on purpose reports nothing. End to end, a
 * validation error inside one worker-thread replica of a mirrored run is a fault that names that replica.
 */
import { describe, expect, it } from 'vitest';
import { nodeWorkerEndpoint } from '../../../../src/engine/threads/nodeEndpoint';
import { initReplicaBackend, releaseReplicaBackend, replicaGpuEngine } from '../../../../src/engine/mirrored/worker/backend';
import { useNodeBackend } from '../../../../src/engine/platform/nodeBackend';
import { setupGpu } from '../../gpu/setup';
import { makeTrainer } from './fixtures';
import { skipUnlessPresent } from '../../../prerequisites.ts';

// Probe only: the test starts its own device through the replica path below.
const probe = await setupGpu();
probe.engine?.destroy();

describe.skipIf(skipUnlessPresent(probe.skipReason, 'a WebGPU adapter in Node (Dawn)'))(`Node replica GPU trouble (${probe.adapter || probe.skipReason})`, () => {
  it('a validation error on the replica device is reported; a deliberate release is not', async () => {
    const troubles: { kind: string; message: string }[] = [];
    const ready = await initReplicaBackend('webgpu', (kind, message) => troubles.push({ kind, message }), useNodeBackend);
    expect(ready).toMatchObject({ backend: 'webgpu' });
    // Plain data only: the ready answer is posted to the trainer.
    expect('engine' in ready).toBe(false);
    const engine = replicaGpuEngine();
    expect(engine).not.toBeNull();
    // MAP_READ may only be combined with COPY_DST: a real validation error, uncaptured.
    engine!.device.createBuffer({ size: 16, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.STORAGE });
    // Until the error arrives; a hang is bounded by the test timeout.
    while (troubles.length === 0) {
      await engine!.device.queue.onSubmittedWorkDone();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(troubles).toHaveLength(1);
    expect(troubles[0].kind).toBe('gpuError');
    expect(troubles[0].message).toMatch(/^WebGPU validation error: /);
    releaseReplicaBackend();
    expect(replicaGpuEngine()).toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(troubles).toHaveLength(1);
  });

  it('a validation error in a worker-thread replica is a fault naming it', async () => {
    const errorWorker = new URL('./gpuErrorReplicaWorker.ts', import.meta.url);
    const { trainer, events } = makeTrainer({ replicas: 2, allReduce: 'ring' }, { backend: 'webgpu', spawn: () => nodeWorkerEndpoint(errorWorker) });
    trainer.on((e) => {
      if (e.type === 'replicaFault') void trainer.stop();
    });
    await trainer.start();
    expect(events.find((e) => e.type === 'backendChosen')).toMatchObject({ backend: 'webgpu' });
    const faults = events.filter((e) => e.type === 'replicaFault');
    expect(faults).toHaveLength(1);
    // The rank-1 toy provokes the error during its second step (index 1).
    expect(faults[0]).toMatchObject({ replica: 1, step: 1, cause: 'deviceLost' });
    expect((faults[0] as { message: string }).message).toMatch(/^Replica 1 hit a WebGPU error: WebGPU validation error: /);
    expect(trainer.state).toBe('stopped');
  });
});
