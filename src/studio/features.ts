/**
 * The Features panel's work: extracting the loaded dataset's features with the chosen backbone (or finding
 * them in the cache after a reload), and the backbone each dataset starts with. Holds the feature vectors;
 * the store sees the progress and the identity.
 */
import type { LoadedDataset } from '../core/data/types.ts';
import type { FeatureIdentity } from '../model/backbones/types.ts';
import { BUILTIN_DEMO_WEIGHTS_URL, featureDefaultsFor, weightsLabelOf } from '../store/slices/features.ts';
import type { StudioStore } from '../store/studioStore.ts';
import { isAbort, toStudioError, type BackboneRequest, type DatasetAccess, type ExtractionRun, type StudioEngines } from './ports.ts';

/** The dataset's images that have a file, as the extraction reads them. */
function imagesOf(loaded: { folder: { read(path: string): Promise<Uint8Array> }; dataset: LoadedDataset }) {
  return loaded.dataset.images
    .filter((image) => image.file !== null)
    .map((image) => ({ name: image.name, read: () => loaded.folder.read(image.file as string) }));
}

/** Bytes of the vectors' numbers (what the page holds for training). */
function featureBytes(features: Map<string, Float32Array>): number {
  let bytes = 0;
  for (const vector of features.values()) bytes += vector.byteLength;
  return bytes;
}

export class FeatureWork {
  private extraction: ExtractionRun | null = null;
  /** The dataset the features were extracted from (identity of the loaded dataset object). */
  private extractionOf: unknown = null;
  private extractAbort: AbortController | null = null;
  private weightsFiles: File[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: StudioStore,
    private readonly dataset: DatasetAccess,
    private readonly engines: StudioEngines,
  ) {
    // A dataset brings its backbone default (the demo: the demo CNN), unless the user chose one.
    const applyDefaults = (source: { kind: 'demo' | 'folder' } | null) => source && store.getState().applyFeatureDefaults(featureDefaultsFor(source.kind));
    applyDefaults(store.getState().datasetSource);
    this.unsubscribe = store.subscribe((state, prev) => {
      if (state.datasetSource !== prev.datasetSource) applyDefaults(state.datasetSource);
    });
  }

  /**
   * The features of the dataset loaded now; null (and the Features panel reset) when another dataset was
   * loaded since the extraction, whose features do not fit it.
   */
  current(): ExtractionRun | null {
    if (!this.extraction) return null;
    if (this.extractionOf !== this.dataset.loaded()?.dataset) {
      this.extraction = null;
      this.extractionOf = null;
      this.store.getState().updateExtraction({ status: 'idle', done: 0, total: 0, fromCache: 0, cached: null, memoryBytes: null, etaMs: null, imagesPerSecond: null });
      return null;
    }
    return this.extraction;
  }

