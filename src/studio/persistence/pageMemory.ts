/**
 * What the page shows comes back after a reload: the dataset that was loaded (the demo is drawn again; a
 * folder opened with the directory picker is asked for again with one click; one picked as files or dropped
 * cannot be read again, and the page says so), the Features panel's choice and the features the cache holds
 * for that dataset, the run comparison table and the last evaluation (each result still naming its model and
 * dataset). Saved to IndexedDB a moment after any of them changes.
 */
import { openDB } from 'idb';
import type { Folder, Protocol } from '../../core/data/types.ts';
import type { FeatureIdentity } from '../../model/backbones/types.ts';
import type { DatasetSource } from '../../store/slices/dataset.ts';
import type { ProtocolResult } from '../../store/slices/evaluation.ts';
import type { FeaturesData } from '../../store/slices/features.ts';
import type { RunSummary } from '../../store/slices/training/runHistory.ts';
import type { StudioState, StudioStore } from '../../store/studioStore.ts';

export interface PageSnapshot {
  version: 1;
  dataset: (DatasetSource & { protocol: Protocol; handle?: FileSystemDirectoryHandle }) | null;
  featureChoice: Pick<FeaturesData, 'backbone' | 'weights' | 'weightsUrl'>;
  /** The features extracted last, and the dataset they were extracted from. */
  features: { identity: FeatureIdentity; dataset: string } | null;
  history: RunSummary[];
  evaluation: Partial<Record<Protocol, ProtocolResult>>;
}

export interface PagePersistence {
  save(snapshot: PageSnapshot): Promise<void>;
  load(): Promise<PageSnapshot | null>;
}

export const PAGE_DB_NAME = 'caption-studio-page';

export function idbPagePersistence(dbName = PAGE_DB_NAME): PagePersistence {
  const db = () => openDB(dbName, 1, { upgrade: (database) => void database.createObjectStore('page') });
  return {
    async save(snapshot) {
      const d = await db();
      try {
        await d.put('page', snapshot, 'last');
      } finally {
        d.close();
      }
    },
    async load() {
      const d = await db();
      try {
        const found = (await d.get('page', 'last')) as PageSnapshot | undefined;
        return found?.version === 1 ? found : null;
      } finally {
        d.close();
      }
    },
  };
}

export function memoryPagePersistence(): PagePersistence & { saves: number } {
  let saved: PageSnapshot | null = null;
  return {
    saves: 0,
    async save(snapshot) {
      this.saves++;
      saved = structuredClone(snapshot);
    },
    load: async () => (saved ? structuredClone(saved) : null),
  };
}

/** What the page memory asks of the session: the features the cache holds for the dataset loaded again. */
export interface FeatureRestorer {
  restoreCachedFeatures(identity: FeatureIdentity): Promise<void>;
}

export interface RestoreOptions {
  /** Bring the dataset back (false: the page was opened with ?empty). */
  dataset: boolean;
  /** With no dataset to bring back, load the demo (a new user's first visit). */
  demoWhenNone: boolean;
  /** That demo's options (the page's ?demoImages=N); default: the demo's defaults. */
  demo?: { images: number };
  /** Makes a Folder of a directory handle (the page's; absent in Node). */
  folderFromHandle?: (handle: FileSystemDirectoryHandle) => Folder;
}

type PermissionHandle = FileSystemDirectoryHandle & {
  queryPermission?(options: { mode: 'read' }): Promise<PermissionState>;
  requestPermission?(options: { mode: 'read' }): Promise<PermissionState>;
};

function handleOf(folder: Folder | undefined): FileSystemDirectoryHandle | undefined {
  return (folder as { handle?: FileSystemDirectoryHandle } | undefined)?.handle;
}

export class PageMemory {
  private last: PageSnapshot | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pendingFeatures: PageSnapshot['features'] = null;
  private readonly unsubscribe: () => void;
  private folderFromHandle: RestoreOptions['folderFromHandle'];

  constructor(
    private readonly store: StudioStore,
    private readonly session: FeatureRestorer,
    private readonly persistence: PagePersistence,
    private readonly saveDelayMs = 250,
  ) {
    this.unsubscribe = store.subscribe((state, prev) => this.onChange(state, prev));
  }

