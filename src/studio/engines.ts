/**
 * The page's engines for StudioSession: what this build can do, wired to the model and engine modules.
 * A capability whose module has not landed yet is left out with a reason (the panel shows it disabled).
 * Feature extraction runs on the page's thread in batches (tfjs yields between batches).
 */
import * as tf from '@tensorflow/tfjs';
import { buildCorpus } from '../core/text/protocols.ts';
import type { Corpus, Folder, LoadedDataset, Protocol } from '../core/data/types.ts';
import { scoreCaptions } from '../core/metrics/bleu.ts';
import { selectBackend, type BackendChoice } from '../gpu/backendSelect.ts';
import type { BackendName, TrainerEvent } from '../engine/training/trainer.ts';
import type { Backbone } from '../model/backbones/types.ts';
import type { BackboneRequest, DatasetAccess, StudioEngines } from './ports.ts';
import type { StudioStore } from '../store/studioStore.ts';
import { weightsLabelOf } from '../store/slices/features.ts';

/** `?backend=wasm` (tests, slow machines) starts the backend search there; default webgpu → webgl → wasm → cpu. */
export function requestedBackend(): BackendName | undefined {
  if (typeof location === 'undefined') return undefined;
  const value = new URLSearchParams(location.search).get('backend');
  return value === 'webgpu' || value === 'webgl' || value === 'wasm' || value === 'cpu' ? value : undefined;
}

let backendChoice: Promise<BackendChoice> | null = null;

/** Chooses the page's tfjs backend once (extraction and in-page training share it). */
export function pageBackend(): Promise<BackendChoice> {
  backendChoice ??= selectBackend({
    gpu: typeof navigator !== 'undefined' ? ((navigator as { gpu?: GPU }).gpu ?? null) : null,
    start: requestedBackend(),
    prepareWasm: async () => (await import('../engine/platform/browserWasm.ts')).prepareBrowserWasm(),
  });
  return backendChoice;
}

/** `?units=16` shrinks the caption model (256 in the notebook) for quick demos and browser tests. */
export function modelSizeOverride(): { units: number; embedDim: number } | undefined {
  if (typeof location === 'undefined') return undefined;
  const units = Number(new URLSearchParams(location.search).get('units'));
  return Number.isInteger(units) && units > 0 ? { units, embedDim: units } : undefined;
}

