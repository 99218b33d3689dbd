/**
 * The Trainer interface: one contract for the in-process trainer (one replica on this thread) and the
 * mirrored trainer (N replicas in workers), so the page, the CLI and the tests drive either the same way.
 * Events are plain data (structured-clone safe): they cross threads and go into the store as they are.
 */
import type { Bleu, TrainerEvent, TrainerState } from '../../protocol/training';

export {
  defaultTrainConfig,
  maxReplicas,
  zeroBleu,
  type AllReduceAlgorithm,
  type BackendName,
  type Bleu,
  type Layout,
  type Precision,
  type ReplicaFaultCause,
  type ReplicaPhasesMs,
  type SerializedError,
  type TrainConfig,
  type TrainerEvent,
  type TrainerState,
} from '../../protocol/training';

export type TrainerListener = (event: TrainerEvent) => void;

export interface Trainer {
  readonly state: TrainerState;
  /** Runs until finished, stopped or failed; resolves then. Resumes from the last checkpoint if asked. */
  start(options?: { resume?: boolean; signal?: AbortSignal }): Promise<void>;
  pause(): void;
  resume(): void;
  /** Stops after the current step; the last checkpoint stays intact. */
  stop(): Promise<void>;
  /** Loss and BLEU-1..4 on a split with greedy decoding. */
  evaluate(split: 'val' | 'test', options?: { limit?: number }): Promise<{ loss: number; bleu: Bleu }>;
  on(listener: TrainerListener): () => void;
  dispose(): Promise<void>;
}