  async extract(weightsFiles: File[] = []): Promise<void> {
    const s = this.store.getState();
    const loaded = this.dataset.loaded();
    if (!loaded) {
      s.updateExtraction({ status: 'failed', error: { message: 'Load a dataset first (Dataset tab), then extract its features.' } });
      return;
    }
    if (!this.engines.extract) return;
    this.extractAbort?.abort();
    const abort = new AbortController();
    this.extractAbort = abort;
    this.weightsFiles = weightsFiles;
    const images = imagesOf(loaded);
    s.updateExtraction({ status: 'loading-weights', done: 0, total: images.length, fromCache: 0, error: null, imagesPerSecond: null, etaMs: null });
    try {
      const run = await this.engines.extract({
        ...this.request(),
        images,
        signal: abort.signal,
        onStatus: (status) => this.store.getState().updateExtraction({ status }),
        onProgress: (p) => this.store.getState().reportExtractionProgress({ done: p.done, total: p.total, fromCache: p.cached, elapsedMs: p.elapsedMs }),
      });
      this.extraction = run;
      this.extractionOf = loaded.dataset;
      this.store.getState().updateExtraction({
        status: 'done',
        featureDim: run.featureDim,
        identity: run.identity ?? null,
        weightsLabel: run.weightsLabel,
        cached: run.features.size,
        memoryBytes: featureBytes(run.features),
        etaMs: 0,
        error: run.skipped.length
          ? { message: `${run.skipped.length} image(s) could not be read and were left out.`, detail: run.skipped.map((x) => `${x.name}: ${x.reason}`).join('\n') }
          : null,
      });
    } catch (error) {
      // Stopped only when the user stopped it: an AbortError of the browser's own (IndexedDB aborts a
      // transaction on a full disk) is a failure to show, not a quiet "Stopped" at 0 of 48.
      const stopped = abort.signal.aborted && isAbort(error);
      this.store.getState().updateExtraction(
        stopped ? { status: 'aborted', etaMs: null } : { status: 'failed', error: toStudioError(error, 'Feature extraction') },
      );
    } finally {
      if (this.extractAbort === abort) this.extractAbort = null;
      void this.refreshStorage();
    }
  }

  /** Reads how much the page's storage holds, and the feature cache of the features shown, into the Features panel. */
  async refreshStorage(): Promise<void> {
    const identity = this.store.getState().features.identity;
    const [storage, cacheSize] = await Promise.all([
      this.engines.storageUsage?.().catch(() => null) ?? null,
      identity ? (this.engines.featureCacheSize?.(identity).catch(() => null) ?? null) : null,
    ]);
    this.store.getState().updateExtraction({ storage, cacheSize });
  }

  /** Deletes the feature cache (a full storage's way out); features of this page's last extraction stay in memory. */
  async clearCache(): Promise<void> {
    await this.engines.clearFeatureCache?.();
    this.store.getState().updateExtraction({ cached: null });
    await this.refreshStorage();
  }

  /**
   * After a reload: the features of `identity` the cache holds for the dataset loaded again are shown as
   * extracted (all of them) or as a resumable extraction (some), without loading the network.
   */
  async restoreCached(identity: FeatureIdentity): Promise<void> {
    const loaded = this.dataset.loaded();
    if (!loaded || !this.engines.cachedFeatures || this.extraction) return;
    const images = imagesOf(loaded);
    const { features, missing } = await this.engines.cachedFeatures(identity, images);
    // A dataset loaded or an extraction started meanwhile wins; nothing cached: nothing to say.
    if (features.size === 0 || this.extraction || this.dataset.loaded() !== loaded) return;
    const complete = missing.length === 0;
    if (complete) {
      this.extraction = { features, featureDim: identity.featureDim, identity, weightsLabel: weightsLabelOf(identity), skipped: [] };
      this.extractionOf = loaded.dataset;
    }
    this.store.getState().updateExtraction({
      status: complete ? 'done' : 'aborted',
      done: features.size,
      total: images.length,
      fromCache: features.size,
      cached: features.size,
      memoryBytes: complete ? featureBytes(features) : null,
      featureDim: identity.featureDim,
      identity,
      weightsLabel: weightsLabelOf(identity),
      imagesPerSecond: null,
      etaMs: complete ? 0 : null,
      error: null,
    });
    void this.refreshStorage();
  }

  request(): BackboneRequest {
    const { backbone, weights, weightsUrl } = this.store.getState().features;
    return {
      backbone,
      weights:
        weights === 'builtin'
          ? { kind: 'url', url: BUILTIN_DEMO_WEIGHTS_URL }
          : weights === 'url'
            ? { kind: 'url', url: weightsUrl }
            : weights === 'files'
              ? { kind: 'files', files: this.weightsFiles }
              : { kind: 'random' },
    };
  }

  abort(): void {
    this.extractAbort?.abort();
  }

  dispose(): void {
    this.extractAbort?.abort();
    this.unsubscribe();
  }
}
