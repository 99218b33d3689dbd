/**
 * Checkpoints in the browser: IndexedDB through `idb`. One record per run id holds every file; a single
 * put in one transaction replaces it, so the previous checkpoint survives anything that interrupts a save.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { toBytes, type CheckpointFiles, type CheckpointStore } from './checkpoint.ts';
import { storageAnswer, withinQuota } from '../platform/storage.ts';

export const CHECKPOINT_DB_NAME = 'caption-studio-checkpoints';

interface CheckpointRecord {
  run: string;
  savedAt: string;
  files: Record<string, Uint8Array>;
}

interface CheckpointDb extends DBSchema {
  checkpoints: { key: string; value: CheckpointRecord };
}

export class IdbCheckpointStore implements CheckpointStore {
  readonly location: string;

  private constructor(
    private readonly db: IDBPDatabase<CheckpointDb>,
    private readonly run: string,
  ) {
    this.location = `indexeddb:${run}`;
  }

  static async open(run: string, dbName = CHECKPOINT_DB_NAME): Promise<IdbCheckpointStore> {
    const db = await storageAnswer(
      () =>
        openDB<CheckpointDb>(dbName, 1, {
          upgrade(database) {
            database.createObjectStore('checkpoints', { keyPath: 'run' });
          },
        }),
      'opening the checkpoint store',
    );
    return new IdbCheckpointStore(db, run);
  }

  async save(files: CheckpointFiles): Promise<void> {
    const record: CheckpointRecord = {
      run: this.run,
      savedAt: new Date().toISOString(),
      files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, toBytes(v)])),
    };
    const bytes = Object.values(record.files).reduce((sum, f) => sum + f.byteLength, 0);
    const previous = await this.db.get('checkpoints', this.run);
    // One put in one transaction: on a full storage it aborts and the previous checkpoint stays as it was.
    await withinQuota(
      async () => {
        const tx = this.db.transaction('checkpoints', 'readwrite');
        const done = tx.done.catch(() => undefined);
        try {
          await tx.store.put(record);
          await tx.done;
        } catch (error) {
          // The transaction's own error (QuotaExceededError, UnknownError) says why; the put only says "aborted".
          await done;
          throw tx.error ?? error;
        }
      },
      'the checkpoint',
      bytes,
      previous
        ? `the last complete checkpoint (saved ${previous.savedAt}) is kept and readable; free space by clearing the feature cache (Features panel) or train with a smaller vocabulary or model`
        : 'no checkpoint of this run was saved before; free space by clearing the feature cache (Features panel) or train with a smaller vocabulary or model',
    );
  }

  async load(): Promise<Record<string, Uint8Array> | null> {
    const record = await storageAnswer(() => this.db.get('checkpoints', this.run), 'reading the last checkpoint');
    return record ? record.files : null;
  }

  /** Runs with a checkpoint, for a "resume" list in the page. */
  async runs(): Promise<string[]> {
    return this.db.getAllKeys('checkpoints');
  }

  close(): void {
    this.db.close();
  }
}
