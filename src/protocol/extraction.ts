/**
 * Messages between the page and the feature-extraction worker (workers/extract.worker.ts): the page sends one
 * `start` with the images, the worker answers with its identity, progress, and how it ended.
 */
import type { BackboneName, WeightsSource } from '../model/backbones/types';
import type { ResizeMethod } from '../model/imageDecode';
import type { SerializedError } from './training';

/** What identifies a set of features: two stores with equal identity hold interchangeable vectors. */
export interface FeatureIdentity {
  backbone: BackboneName;
  backboneId: string;
  weights: WeightsSource;
  weightsId: string;
  featureDim: number;
  inputSize: number;
  /**
   * How images were resized to inputSize: 'bilinear' (default; absent means bilinear) or 'nearest' (Keras'
   * `load_img(target_size=…)` default, i.e. the notebook's exact preprocessing).
   */
  resize?: ResizeMethod;
}

export interface ExtractProgress {
  /** Images finished (computed, found in the cache, or skipped). */
  done: number;
  total: number;
  computed: number;
  cached: number;
  skipped: number;
  /** Images finished per second in this run so far. */
  imagesPerSecond: number;
  /** Time left at the current rate; null before the first batch completes. */
  etaSeconds: number | null;
}

export interface SkippedImage {
  name: string;
  /** Path of the file that failed (ExtractImage.file, else the name). */
  file: string;
  reason: string;
}

export type ExtractWeights = { kind: 'random'; seed?: number } | { kind: 'url'; url: string } | { kind: 'files'; files: File[] };

export type ToExtractWorker =
  | {
      type: 'start';
      backbone: BackboneName;
      weights: ExtractWeights;
      /** MobileNet width when the weights do not say (random init). */
      alpha?: number;
      images: { name: string; blob: Blob }[];
      batchSize?: number;
      /** Default bilinear; 'nearest' is Keras' load_img default (the notebook). */
      resize?: ResizeMethod;
    }
  | { type: 'abort' };

export type FromExtractWorker =
  | { type: 'ready'; identity: FeatureIdentity }
  | { type: 'progress'; progress: ExtractProgress }
  | { type: 'done'; computed: number; cached: number; skipped: SkippedImage[]; durationMs: number }
  | { type: 'aborted' }
  | { type: 'failed'; error: SerializedError };
