/**
 * Runs that survive a reload: the last finished (or stopped) run's charts and its model archive, in
 * IndexedDB. One slot: a new run replaces the previous one once it is fully written.
 */
import { openDB } from 'idb';
import type { SavedRunSummary } from '../store/slices/model.ts';
import type { TrainingData } from '../store/slices/training.ts';

export interface SavedRun {
  summary: SavedRunSummary;
  chart: Pick<TrainingData, 'config' | 'steps' | 'epochs' | 'lastCheckpoint'>;
  /** The model archive (zip), as exported. */
  archive: Uint8Array;
}

export interface RunPersistence {
  save(run: SavedRun): Promise<void>;
  load(): Promise<SavedRun | null>;
  clear(): Promise<void>;
}

export const RUN_DB_NAME = 'caption-studio-runs';
const STORE = 'runs';
const LAST = 'last';

export function idbRunPersistence(dbName = RUN_DB_NAME): RunPersistence {
  const db = () =>
    openDB(dbName, 1, {
      upgrade(database) {
        database.createObjectStore(STORE);
      },
    });
  return {
    async save(run) {
      const d = await db();
      try {
        await d.put(STORE, run, LAST);
      } finally {
        d.close();
      }
    },
    async load() {
      const d = await db();
      try {
        return ((await d.get(STORE, LAST)) as SavedRun | undefined) ?? null;
      } finally {
        d.close();
      }
    },
    async clear() {
      const d = await db();
      try {
        await d.delete(STORE, LAST);
      } finally {
        d.close();
      }
    },
  };
}

export function memoryRunPersistence(): RunPersistence {
  let saved: SavedRun | null = null;
  return {
    save: async (run) => void (saved = structuredClone(run)),
    load: async () => (saved ? structuredClone(saved) : null),
    clear: async () => void (saved = null),
  };
}
