/**
 * The Dataset panel's state: which folder is loaded, under which text protocol, its statistics, warnings and
 * a few sample images. Loading is async; a newer load supersedes an older one (its result is dropped).
 */
import type { StateCreator } from 'zustand/vanilla';
import { memoryFolder } from '../../core/data/folders.ts';
import type { CaptionFormat, Folder, Problem, Protocol } from '../../core/data/types.ts';
import { isUserError } from '../../core/errors.ts';
import { loadFolder, summarize, type DatasetStats, type LoadedFolder, type Progress, type SplitNotice } from '../../core/data/pipeline.ts';
import type { DemoOptions, StudioDeps } from '../deps.ts';
import type { StudioState } from '../studioStore.ts';

export const DEMO_DEFAULTS: DemoOptions = { images: 300, seed: 1 };
/** Sample images shown in the strip. */
export const SAMPLE_COUNT = 8;

export type DatasetStatus = 'empty' | 'loading' | 'ready' | 'error';

export interface SampleImage {
  name: string;
  file: string;
  /** Captions as written in the caption file. */
  captions: string[];
  /** Object URL of the image bytes; null where object URLs are not available. */
  url: string | null;
}

export interface DatasetSource {
  kind: 'demo' | 'folder';
  name: string;
  /** The demo's options, so a reload can draw the same demo again. */
  demo?: DemoOptions;
}

/** A folder that was loaded before a reload and cannot come back by itself: why, and what one click does. */
export interface DatasetReopen {
  name: string;
  message: string;
  /** 'permission': the browser kept the folder's handle and asks the user again; 'pick': it must be picked again. */
  action: 'permission' | 'pick';
}

export interface DatasetSlice {
  datasetStatus: DatasetStatus;
  datasetProgress: Progress | null;
  datasetSource: DatasetSource | null;
  protocol: Protocol;
  datasetFormat: CaptionFormat | null;
  captionFile: string | null;
  warnings: Problem[];
  /** The training or test split the protocol leaves without an image of this folder, one sentence each. */
  splitNotices: SplitNotice[];
  stats: DatasetStats | null;
  samples: SampleImage[];
  /** One readable line when the folder could not be used (or a bug's message). */
  datasetError: string | null;
  /** Set after a reload when the folder loaded before cannot come back without the user. */
  datasetReopen: DatasetReopen | null;

  loadDemo(options?: Partial<DemoOptions>): Promise<void>;
  loadFolder(folder: Folder, kind?: DatasetSource['kind']): Promise<void>;
  setProtocol(protocol: Protocol): void;
  clearDataset(): void;
  setDatasetReopen(reopen: DatasetReopen | null): void;
  /**
   * The loaded folder and dataset (not state: a Folder is not plain data), for engines that read images and
   * captions (feature extraction, training). Null while nothing is loaded.
   */
  loadedFolder(): LoadedFolder | null;
}

const MIME_BY_EXTENSION: Record<string, string> = {
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  gif: 'image/gif',
  webp: 'image/webp',
  bmp: 'image/bmp',
};

function mimeOf(path: string): string {
  return MIME_BY_EXTENSION[path.slice(path.lastIndexOf('.') + 1).toLowerCase()] ?? 'application/octet-stream';
}

function messageOf(error: unknown): string {
  if (isUserError(error)) {
    const where = error.file ? `${error.file}${error.line === undefined ? '' : `:${error.line}`}: ` : '';
    return error.message.includes(error.file ?? '\u0000') ? error.message : `${where}${error.message}`;
  }
  return error instanceof Error ? `unexpected error: ${error.message}` : String(error);
}

/** The dataset part of the state with nothing loaded: the start, a cleared dataset, and the start of a load. */
const NO_DATASET = {
  datasetStatus: 'empty',
  datasetProgress: null,
  datasetSource: null,
  datasetFormat: null,
  captionFile: null,
  warnings: [],
  splitNotices: [],
  stats: null,
  samples: [],
  datasetError: null,
  datasetReopen: null,
} satisfies Partial<DatasetSlice>;

