/**
 * Feature extraction: images → backbone → feature store, in batches, with progress, abort and resume.
 * Each batch is written to the store before the next starts, so an aborted or crashed run resumes where it
 * stopped; images already in the store (same content, backbone and weights) are never recomputed.
 * An image that cannot be read or decoded is skipped and reported; it never stops the run.
 */
import type { FeatureIdentity } from '../../model/backbones/types.ts';
import * as tf from '@tensorflow/tfjs';
import type { Backbone } from '../../model/backbones/types.ts';
import { imageToInput, ImageDecodeError, type ImageDecoder, type ResizeMethod } from '../../model/images/decode.ts';
import { sha256Hex, type FeatureRecord, type FeatureStore } from './cache.ts';

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

export interface ExtractImage {
  /** Name the features are stored under (the caption file's image name). */
  name: string;
  /** Where the bytes come from, for messages (e.g. `Images/x.jpg`); defaults to `name`. */
  file?: string;
  read(): Promise<Uint8Array>;
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
  /** Default: the JS decoders; the page passes its native decoder (images/decodeBrowser.ts). */
  decode?: ImageDecoder;
}

/** The cache identity of features from `backbone` with images resized by `resize` (default bilinear). */
export function identityOf(backbone: Backbone, resize: ResizeMethod = 'bilinear'): FeatureIdentity {
  return {
    resize,
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
  if (store.identity.backboneId !== backbone.id || store.identity.weightsId !== backbone.weightsId) {
    throw new Error(`the feature store holds ${store.identity.backboneId} / ${store.identity.weightsId}, not ${backbone.id} / ${backbone.weightsId}`);
  }
  // The store's identity says how its images were resized; new ones must match.
  const resize = store.identity.resize ?? 'bilinear';
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
  /** Vectors of this run by content hash: duplicates met later (even in a prefetched batch) reuse them. */
  const byHash = new Map<string, Float32Array>();
  const batches: ExtractImage[][] = [];
  for (let start = 0; start < images.length; start += batchSize) batches.push(images.slice(start, start + batchSize));
  // Decoding of batch i+1 overlaps the backbone call of batch i where the decoder works off this thread (a
  // worker pool in Node, createImageBitmap in browsers): its reads and cache lookups are awaited first, so
  // the decode jobs are already dispatched when the (synchronous) forward pass starts.
  const decoder = options.decode;
  const imageValues = backbone.inputSize * backbone.inputSize * 3;
  /**
   * Where each batch's images are resized to, one slot an image, then packed to the front for the backbone.
   * Two, since batch i+1 is decoded while batch i is computed; each is filled again two batches later, after
   * its batch's tensor was disposed (the cpu backend keeps the array it is given). A fresh array for each image
   * or batch is fresh memory for the system to hand over page by page (measured in the page, 8091 images of the
   * demo CNN: 3.4 s of its 23 s went to resizing into new arrays).
   */
  const slots = Math.min(batchSize, images.length);
  const batchPixels = [new Float32Array(slots * imageValues), new Float32Array(slots * imageValues)];
  const decodeInto = (lookedUp: LookedUpBatch, b: number) => decodeBatch(lookedUp, backbone.inputSize, resize, batchPixels[b % 2], decoder);
  let next: Promise<PreparedBatch> | null = batches.length > 0 ? decodeInto(await lookupBatch(batches[0], store), 0) : null;
  for (let b = 0; b < batches.length; b++) {
    if (options.signal?.aborted) {
      next?.catch(() => undefined);
      throw abortError(options.signal);
    }
    const prepared = await next!;
    next = b + 1 < batches.length ? decodeInto(await lookupBatch(batches[b + 1], store), b + 1) : null;
    skipped.push(...prepared.skipped);
    const records: FeatureRecord[] = [];
    const useCached = (name: string, sha256: string, vector: Float32Array): void => {
      features.set(name, vector);
      cached++;
      // Same content under a new name: record the name too, so the store lists every image it serves.
      if (storedNames.get(name) !== sha256) records.push({ name, sha256, features: vector });
    };
    for (const hit of prepared.hits) useCached(hit.name, hit.sha256, hit.features);
    const toCompute: PreparedBatch['misses'] = [];
    const sameContent: PreparedBatch['misses'] = [];
    for (const miss of prepared.misses) {
      const known = byHash.get(miss.sha256);
      if (known) useCached(miss.name, miss.sha256, known);
      else if (toCompute.some((m) => m.sha256 === miss.sha256)) sameContent.push(miss);
      else toCompute.push(miss);
    }
    if (toCompute.length > 0) {
      const size = backbone.inputSize;
      // Packed to the front in order: each image moves to a slot at or before its own.
      const pixels = batchPixels[b % 2];
      toCompute.forEach((miss, i) => {
        if (miss.slot !== i) pixels.copyWithin(i * imageValues, miss.slot * imageValues, (miss.slot + 1) * imageValues);
      });
      const input = tf.tensor4d(pixels.subarray(0, toCompute.length * imageValues), [toCompute.length, size, size, 3]);
      let output: tf.Tensor2D | null = null;
      try {
        output = backbone.extract(input);
        const values = await output.data<'float32'>();
        toCompute.forEach((miss, i) => {
          const vector = values.slice(i * backbone.featureDim, (i + 1) * backbone.featureDim);
          features.set(miss.name, vector);
          byHash.set(miss.sha256, vector);
          records.push({ name: miss.name, sha256: miss.sha256, features: vector });
        });
      } finally {
        input.dispose();
        output?.dispose();
      }
      computed += toCompute.length;
    }
    for (const miss of sameContent) useCached(miss.name, miss.sha256, byHash.get(miss.sha256)!);
    await store.put(records);
    for (const r of records) storedNames.set(r.name, r.sha256);
    report();
  }
  return { features, computed, cached, skipped, durationMs: performance.now() - startMs };
}

interface PreparedBatch {
  hits: FeatureRecord[];
  /** Decoded and resized into their slot of the batch's pixels: [inputSize, inputSize, 3] RGB 0..255 each; slots ascend. */
  misses: { name: string; sha256: string; slot: number }[];
  skipped: SkippedImage[];
}

interface LookedUpBatch {
  batch: ExtractImage[];
  hits: FeatureRecord[];
  toDecode: { image: ExtractImage; bytes: Uint8Array; sha256: string }[];
  skipped: SkippedImage[];
}

const fileOf = (image: ExtractImage): string => image.file ?? image.name;

/** Reads and hashes one batch (concurrently) and looks the hashes up in the store. */
async function lookupBatch(batch: ExtractImage[], store: FeatureStore): Promise<LookedUpBatch> {
  const skipped: SkippedImage[] = [];
  const read = await Promise.all(
    batch.map(async (image) => {
      try {
        const bytes = await image.read();
        return { image, bytes, sha256: await sha256Hex(bytes) };
      } catch (error) {
        skipped.push({ name: image.name, file: fileOf(image), reason: `cannot read: ${(error as Error).message}` });
        return null;
      }
    }),
  );
  const hashed = read.filter((entry) => entry !== null);
  const found = await store.getByHash(hashed.map((h) => h.sha256));
  const hits: FeatureRecord[] = [];
  const toDecode: LookedUpBatch['toDecode'] = [];
  for (const entry of hashed) {
    const vector = found.get(entry.sha256);
    if (vector) hits.push({ name: entry.image.name, sha256: entry.sha256, features: vector });
    else toDecode.push(entry);
  }
  return { batch, hits, toDecode, skipped };
}

/**
 * Decodes and resizes the misses, the k-th into slot k of `pixels`; every decode job is dispatched before this
 * returns its promise.
 */
function decodeBatch(lookedUp: LookedUpBatch, inputSize: number, resize: ResizeMethod, pixels: Float32Array, decode?: ImageDecoder): Promise<PreparedBatch> {
  const { batch, hits, skipped } = lookedUp;
  const imageValues = inputSize * inputSize * 3;
  const jobs = lookedUp.toDecode.map(async ({ image, bytes, sha256 }, slot) => {
    try {
      const into = pixels.subarray(slot * imageValues, (slot + 1) * imageValues);
      await imageToInput(bytes, fileOf(image), inputSize, { decode, resize, into });
      return { name: image.name, sha256, slot };
    } catch (error) {
      const reason = error instanceof ImageDecodeError ? error.reason : (error as Error).message;
      skipped.push({ name: image.name, file: fileOf(image), reason });
      return null;
    }
  });
  return Promise.all(jobs).then((decoded) => {
    // Skips in batch order, whatever order the reads and decodes finished in.
    const order = new Map(batch.map((image, i) => [image.name, i]));
    skipped.sort((a, b) => order.get(a.name)! - order.get(b.name)!);
    return { hits, misses: decoded.filter((entry) => entry !== null), skipped };
  });
}
