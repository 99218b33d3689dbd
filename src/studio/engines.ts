/**
 * The page's engines for StudioSession: what this build can do, wired to the model and engine modules.
 * A capability whose module has not landed yet is left out with a reason (the panel shows it disabled).
 * Feature extraction runs on the page's thread in batches (tfjs yields between batches).
 */
import * as tf from '@tensorflow/tfjs';
import { buildCorpus } from '../core/text/protocols.ts';
import type { Corpus, Folder, LoadedDataset, Protocol } from '../core/data/types.ts';
import { scoreCaptions } from '../core/metrics/bleu.ts';
import type { BackendName, TrainerEvent } from '../engine/training/trainer.ts';
import type { Backbone } from '../model/backbones/types.ts';
import type { BackboneRequest, DatasetAccess, StudioEngines } from './ports.ts';
import type { StudioStore } from '../store/studioStore.ts';
import { weightsLabelOf } from '../store/slices/features.ts';
import { PageBackendController } from './pageBackend.ts';
import type { CalibrationWorkload } from '../model/backendCalibration.ts';
import type { PageCheckpointCopy } from '../engine/training/checkpointIdb.ts';

/**
 * Images per batch of the page's extraction (and of its calibration's full step): 8 of VGG16's and MobileNet's
 * 224×224 inputs, as many pixels of a smaller input up to 64 (the demo CNN's 64×64: 64 images), so a small
 * network is not held back by each batch's fixed costs (a backbone call, a feature cache transaction).
 */
export function extractBatchFor(inputSize: number): number {
  return Math.min(64, Math.max(8, Math.floor((8 * 224 * 224) / (inputSize * inputSize))));
}

/** `?backend=wasm` (tests, slow machines): an explicit choice, no calibration; absent: the tab's setting or auto. */
export function requestedBackend(): string | null {
  if (typeof location === 'undefined') return null;
  return new URLSearchParams(location.search).get('backend');
}

/** The setting (auto / webgpu / wasm) kept for this browser tab. */
const tabStorage = {
  get: () => (typeof sessionStorage === 'undefined' ? null : sessionStorage.getItem('caption-studio.backend')),
  set: (value: string) => (typeof sessionStorage === 'undefined' ? undefined : sessionStorage.setItem('caption-studio.backend', value)),
};

/** The page's backend controller: its candidates are navigator.gpu's adapter, wasm and cpu. */
export function createPageBackend(): PageBackendController {
  return new PageBackendController({
    address: requestedBackend(),
    storage: tabStorage,
    candidates: async () => {
      const [{ browserBackendCandidates }, { prepareBrowserWasm }] = await Promise.all([
        import('../engine/platform/browserBackendCandidates.ts'),
        import('../engine/platform/browserWasm.ts'),
      ]);
      const gpu = typeof navigator !== 'undefined' ? ((navigator as { gpu?: GPU }).gpu ?? null) : null;
      return browserBackendCandidates({ gpu, prepareWasm: () => prepareBrowserWasm() });
    },
  });
}

/** `?units=16` shrinks the caption model (256 in the notebook) for quick demos and browser tests. */
export function modelSizeOverride(): { units: number; embedDim: number } | undefined {
  if (typeof location === 'undefined') return undefined;
  const units = Number(new URLSearchParams(location.search).get('units'));
  return Number.isInteger(units) && units > 0 ? { units, embedDim: units } : undefined;
}

