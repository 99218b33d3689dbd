/**
 * The page-side orchestration behind the Features, Training, Evaluation, Playground and Model panels: it owns
 * what must not go into the store (backbone, feature map, trainer, captioner, abort controllers) and writes
 * plain progress and results into the store's slices. Engines are injected (`StudioEngines`), so the session
 * runs in Node tests with fakes, and a capability the build lacks is reported with a reason, not hidden.
 */
import type { Corpus, Folder, LoadedDataset, Protocol } from '../core/data/types.ts';
import type { FeatureIdentity } from '../model/backbones/types.ts';
import type { StudioError } from '../store/slices/features.ts';
import type { PageBackend } from '../store/slices/training/index.ts';
import type { ImageResult } from '../store/slices/evaluation.ts';
import type { CaptionStep } from '../store/slices/playground.ts';
import type { StudioModel } from './model.ts';
import { resolveKernels } from '../model/precision.ts';
import type { Bleu, TrainConfig, Trainer, TrainerEvent } from '../engine/training/trainer.ts';

/** The dataset the Dataset panel loaded (folder kept out of the store). */
export interface DatasetAccess {
  loaded(): { folder: Folder; dataset: LoadedDataset } | null;
  corpus(protocol: Protocol): Corpus | null;
}

export interface ExtractionRun {
  /** Image name → feature vector [featureDim]. */
  features: Map<string, Float32Array>;
  featureDim: number;
  weightsLabel: string;
  /** Backbone, weights and their identity: recorded in a model trained on these features. */
  identity?: FeatureIdentity;
  skipped: { name: string; reason: string }[];
}

export interface DecodeOptions {
  mode: 'greedy' | 'beam';
  beamWidth: number;
  topK: number;
  /** Called as each word is chosen (greedy) or once per step of the best beam at the end (beam). */
  onStep?(step: CaptionStep): void;
  signal?: AbortSignal;
}

export interface TrainingRun {
  trainer: Trainer;
  /** Events the store should see before the trainer's own (e.g. the page's backendChosen). */
  initialEvents?: TrainerEvent[];
  /** The model as trained so far (after a stop or at the end). */
  model(): Promise<StudioModel>;
}

/** What the page's build provides; absent members are capabilities shown disabled with `missingReasons`. */
export interface BackboneRequest {
  backbone: 'vgg16' | 'mobilenet' | 'demo';
  weights: { kind: 'random' } | { kind: 'url'; url: string } | { kind: 'files'; files: File[] };
}

export interface StudioEngines {
  extract?(
    options: BackboneRequest & {
      images: { name: string; read(): Promise<Uint8Array> }[];
      signal: AbortSignal;
      onProgress(p: { done: number; total: number; cached: number; elapsedMs: number }): void;
      onStatus(status: 'loading-weights' | 'running'): void;
    },
  ): Promise<ExtractionRun>;
  /**
   * The features of `identity` the page's cache already holds for these images (after a reload), without
   * loading the network: looked up by the hash of each image's bytes.
   */
  cachedFeatures?(identity: FeatureIdentity, images: { name: string; read(): Promise<Uint8Array> }[]): Promise<{ features: Map<string, Float32Array>; missing: string[] }>;
  /** The page's storage (feature cache and checkpoints): used, quota, persistent; null where unknown. */
  storageUsage?(): Promise<{ usageBytes: number; quotaBytes: number; persisted: boolean | null } | null>;
  /** Deletes every cached feature vector (the way out of a full storage). */
  clearFeatureCache?(): Promise<void>;
  /** How many vectors of `identity` the page's feature cache holds, and their bytes (featureDim float32 each). */
  featureCacheSize?(identity: FeatureIdentity): Promise<{ vectors: number; bytes: number } | null>;
  /**
   * Features of images that are not in the dataset (playground): with the backbone of the last extraction,
   * or, after a reload, the one the Features panel names (loaded on first use).
   */
  featuresOf?(images: { name: string; bytes: Uint8Array }[], backbone: BackboneRequest): Promise<Float32Array[]>;
  /** `placement` (one replica only): 'worker' keeps the page responsive; 'page' runs on this thread. */
  createTraining?(inputs: {
    config: TrainConfig;
    corpus: Corpus;
    features: Map<string, Float32Array>;
    featureDim: number;
    placement: TrainingPlacement;
    /** Saved with the model (model.json meta): `features`, the identity of the features it trains on. */
    meta?: Record<string, unknown>;
  }): Promise<TrainingRun>;
  importArchive?(bytes: Uint8Array, fileName: string): Promise<StudioModel>;
  /** `loadedCorpus`: the loaded dataset under the kaggle protocol, to rebuild a Keras model's missing tokenizer. */
  importNotebook?(files: File[], loadedCorpus?: () => Corpus | null): Promise<StudioModel>;
  /**
   * BLEU-1..4 of captions under a protocol's rules (core/metrics scoreCaptions): image name → references as
   * the corpus holds them, image name → the decoded caption (markers as the decoder returns them).
   */
  score?(protocol: Protocol, references: ReadonlyMap<string, readonly string[]>, hypotheses: ReadonlyMap<string, string>): Bleu;
  /** Why a capability is missing, for the disabled control's label. */
  missingReasons?: Partial<Record<Capability, string>>;
  /** The backend this page chose and what it offers (shader-f16); decides the precision and kernel knobs. */
  describeBackend?(): Promise<PageBackend>;
  /**
   * Calls `listener` when the GPU device the page computes on now is lost (not when it is released on
   * purpose); the page's backend controller says it (pageBackend.ts).
   */
  watchDeviceLoss?(listener: (message: string) => void): () => void;
  /**
   * After a lost device, through the page's backend controller: 'webgpu' opens a new GPU device
   * (renewDevice), 'wasm' names wasm in the backend setting.
   */
  restartBackend?(start: 'webgpu' | 'wasm'): Promise<PageBackend>;
}

