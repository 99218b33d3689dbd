/**
 * Checkpoints in the browser: IndexedDB through `idb`. One record per run id holds every file; a single
 * put in one transaction replaces it, so the previous checkpoint survives a save that fails.
 *
 * The browser itself can still lose it: when the disk fills during the commit (the put fails with
 * UnknownError, not the DataError of a value that could not be written), Chromium closes its IndexedDB with
 * "IO error: FILE_ERROR_NO_SPACE" and, measured once in a loaded test run, reopened it empty once space was
 * back. So the page also holds the last complete checkpoint (PageCheckpointCopy): a run continued in this
 * page reads it when IndexedDB lost it, and writes it back there.
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

/** The last complete checkpoint of each run, held in the page (it outlives a run's store, not the tab). */
export class PageCheckpointCopy {
  private readonly records = new Map<string, CheckpointRecord>();

  get(run: string): CheckpointRecord | undefined {
    return this.records.get(run);
  }

  set(record: CheckpointRecord): void {
    this.records.set(record.run, record);
  }
}

export class IdbCheckpointStore implements CheckpointStore {
  readonly location: string;

  private constructor(
    private readonly db: IDBPDatabase<CheckpointDb>,
    private readonly run: string,
    private readonly copy: PageCheckpointCopy | null,
  ) {
    this.location = `indexeddb:${run}`;
  }

  /** @param copy where the page keeps the last complete checkpoint besides IndexedDB (see the file's head) */
  static async open(run: string, dbName = CHECKPOINT_DB_NAME, copy: PageCheckpointCopy | null = null): Promise<IdbCheckpointStore> {
    const db = await storageAnswer(
      () =>
        openDB<CheckpointDb>(dbName, 1, {
          upgrade(database) {
            database.createObjectStore('checkpoints', { keyPath: 'run' });
          },
        }),
      'opening the checkpoint store',
    );
    return new IdbCheckpointStore(db, run, copy);
  }

  async save(files: CheckpointFiles): Promise<void> {
    const record: CheckpointRecord = {
      run: this.run,
      savedAt: new Date().toISOString(),
      files: Object.fromEntries(Object.entries(files).map(([k, v]) => [k, toBytes(v)])),
    };
    const bytes = Object.values(record.files).reduce((sum, f) => sum + f.byteLength, 0);
    const previous = (await this.db.get('checkpoints', this.run).catch(() => undefined)) ?? this.copy?.get(this.run);
    // One put in one transaction: on a full storage it aborts and the previous checkpoint stays as it was.
    await withinQuota(
      async () => {
        const tx = this.db.transaction('checkpoints', 'readwrite');
        const done = tx.done.catch(() => undefined);
        try {
          await tx.store.put(record);
          await tx.done;
          this.copy?.set(record);
        } catch (error) {
          // The transaction's own error (QuotaExceededError, UnknownError) says why; the put only says "aborted".
          await done;
          throw tx.error ?? error;
        }
      },
      'the checkpoint',
      bytes,
      // `previous` is whole in IndexedDB, or (when the browser lost it) in this page.
      previous
        ? `the last complete checkpoint (saved ${previous.savedAt}) is kept and readable; free space by clearing the feature cache (Features panel) or train with a smaller vocabulary or model`
        : 'no checkpoint of this run was saved before; free space by clearing the feature cache (Features panel) or train with a smaller vocabulary or model',
    );
  }

  async load(): Promise<Record<string, Uint8Array> | null> {
    const kept = this.copy?.get(this.run);
    const record = await storageAnswer(() => this.db.get('checkpoints', this.run), 'reading the last checkpoint').catch((error: unknown) => {
      if (kept) return undefined;
      throw error;
    });
    if (record) return record.files;
    if (!kept) return null;
    // The browser lost what it held: the page's copy is stored again (a failure here is the next save's to say).
    await this.db.put('checkpoints', kept).catch(() => undefined);
    return kept.files;
  }

  /** Runs with a checkpoint, for a "resume" list in the page. */
  async runs(): Promise<string[]> {
    return this.db.getAllKeys('checkpoints');
  }

  close(): void {
    this.db.close();
  }
}
