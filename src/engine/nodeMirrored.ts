/** Node only: a MirroredTrainer whose replicas are worker threads (tsx-loaded workers/replica.worker.ts). */
import { MirroredTrainer } from './mirroredTrainer';
import type { MirroredTrainerOptions } from './mirroredTypes';
import { nodeWorkerEndpoint } from './nodeEndpoint';

export function nodeMirroredTrainer<Batch>(options: Omit<MirroredTrainerOptions<Batch>, 'spawn'>): MirroredTrainer<Batch> {
  return new MirroredTrainer<Batch>({ ...options, spawn: () => nodeWorkerEndpoint() });
}
