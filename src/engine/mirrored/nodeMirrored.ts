/** Node only: a MirroredTrainer whose replicas are worker threads (tsx-loaded workers/replica.worker.ts). */
import { MirroredTrainer } from './trainer';
import type { MirroredTrainerOptions } from './types';
import { nodeWorkerEndpoint } from '../threads/nodeEndpoint';

export function nodeMirroredTrainer<Batch>(options: Omit<MirroredTrainerOptions<Batch>, 'spawn'>): MirroredTrainer<Batch> {
  return new MirroredTrainer<Batch>({ ...options, spawn: () => nodeWorkerEndpoint() });
}