  private onChange(state: StudioState, prev: StudioState): void {
    const pending = this.pendingFeatures;
    if (pending && state.datasetStatus === 'ready' && state.datasetSource?.name === pending.dataset) {
      this.pendingFeatures = null;
      void this.session.restoreCachedFeatures(pending.identity);
    }
    const changed =
      state.datasetSource !== prev.datasetSource ||
      state.protocol !== prev.protocol ||
      state.features.identity !== prev.features.identity ||
      state.features.backbone !== prev.features.backbone ||
      state.features.weights !== prev.features.weights ||
      state.features.weightsUrl !== prev.features.weightsUrl ||
      state.training.history !== prev.training.history ||
      state.evaluation.results !== prev.evaluation.results;
    if (changed) this.scheduleSave();
  }

  private scheduleSave(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.saveNow();
    }, this.saveDelayMs);
  }

  /** The snapshot of the page now (what a reload brings back). */
  snapshot(): PageSnapshot {
    const s = this.store.getState();
    const source = s.datasetSource;
    const sameAsLast = this.last?.dataset && source && this.last.dataset.name === source.name && this.last.dataset.kind === source.kind;
    const handle = handleOf(s.loadedFolder()?.folder) ?? (sameAsLast ? this.last?.dataset?.handle : undefined);
    const extracted = s.features.identity && s.features.status === 'done' && source ? { identity: s.features.identity, dataset: source.name } : null;
    // A folder waiting to be opened again is still the page's dataset: a second reload keeps offering it.
    const waiting = !source && s.datasetReopen && this.last?.dataset?.name === s.datasetReopen.name ? this.last : null;
    const datasetName = source?.name ?? waiting?.dataset?.name;
    return {
      version: 1,
      dataset: source ? { ...source, protocol: s.protocol, ...(handle ? { handle } : {}) } : (waiting?.dataset ?? null),
      featureChoice: { backbone: s.features.backbone, weights: s.features.weights, weightsUrl: s.features.weightsUrl },
      // Features of this dataset extracted before a reload stay remembered until others are extracted.
      features: extracted ?? (this.last?.features && this.last.features.dataset === datasetName ? this.last.features : null),
      history: s.training.history,
      evaluation: s.evaluation.results,
    };
  }

  async saveNow(): Promise<void> {
    const snapshot = this.snapshot();
    this.last = snapshot;
    try {
      await this.persistence.save(snapshot);
    } catch {
      // A page without storage (private mode, quota) still works; it only forgets on reload.
    }
  }

  /** After a reload: brings back what the snapshot holds. */
  async restore(options: RestoreOptions): Promise<void> {
    this.folderFromHandle = options.folderFromHandle;
    let saved: PageSnapshot | null = null;
    try {
      saved = await this.persistence.load();
    } catch {
      saved = null;
    }
    this.last = saved;
    const s = this.store.getState();
    if (saved) {
      if (saved.history.length) s.restoreRunHistory(saved.history);
      for (const result of Object.values(saved.evaluation)) if (result) s.setProtocolResult(result);
      s.setFeatureOptions(saved.featureChoice);
    }
    const dataset = options.dataset ? saved?.dataset : null;
    if (!dataset) {
      if (options.dataset && options.demoWhenNone) await s.loadDemo(options.demo);
      return;
    }
    this.pendingFeatures = saved?.features ?? null;
    s.setProtocol(dataset.protocol);
    if (dataset.kind === 'demo') {
      await s.loadDemo(dataset.demo);
      return;
    }
    const handle = dataset.handle as PermissionHandle | undefined;
    if (handle && options.folderFromHandle && (await handle.queryPermission?.({ mode: 'read' })) === 'granted') {
      await s.loadFolder(options.folderFromHandle(handle));
      return;
    }
    s.setDatasetReopen(
      handle && options.folderFromHandle
        ? {
            name: dataset.name,
            action: 'permission',
            message: `${dataset.name} was open before the reload: the browser asks for your permission again before this page reads it.`,
          }
        : {
            name: dataset.name,
            action: 'pick',
            message: `${dataset.name} was loaded before the reload from files you picked or dropped: a browser does not let a page read those again by itself. Pick the folder again to go on.`,
          },
    );
  }

  /** The one click of a 'permission' re-open: asks for the folder again and loads it; false when refused. */
  async reopenWithPermission(): Promise<boolean> {
    const handle = this.last?.dataset?.handle as PermissionHandle | undefined;
    if (!handle || !this.folderFromHandle) return false;
    const granted = (await handle.requestPermission?.({ mode: 'read' })) ?? 'granted';
    if (granted !== 'granted') return false;
    await this.store.getState().loadFolder(this.folderFromHandle(handle));
    return true;
  }

  dispose(): void {
    this.unsubscribe();
    if (this.timer !== null) clearTimeout(this.timer);
  }
}
