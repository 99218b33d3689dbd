/**
 * Checkpoints in the browser: IndexedDB through `idb`. One record per run id holds every file; a single
 * put in one transaction replaces it, so the previous checkpoint survives anything that interrupts a save.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { toBytes, type CheckpointFiles, type CheckpointStore } from './checkpoint.ts';

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
    const db = await openDB<CheckpointDb>(dbName, 1, {
      upgrade(database) {
        database.createObjectStore('checkpoints', { keyPath: 'run' });
      },
    });
    return new IdbCheckpointStore(db, run);
  }

  async save(files: CheckpointFiles): Promise<void> {
    const record: CheckpointRecord = {
      run: this.run,
      savedAt: new Date().toISOString(),
      files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, toBytes(v)])),
    };
    await this.db.put('checkpoints', record);
  }

  async load(): Promise<Record<string, Uint8Array> | null> {
    const record = await this.db.get('checkpoints', this.run);
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