/** Where a one-replica run trains: in a worker, or on the page's own thread. */
export type TrainingPlacement = 'worker' | 'page';

export type Capability =
  | 'extract'
  | 'train'
  | 'mirrored'
  | 'f16'
  | 'fusedKernels'
  /** Replicas in workers run the fused kernels (and mixed_float16) too, not only the page's own trainer. */
  | 'workerKernels'
  | 'ringAllReduce'
  | 'evaluate'
  | 'playground'
  | 'export'
  | 'importArchive'
  | 'importNotebook';

/** A user's mistake or a bug, as a student reads it, with the technical detail one click away. */
export function toStudioError(error: unknown, what: string): StudioError {
  const e = error instanceof Error ? error : new Error(String(error));
  const head = `${e.name}: ${e.message}`;
  // Chromium's stack starts with the name and message already; other engines' do not.
  const detail = e.stack ? (e.stack.startsWith(head) ? e.stack : `${head}\n${e.stack}`) : head;
  // Errors thrown for bad input already speak to the user (DatasetError, WeightsError, FeatureFileError), as
  // does NotReady (a step to take first).
  const userFacing = e.name === 'NotReady' || (/Error$/.test(e.name) && e.name !== 'Error' && e.name !== 'TypeError' && e.name !== 'RangeError');
  const hint = hintFor(e);
  const message = withoutRepeatedName(what, e.message);
  return { message: userFacing ? `${what}: ${message}${hint ? ` ${hint}` : ''}` : `${what} did not work. ${hint ?? 'Open the details below and share them with your instructor.'}`, detail };
}

/**
 * A file named once: "Captioning notes.jpg" with "notes.jpg: the browser cannot decode it" reads
 * "Captioning notes.jpg: the browser cannot decode it", not the name twice.
 */
function withoutRepeatedName(what: string, message: string): string {
  const colon = message.indexOf(': ');
  if (colon <= 0) return message;
  const head = message.slice(0, colon);
  return what === head || what.endsWith(` ${head}`) ? message.slice(colon + 2) : message;
}

function hintFor(e: Error): string | null {
  if (/fetch|network|Failed to load/i.test(e.message)) return 'Check the address (is the server running?), or download the files and choose "Files or folder".';
  if (/memory|OOM|allocation/i.test(e.message)) return 'The browser ran out of memory: try a smaller batch or the MobileNet backbone.';
  if (/device.*lost/i.test(e.message)) return 'The GPU stopped responding: reload the page; your last checkpoint is kept.';
  return null;
}

export const isAbort = (error: unknown) => error instanceof Error && error.name === 'AbortError';

export interface KernelOptionReasons {
  /** Why the Fused kernels box cannot be ticked; null when it can. */
  fusedKernels: string | null;
  /** Why mixed float16 cannot be chosen; null when it can. */
  mixedFloat16: string | null;
  /** Why the loss-scale settings do nothing now; null under an available mixed float16. */
  lossScale: string | null;
}

/**
 * Which precision and kernel settings a run can really get here, with the reason in words where not: the
 * rules are resolveKernels' (fused kernels need webgpu; mixed_float16 needs them on and shader-f16), applied
 * to the page's backend. `workerKernels` is the reason workers lack the kernels (null when they have them).
 */
export function kernelOptionReasons(
  page: PageBackend | null,
  config: Pick<TrainConfig, 'precision' | 'fusedKernels' | 'replicas'>,
  placement: TrainingPlacement,
  workerKernels: string | null = null,
): KernelOptionReasons {
  if (!page) {
    const waiting = 'the page has not chosen its tfjs backend yet';
    return { fusedKernels: waiting, mixedFloat16: waiting, lossScale: waiting };
  }
  const inWorkers = config.replicas > 1 || placement === 'worker';
  const elsewhere = inWorkers ? workerKernels : null;
  const passedOver = page.fallbackReason ? ` (${page.fallbackReason})` : '';
  const fused = resolveKernels({ precision: 'float32', fusedKernels: true }, page.backend, page.shaderF16).fused;
  const fusedKernels = !fused ? `only on WebGPU; this page runs on ${page.backend}${passedOver}` : elsewhere;
  let mixedFloat16: string | null = null;
  const f16 = resolveKernels({ precision: 'mixed_float16', fusedKernels: config.fusedKernels }, page.backend, page.shaderF16);
  if (f16.precision !== 'mixed_float16') {
    if (page.backend !== 'webgpu') mixedFloat16 = `needs WebGPU with shader-f16; this page runs on ${page.backend}${passedOver}`;
    else if (!page.shaderF16) mixedFloat16 = `this WebGPU adapter${page.adapter ? ` (${page.adapter})` : ''} lacks the shader-f16 feature`;
    else mixedFloat16 = 'runs in the fused kernels: tick Fused kernels first';
  } else mixedFloat16 = elsewhere;
  const lossScale = mixedFloat16 ?? (config.precision === 'mixed_float16' ? null : 'only used with mixed float16');
  return { fusedKernels, mixedFloat16, lossScale };
}