export const createDatasetSlice =
  (deps: StudioDeps): StateCreator<StudioState, [], [], DatasetSlice> =>
  (set, get) => {
    // Kept out of the state: a Folder is not plain data, and the store must stay serialisable.
    let loaded: LoadedFolder | null = null;
    let loadId = 0;
    let liveUrls: string[] = [];

    function revokeSamples(): void {
      for (const url of liveUrls) deps.objectUrls?.revoke(url);
      liveUrls = [];
    }

    async function pickSamples(current: LoadedFolder, id: number): Promise<SampleImage[]> {
      const withFiles = current.dataset.images.filter((image) => image.file !== null);
      // Spread over the dataset rather than the first few, which are often near-duplicates.
      const step = Math.max(1, Math.floor(withFiles.length / SAMPLE_COUNT));
      const chosen = withFiles.filter((_, index) => index % step === 0).slice(0, SAMPLE_COUNT);
      const samples: SampleImage[] = [];
      for (const image of chosen) {
        const file = image.file as string;
        let url: string | null = null;
        if (deps.objectUrls) {
          try {
            url = deps.objectUrls.create(await current.folder.read(file), mimeOf(file));
          } catch {
            url = null; // an unreadable image is already listed among the warnings
          }
        }
        if (url !== null && id !== loadId) deps.objectUrls?.revoke(url);
        else if (url !== null) liveUrls.push(url);
        samples.push({ name: image.name, file, captions: image.captions, url });
      }
      return samples;
    }

    function applyProtocol(current: LoadedFolder, protocol: Protocol): Partial<DatasetSlice> {
      try {
        const summary = summarize(current, protocol);
        return {
          protocol,
          stats: summary.stats,
          warnings: summary.warnings,
          splitNotices: summary.splitNotices,
          datasetError: null,
          datasetStatus: 'ready',
        };
      } catch (error) {
        return { protocol, stats: null, warnings: current.dataset.problems, splitNotices: [], datasetError: messageOf(error), datasetStatus: 'error' };
      }
    }

    async function load(folderPromise: () => Promise<Folder>, source: DatasetSource): Promise<void> {
      const id = ++loadId;
      revokeSamples();
      loaded = null;
      set({ ...NO_DATASET, datasetStatus: 'loading', datasetSource: source });
      const onProgress = (progress: Progress) => {
        if (id === loadId) set({ datasetProgress: progress });
      };
      try {
        const folder = await folderPromise();
        const current = await loadFolder(folder, { onProgress });
        if (id !== loadId) return;
        loaded = current;
        const samples = await pickSamples(current, id);
        if (id !== loadId) return;
        set({
          ...applyProtocol(current, get().protocol),
          datasetFormat: current.dataset.format,
          captionFile: current.dataset.captionFile,
          samples,
          datasetProgress: null,
        });
      } catch (error) {
        if (id !== loadId) return;
        set({ datasetStatus: 'error', datasetError: messageOf(error), datasetProgress: null });
      }
    }

    return {
      ...NO_DATASET,
      protocol: 'standard',

      loadDemo: (options = {}) => {
        const demo = { ...DEMO_DEFAULTS, ...options };
        const name = `demo (${demo.images} images, seed ${demo.seed})`;
        return load(async () => {
          set({ datasetProgress: { phase: 'drawing the demo images', done: 0, total: demo.images } });
          return memoryFolder('demo', await deps.generateDemo(demo));
        }, { kind: 'demo', name, demo });
      },

      loadFolder: (folder, kind = 'folder') => load(async () => folder, { kind, name: folder.name }),

      setProtocol: (protocol) => {
        if (protocol === get().protocol) return;
        if (loaded === null || get().datasetStatus === 'loading') set({ protocol });
        else set(applyProtocol(loaded, protocol));
      },

      loadedFolder: () => loaded,

      setDatasetReopen: (datasetReopen) => set({ datasetReopen }),

      clearDataset: () => {
        loadId++;
        revokeSamples();
        loaded = null;
        set(NO_DATASET);
      },
    };
  };
