/**
 * Feature extraction: images → backbone → feature store, in batches, with progress, abort and resume.
 * Each batch is written to the store before the next starts, so an aborted or crashed run resumes where it
 * stopped; images already in the store (same content, backbone and weights) are never recomputed.
 * An image that cannot be read or decoded is skipped and reported; it never stops the run.
 */
import * as tf from '@tensorflow/tfjs';
import type { Backbone } from '../model/backbones/types';
import { imageToInput, ImageDecodeError, type ImageDecoder } from '../model/imageDecode';
import { sha256Hex, type FeatureIdentity, type FeatureStore } from './featureCache';

export interface ExtractImage {
  /** Name the features are stored under (the caption file's image name). */
  name: string;
  /** Where the bytes come from, for messages (e.g. `Images/x.jpg`); defaults to `name`. */
  file?: string;
  read(): Promise<Uint8Array>;
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

export interface ExtractResult {
  /** Features of every image not skipped, by name: [featureDim] each. */
  features: Map<string, Float32Array>;
  computed: number;
  cached: number;
  skipped: SkippedImage[];
  durationMs: number;
}

export interface ExtractOptions {
  /** Images per backbone call (default 16). */
  batchSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ExtractProgress) => void;
  /** Default: the JS decoders; pages and workers pass decodeImageNative. */
  decode?: ImageDecoder;
}

export function identityOf(backbone: Backbone): FeatureIdentity {
  return {
    backbone: backbone.name,
    backboneId: backbone.id,
    weights: backbone.weights,
    weightsId: backbone.weightsId,
    featureDim: backbone.featureDim,
    inputSize: backbone.inputSize,
  };
}

function abortError(signal: AbortSignal): Error {
  if (signal.reason instanceof Error) return signal.reason;
  const error = new Error('feature extraction aborted');
  error.name = 'AbortError';
  return error;
}

/**
 * Runs the extraction. Throws the signal's reason (an AbortError by default) when aborted, after the
 * batches already computed are safely in the store.
 */
export async function extractFeatures(
  backbone: Backbone,
  images: ExtractImage[],
  store: FeatureStore,
  options: ExtractOptions = {},
): Promise<ExtractResult> {
  const batchSize = Math.max(1, options.batchSize ?? 16);
  const startMs = performance.now();
  const features = new Map<string, Float32Array>();
  const skipped: SkippedImage[] = [];
  const storedNames = await store.names();
  let computed = 0;
  let cached = 0;
  const report = (): void => {
    if (!options.onProgress) return;
    const done = computed + cached + skipped.length;
    const elapsedSeconds = (performance.now() - startMs) / 1000;
    const imagesPerSecond = elapsedSeconds > 0 ? done / elapsedSeconds : 0;
    options.onProgress({
      done,
      total: images.length,
      computed,
      cached,
      skipped: skipped.length,
      imagesPerSecond,
      etaSeconds: done > 0 && imagesPerSecond > 0 ? (images.length - done) / imagesPerSecond : null,
    });
  };
  report();
  for (let start = 0; start < images.length; start += batchSize) {
    if (options.signal?.aborted) throw abortError(options.signal);
    const batch = images.slice(start, start + batchSize);
    const hashed: { image: ExtractImage; bytes: Uint8Array; sha256: string }[] = [];
    for (const image of batch) {
      try {
        const bytes = await image.read();
        hashed.push({ image, bytes, sha256: await sha256Hex(bytes) });
      } catch (error) {
        skipped.push({ name: image.name, file: image.file ?? image.name, reason: `cannot read: ${(error as Error).message}` });
      }
    }
    const hits = await store.getByHash(hashed.map((h) => h.sha256));
    const misses: { name: string; sha256: string; pixels: Float32Array }[] = [];
    const renamed: { name: string; sha256: string; features: Float32Array }[] = [];
    for (const { image, bytes, sha256 } of hashed) {
      const hit = hits.get(sha256);
      if (hit) {
        features.set(image.name, hit);
        cached++;
        // Same content under a new name: record the name too, so the file lists every image it serves.
        if (storedNames.get(image.name) !== sha256) renamed.push({ name: image.name, sha256, features: hit });
        continue;
      }
      try {
        const file = image.file ?? image.name;
        misses.push({ name: image.name, sha256, pixels: await imageToInput(bytes, file, backbone.inputSize, { decode: options.decode }) });
      } catch (error) {
        const reason = error instanceof ImageDecodeError ? error.reason : (error as Error).message;
        skipped.push({ name: image.name, file: image.file ?? image.name, reason });
      }
    }
    const records = [...renamed];
    if (misses.length > 0) {
      const size = backbone.inputSize;
      const input = tf.tensor4d(concatPixels(misses.map((m) => m.pixels)), [misses.length, size, size, 3]);
      let output: tf.Tensor2D | null = null;
      try {
        output = backbone.extract(input);
        const values = await output.data<'float32'>();
        misses.forEach((miss, i) => {
          const vector = values.slice(i * backbone.featureDim, (i + 1) * backbone.featureDim);
          features.set(miss.name, vector);
          records.push({ name: miss.name, sha256: miss.sha256, features: vector });
        });
      } finally {
        input.dispose();
        output?.dispose();
      }
      computed += misses.length;
    }
    await store.put(records);
    for (const r of records) storedNames.set(r.name, r.sha256);
    report();
  }
  return { features, computed, cached, skipped, durationMs: performance.now() - startMs };
}

function concatPixels(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((sum, p) => sum + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
