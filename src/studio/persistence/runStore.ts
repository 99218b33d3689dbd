/**
 * Runs that survive a reload, in IndexedDB: the last finished (or stopped) run's charts and its model archive
 * (one slot: a new run replaces the previous one once it is fully written), and the run going now as of its
 * latest checkpoint (another slot, cleared when it ends).
 */
import { openDB } from 'idb';
import type { SavedRunSummary } from '../../store/slices/model.ts';
import type { TrainingData } from '../../store/slices/training/index.ts';

/** What a run's charts need to be drawn again, and how it ended ('finished', 'stopped'; absent: stopped). */
export type SavedChart = Pick<TrainingData, 'config' | 'steps' | 'epochs' | 'lastCheckpoint'> &
  Partial<Pick<TrainingData, 'dataset' | 'placement' | 'runId' | 'startedAtMs' | 'stepsPerEpoch'>> & { ended?: 'finished' | 'stopped' };

export interface SavedRun {
  summary: SavedRunSummary;
  chart: SavedChart;
  /** The model archive (zip), as exported. */
  archive: Uint8Array;
}

export interface RunPersistence {
  save(run: SavedRun): Promise<void>;
  load(): Promise<SavedRun | null>;
  clear(): Promise<void>;
  /**
   * The run going now, as of its latest checkpoint (written at each one, cleared when it ends): a reload in
   * the middle of a run offers exactly that run's checkpoint.
   */
  saveCurrent(chart: SavedChart): Promise<void>;
  loadCurrent(): Promise<SavedChart | null>;
  clearCurrent(): Promise<void>;
}

export const RUN_DB_NAME = 'caption-studio-runs';
const STORE = 'runs';
const LAST = 'last';
const CURRENT = 'current';

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
    async saveCurrent(chart) {
      const d = await db();
      try {
        await d.put(STORE, chart, CURRENT);
      } finally {
        d.close();
      }
    },
    async loadCurrent() {
      const d = await db();
      try {
        return ((await d.get(STORE, CURRENT)) as SavedChart | undefined) ?? null;
      } finally {
        d.close();
      }
    },
    async clearCurrent() {
      const d = await db();
      try {
        await d.delete(STORE, CURRENT);
      } finally {
        d.close();
      }
    },
  };
}

export function memoryRunPersistence(): RunPersistence {
  let saved: SavedRun | null = null;
  let current: SavedChart | null = null;
  return {
    save: async (run) => void (saved = structuredClone(run)),
    load: async () => (saved ? structuredClone(saved) : null),
    clear: async () => void (saved = null),
    saveCurrent: async (chart) => void (current = structuredClone(chart)),
    loadCurrent: async () => (current ? structuredClone(current) : null),
    clearCurrent: async () => void (current = null),
  };
}