export function createStudioEngines(backends: PageBackendController = createPageBackend()): StudioEngines {
  const pageBackend = () => backends.start();
  let backbone: Backbone | null = null;
  let releaseHold: (() => void) | null = null;
  /** The last complete checkpoint, held by the page besides IndexedDB for as long as the tab lives. */
  let checkpointCopy: PageCheckpointCopy | null = null;
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
  // The backbone's weights lived on a lost device: dropped (tfjs would try to read them back on a switch),
  // and loaded again on first use.
  backends.on({
    deviceLost: () => {
      try {
        backbone?.dispose();
      } catch {
        // Its buffers went with the device.
      }
      backbone = null;
    },
  });
  return {
    async extract(options) {
      const [{ extractFeatures, identityOf }, { IdbFeatureStore }, { MemoryFeatureStore }, { defaultImageDecoder }] = await Promise.all([
        import('../engine/features/extract.ts'),
        import('../engine/features/cacheIdb.ts'),
        import('../engine/features/cache.ts'),
        import('../model/images/decodeBrowser.ts'),
      ]);
      options.onStatus('loading-weights');
      // The cache and checkpoints are worth keeping: ask the browser not to evict them under pressure.
      void (await import('../engine/platform/storage.ts')).requestPersistentStorage();
      const loaded = await useBackbone(options);
      // Auto: a warm batch through this backbone on each backend; tfjs then runs on the faster.
      const { backboneWorkload } = await import('../model/backendCalibration.ts');
      // A failed calibration is said in the panel; the extraction goes on on the backend the page had.
      await backends.calibrate('extraction', backboneWorkload(loaded, extractBatchFor(loaded.inputSize)), `${loaded.id}:${loaded.weightsId}`).catch(() => null);
      const identity = identityOf(loaded);
      const store = typeof indexedDB !== 'undefined' ? await IdbFeatureStore.open(identity) : new MemoryFeatureStore(identity);
      const startMs = performance.now();
      options.onStatus('running');
      try {
        const result = await extractFeatures(loaded, options.images, store, {
          signal: options.signal,
          decode: defaultImageDecoder(),
          batchSize: extractBatchFor(loaded.inputSize),
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
    async featureCacheSize(identity) {
      if (typeof indexedDB === 'undefined') return null;
      const { IdbFeatureStore } = await import('../engine/features/cacheIdb.ts');
      const store = await IdbFeatureStore.open(identity);
      try {
        const vectors = await store.count();
        return { vectors, bytes: vectors * identity.featureDim * Float32Array.BYTES_PER_ELEMENT };
      } finally {
        await store.close();
      }
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
      const [{ imageToInput }, { defaultImageDecoder }] = await Promise.all([import('../model/images/decode.ts'), import('../model/images/decodeBrowser.ts')]);
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
      await pageBackend();
      // Auto: one training step of this run's model on one batch, on each backend (the page's thread measures
      // for a run in workers too: each replica then starts the chosen backend in its own worker).
      const { workload, key } = await trainingWorkload(inputs);
      await backends.calibrate('training', workload, key).catch(() => null);
      const choice = await pageBackend();
      const [{ createStudioTraining }, { IdbCheckpointStore, PageCheckpointCopy }, { spawnBrowserReplica }] = await Promise.all([
        import('./training/studioTraining.ts'),
        import('../engine/training/checkpointIdb.ts'),
        import('../engine/threads/browserReplicas.ts'),
      ]);
      checkpointCopy ??= new PageCheckpointCopy();
      const checkpoints = typeof indexedDB !== 'undefined' ? await IdbCheckpointStore.open('studio', undefined, checkpointCopy) : undefined;
      void (await import('../engine/platform/storage.ts')).requestPersistentStorage();
      const inPage = inputs.config.replicas <= 1 && inputs.placement === 'page';
      const run = createStudioTraining({
        ...inputs,
        model: modelSizeOverride(),
        checkpoints,
        // Workers pick their own device; webgl has no canvas there, so they start the search at wasm.
        replicaBackend: choice.backend === 'webgl' ? 'wasm' : choice.backend,
        spawnReplica: spawnBrowserReplica,
        // On this thread, on WebGPU: every wait of the run on the device races the device's loss.
        ...(inPage ? { deviceLost: backends.deviceLost() ?? undefined } : {}),
      });
      // A run on this thread uses the page's backend: no calibration switches it while the run goes.
      releaseHold?.();
      releaseHold = inPage ? backends.hold(() => run.trainer.state === 'running' || run.trainer.state === 'paused') : null;
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
    describeBackend: pageBackend,
    watchDeviceLoss: (listener) => backends.on({ deviceLost: listener }),
    // A new device through the controller's candidates made again; wasm as the backend named in its setting.
    restartBackend: (start) => (start === 'webgpu' ? backends.renewDevice() : backends.setPreference('wasm')),
  };
}

/** One training step of the run's model (its vocabulary, sizes, layout, kernels) on one batch of its images. */
async function trainingWorkload(inputs: Parameters<NonNullable<StudioEngines['createTraining']>>[0]): Promise<{ workload: CalibrationWorkload; key: string }> {
  const [{ buildCaptionDataset, captionModelConfigFor }, { captionTrainingWorkload }] = await Promise.all([
    import('../engine/training/captionData.ts'),
    import('../model/backendCalibration.ts'),
  ]);
  const { config } = inputs;
  const data = buildCaptionDataset(inputs.corpus, inputs.features);
  const model = captionModelConfigFor(data, config.dropout, modelSizeOverride());
  // The same model, batch and kernels measure the same: a run started again reuses the figures.
  const key = JSON.stringify([model, config.layout, config.batchSize, config.fusedKernels, config.precision, data.train.length]);
  const workload = captionTrainingWorkload({
    config: model,
    layout: config.layout,
    images: data.train.slice(0, config.batchSize),
    fusedKernels: config.fusedKernels,
    precision: config.precision,
    learningRate: config.learningRate,
    seed: config.seed,
  });
  return { workload, key };
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