export function createStudioEngines(): StudioEngines {
  let backbone: Backbone | null = null;
  // Precision and kernels are decided from describeBackend (the page's choice); replica workers start their
  // search at the page's backend and install the same kernels on their own device (replicaStep's factory).
  const missingReasons: NonNullable<StudioEngines['missingReasons']> = {};
  /** Loads the requested backbone, replacing the one held (one network in memory at a time). */
  async function useBackbone(request: BackboneRequest): Promise<Backbone> {
    const { loadBackbone } = await import('../model/backbones/index.ts');
    await pageBackend();
    backbone?.dispose();
    backbone = null;
    backbone = await loadBackbone({ name: request.backbone, weights: request.weights.kind === 'random' ? { kind: 'random' } : request.weights });
    return backbone;
  }
  return {
    async extract(options) {
      const [{ extractFeatures, identityOf }, { IdbFeatureStore }, { MemoryFeatureStore }, { defaultImageDecoder }] = await Promise.all([
        import('../engine/features/extract.ts'),
        import('../engine/features/cacheIdb.ts'),
        import('../engine/features/cache.ts'),
        import('../model/imageDecodeBrowser.ts'),
      ]);
      options.onStatus('loading-weights');
      // The cache and checkpoints are worth keeping: ask the browser not to evict them under pressure.
      void (await import('../engine/platform/storage.ts')).requestPersistentStorage();
      const loaded = await useBackbone(options);
      const identity = identityOf(loaded);
      const store = typeof indexedDB !== 'undefined' ? await IdbFeatureStore.open(identity) : new MemoryFeatureStore(identity);
      const startMs = performance.now();
      options.onStatus('running');
      try {
        const result = await extractFeatures(loaded, options.images, store, {
          signal: options.signal,
          decode: defaultImageDecoder(),
          batchSize: 8,
          onProgress: (p) => options.onProgress({ done: p.done, total: p.total, cached: p.cached, elapsedMs: performance.now() - startMs }),
        });
        return {
          features: result.features,
          featureDim: loaded.featureDim,
          identity,
          weightsLabel: weightsLabelOf(identity),
          skipped: result.skipped,
        };
      } finally {
        await store.close();
      }
    },
    async storageUsage() {
      return (await import('../engine/platform/storage.ts')).storageUsage();
    },
    async clearFeatureCache() {
      if (typeof indexedDB === 'undefined') return;
      await (await import('../engine/features/cacheIdb.ts')).IdbFeatureStore.deleteAll();
    },
    async cachedFeatures(identity, images) {
      if (typeof indexedDB === 'undefined') return { features: new Map(), missing: images.map((image) => image.name) };
      const [{ IdbFeatureStore }, { readCachedFeatures }] = await Promise.all([import('../engine/features/cacheIdb.ts'), import('../engine/features/cached.ts')]);
      const store = await IdbFeatureStore.open(identity);
      try {
        return await readCachedFeatures(store, images);
      } finally {
        await store.close();
      }
    },
    async featuresOf(images, request) {
      if (!backbone) {
        if (request.weights.kind === 'files' && request.weights.files.length === 0) {
          throw Object.assign(new Error('Pick the backbone weight files again in the Features tab (a reload forgets picked files).'), { name: 'NotReady' });
        }
        await useBackbone(request);
      }
      if (!backbone) throw new Error('no backbone');
      const [{ imageToInput }, { defaultImageDecoder }] = await Promise.all([import('../model/imageDecode.ts'), import('../model/imageDecodeBrowser.ts')]);
      const net = backbone;
      const out: Float32Array[] = [];
      for (const image of images) {
        const pixels = await imageToInput(image.bytes, image.name, net.inputSize, { decode: defaultImageDecoder() });
        const input = tf.tensor4d(pixels, [1, net.inputSize, net.inputSize, 3]);
        try {
          const features = net.extract(input);
          try {
            out.push((await features.data()) as Float32Array);
          } finally {
            features.dispose();
          }
        } finally {
          input.dispose();
        }
      }
      return out;
    },
    score(protocol, references, hypotheses) {
      const s = scoreCaptions({ protocol, references, hypotheses });
      return { bleu1: s.bleu1, bleu2: s.bleu2, bleu3: s.bleu3, bleu4: s.bleu4 };
    },
    async createTraining(inputs) {
      const choice = await pageBackend();
      const [{ createStudioTraining }, { IdbCheckpointStore }, { spawnBrowserReplica }] = await Promise.all([
        import('./training.ts'),
        import('../engine/training/checkpointIdb.ts'),
        import('../engine/threads/browserReplicas.ts'),
      ]);
      const checkpoints = typeof indexedDB !== 'undefined' ? await IdbCheckpointStore.open('studio') : undefined;
      void (await import('../engine/platform/storage.ts')).requestPersistentStorage();
      const inPage = inputs.config.replicas <= 1 && inputs.placement === 'page';
      const run = createStudioTraining({
        ...inputs,
        model: modelSizeOverride(),
        checkpoints,
        // Workers pick their own device; webgl has no canvas there, so they start the search at wasm.
        replicaBackend: choice.backend === 'webgl' ? 'wasm' : choice.backend,
        spawnReplica: spawnBrowserReplica,
      });
      const initialEvents: TrainerEvent[] =
        inPage ? [{ type: 'backendChosen', backend: choice.backend, adapter: choice.adapter, fallbackReason: choice.fallbackReason }] : [];
      return { ...run, initialEvents };
    },
    async importArchive(bytes, fileName) {
      // The model's tensors live on the page's backend: choose it first (tfjs would otherwise pick its own).
      await pageBackend();
      const [{ studioModelFromFiles }, { unzipModelArchive }] = await Promise.all([import('./model.ts'), import('../model/archive.ts')]);
      return studioModelFromFiles(unzipModelArchive(bytes, fileName), fileName.replace(/\.zip$/i, ''), 'archive');
    },
    async importNotebook(files, loadedCorpus) {
      await pageBackend();
      const { studioModelFromFiles } = await import('./model.ts');
      const keras = await import('../model/keras/notebookFiles.ts');
      if (keras.picksKerasModel(files)) {
        // The notebook's own model.h5 / model.keras with its tokenizer.json, read directly (src/model/keras).
        const rebuild = () => {
          const corpus = loadedCorpus?.();
          return corpus ? keras.rebuiltTokenizer(corpus, 'the tokenizer rebuilt from the loaded dataset (kaggle protocol)') : null;
        };
        const imported = await keras.kerasNotebookFiles(files, rebuild);
        const label = imported.rebuilt ? `${imported.modelName} with a tokenizer rebuilt from the loaded dataset` : imported.modelName;
        return studioModelFromFiles(imported.files, label, 'notebook');
      }
      // The converter writes model.json + group*-shard*.bin; the notebook's tokenizer.to_json() goes beside them.
      const entries = await Promise.all(files.map(async (f) => [f.name, new Uint8Array(await f.arrayBuffer())] as const));
      return studioModelFromFiles(Object.fromEntries(entries), 'notebook model', 'notebook');
    },
    missingReasons,
    async describeBackend() {
      const choice = await pageBackend();
      const asked = requestedBackend();
      return {
        backend: choice.backend,
        chosenBecause: asked
          ? `the address asks to start at ${asked} (?backend=${asked})`
          : 'the first of webgpu → webgl → wasm → cpu that works in this browser',
        shaderF16: choice.engine?.shaderF16 ?? false,
        ...(choice.adapter ? { adapter: choice.adapter } : {}),
        ...(choice.fallbackReason ? { fallbackReason: choice.fallbackReason } : {}),
        ...(choice.engine
          ? { features: [...choice.engine.report.features].sort(), limits: { ...choice.engine.report.limits }, isSoftware: choice.engine.report.isSoftware }
          : {}),
      };
    },
  };
}

/**
 * The dataset the Dataset panel loaded. The Dataset slice keeps its Folder out of the state and offers
 * `loadedFolder()`; corpora are built once per (dataset, protocol).
 */
export function datasetAccessFor(store: StudioStore): DatasetAccess {
  const corpora = new WeakMap<LoadedDataset, Map<Protocol, Corpus>>();
  const loaded = () => store.getState().loadedFolder();
  return {
    loaded,
    corpus(protocol) {
      const current = loaded();
      if (!current) return null;
      let byProtocol = corpora.get(current.dataset);
      if (!byProtocol) corpora.set(current.dataset, (byProtocol = new Map()));
      let corpus = byProtocol.get(protocol);
      if (!corpus) byProtocol.set(protocol, (corpus = buildCorpus(current.dataset, protocol)));
      return corpus;
    },
  };
}
