/**
 * Where a run's checkpoints go. A checkpoint is a set of files (the model folder of weightsIo plus the
 * optimizer state and the trainer's progress); `save` replaces the previous checkpoint atomically, so an
 * interrupted save or an aborted run never loses the last good one.
 * Stores: MemoryCheckpointStore (tests), NodeCheckpointStore (checkpointNode.ts: a folder, write to a temp
 * folder then rename), IdbCheckpointStore (checkpointIdb.ts: one IndexedDB record per run, one transaction).
 */
export type CheckpointFiles = Record<string, Uint8Array | string>;

export interface CheckpointStore {
  /** Where it lives, for events and messages (a path or `indexeddb:<run>`). */
  readonly location: string;
  save(files: CheckpointFiles): Promise<void>;
  /** The last saved checkpoint, or null when there is none. */
  load(): Promise<Record<string, Uint8Array> | null>;
}

export function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? new TextEncoder().encode(value) : value;
}

export class MemoryCheckpointStore implements CheckpointStore {
  readonly location = 'memory';
  private files: Record<string, Uint8Array> | null = null;
  saves = 0;

  async save(files: CheckpointFiles): Promise<void> {
    this.files = Object.fromEntries(Object.entries(files).map(([k, v]) => [k, toBytes(v).slice()]));
    this.saves++;
  }

  async load(): Promise<Record<string, Uint8Array> | null> {
    return this.files && { ...this.files };
  }
}
