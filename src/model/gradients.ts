/**
 * Loss and gradients of one batch, as SUMS over its real target tokens, in either layout. Sums (not means)
 * let shards of a batch combine exactly: add the sums, divide by the total token count.
 */
import * as tf from '@tensorflow/tfjs';
import {
  batchTokenCount,
  imageTokenCounts,
  makeCaptionBatch,
  prefixArrays,
  sequenceArrays,
  sliceCaptionBatch,
  type CaptionBatch,
  type Layout,
  type PrefixArrays,
  type SequenceArrays,
} from './batches.ts';
import { asParams, prefixLossSum, sequenceLossSum, type CaptionModelConfig } from './captionModel.ts';
import { checkOneImageFits, passTokens } from './deviceLimits.ts';

export interface StepOptions {
  layout: Layout;
  /** Dropout rate (0 = off). */
  dropout: number;
  /** Seed of the dropout masks of this step. */
  seed?: number;
  /**
   * Most target tokens per forward/backward pass: larger batches run as several passes whose gradient sums
   * add up (exactly the same sums, bounded memory). Default 512 for `prefix` (each sample unrolls the LSTM
   * on its own row), 4096 for `sequence`.
   */
  maxChunkTokens?: number;
  /**
   * Mixed precision: the backward pass differentiates lossSum × lossFactor (the loss scale over the global
   * batch's token count: Keras' scaled mean loss), so small f16 gradients do not flush to zero; the results
   * are divided back in f32, so callers still get plain sums (non-finite where f16 overflowed).
   */
  lossFactor?: number;
}

/** A pass of one image over the bound (imageChunks never splits an image) is refused before it runs. */
function checkPassesFit(batch: CaptionBatch, ranges: [number, number][], config: CaptionModelConfig, layout: Layout, limit: number): void {
  const counts = imageTokenCounts(batch);
  for (const [start, end] of ranges) if (end - start === 1 && counts[start] > limit) checkOneImageFits(config, layout, counts[start]);
}

/** Image ranges [start, end) whose captions hold at most `maxTokens` targets each (at least one image). */
export function imageChunks(batch: CaptionBatch, maxTokens: number): [number, number][] {
  const counts = imageTokenCounts(batch);
  const chunks: [number, number][] = [];
  let start = 0;
  let tokens = 0;
  counts.forEach((count, i) => {
    if (i > start && tokens + count > maxTokens) {
      chunks.push([start, i]);
      start = i;
      tokens = 0;
    }
    tokens += count;
  });
  if (start < counts.length) chunks.push([start, counts.length]);
  return chunks;
}

/**
 * A batch cut into its chunks with the layout's index arrays built: what the input pipeline prepares for
 * the next step while the current one runs (plain data: it can cross to a worker too).
 */
export interface PreparedBatch {
  prepared: true;
  layout: Layout;
  tokenCount: number;
  chunks: { batch: CaptionBatch; arrays: SequenceArrays | PrefixArrays }[];
}

export function prepareBatch(batch: CaptionBatch, config: CaptionModelConfig, layout: Layout, maxChunkTokens?: number): PreparedBatch {
  const limit = maxChunkTokens ?? passTokens(config, layout, layout === 'prefix' ? 512 : 4096).tokens;
  const ranges = imageChunks(batch, limit);
  checkPassesFit(batch, ranges, config, layout, limit);
  const chunks = ranges.map(([start, end]) => {
    const part = ranges.length > 1 ? sliceCaptionBatch(batch, start, end) : batch;
    return { batch: part, arrays: layout === 'sequence' ? sequenceArrays(part) : prefixArrays(part, config.maxLength) };
  });
  return { prepared: true, layout, tokenCount: batchTokenCount(batch), chunks };
}

/**
 * @param batch a batch, or one prepared by prepareBatch (same layout) so no index arrays are built here
 * @returns lossSum (scalar) and one gradient per parameter, in paramSpecs order; the caller disposes them.
 */
export function lossAndGradientSums(
  params: readonly tf.Tensor[],
  config: CaptionModelConfig,
  batch: CaptionBatch | PreparedBatch,
  options: StepOptions,
): { lossSum: tf.Scalar; gradients: tf.Tensor[]; tokenCount: number } {
  const prepared = 'prepared' in batch && batch.layout === options.layout ? batch : prepareBatch(asCaptionBatch(batch), config, options.layout, options.maxChunkTokens);
  if (prepared.chunks.length !== 1) {
    let total: { lossSum: tf.Scalar; gradients: tf.Tensor[]; tokenCount: number } | null = null;
    prepared.chunks.forEach((chunk, k) => {
      const part = chunkGradients(params, chunk, {
        ...options,
        seed: options.seed === undefined ? undefined : options.seed + 7919 * k,
      });
      if (!total) total = part;
      else {
        const previous: { lossSum: tf.Scalar; gradients: tf.Tensor[]; tokenCount: number } = total;
        total = {
          lossSum: tf.add(previous.lossSum, part.lossSum),
          gradients: previous.gradients.map((g, i) => tf.add(g, part.gradients[i])),
          tokenCount: previous.tokenCount + part.tokenCount,
        };
        tf.dispose([previous.lossSum, ...previous.gradients, part.lossSum, ...part.gradients]);
      }
    });
    return total ?? { lossSum: tf.scalar(0), gradients: params.map((p) => tf.zerosLike(p)), tokenCount: 0 };
  }
  return chunkGradients(params, prepared.chunks[0], options);
}

function asCaptionBatch(batch: CaptionBatch | PreparedBatch): CaptionBatch {
  if (!('prepared' in batch)) return batch;
  // A batch prepared for another layout: put its chunks back together.
  const parts = batch.chunks.map((c) => c.batch);
  return parts.length === 1 ? parts[0] : concatBatches(parts);
}

function concatBatches(parts: CaptionBatch[]): CaptionBatch {
  const images = parts.flatMap((b) =>
    Array.from({ length: b.imageCount }, (_, i) => ({
      features: b.features.subarray(i * b.featureDim, (i + 1) * b.featureDim),
      captions: Array.from(b.captionImage.keys())
        .filter((k) => b.captionImage[k] === i)
        .map((k) => Array.from(b.tokens.subarray(b.captionOffsets[k], b.captionOffsets[k + 1]))),
    })),
  );
  return makeCaptionBatch(images, parts[0].featureDim);
}

function chunkGradients(
  params: readonly tf.Tensor[],
  chunk: PreparedBatch['chunks'][number],
  options: StepOptions,
): { lossSum: tf.Scalar; gradients: tf.Tensor[]; tokenCount: number } {
  const { batch, arrays } = chunk;
  const tokenCount = batchTokenCount(batch);
  const forward = { dropout: options.dropout, seed: options.seed };
  return tf.tidy(() => {
    const features = tf.tensor2d(batch.features, [batch.imageCount, batch.featureDim]);
    const lossOf = (...list: tf.Tensor[]): tf.Scalar =>
      options.layout === 'sequence'
        ? sequenceLossSum(asParams(list), features, arrays as ReturnType<typeof sequenceArrays>, forward)
        : prefixLossSum(asParams(list), features, arrays as ReturnType<typeof prefixArrays>, forward);
    const factor = options.lossFactor;
    if (factor === undefined) {
      const { value, grads } = tf.valueAndGrads(lossOf)(params as tf.Tensor[]);
      return { lossSum: value, gradients: grads, tokenCount };
    }
    const scaled = (...list: tf.Tensor[]): tf.Scalar => tf.mul(lossOf(...list), factor);
    const { value, grads } = tf.valueAndGrads(scaled)(params as tf.Tensor[]);
    return { lossSum: tf.div(value, factor) as tf.Scalar, gradients: grads.map((g) => tf.div(g, factor)), tokenCount };
  });
}

/** Loss sum without gradients (validation), in the same bounded chunks as training. */
export function lossSum(params: readonly tf.Tensor[], config: CaptionModelConfig, batch: CaptionBatch, layout: Layout): tf.Scalar {
  // No gradients here, so twice the training pass; never more than one device buffer holds.
  const passLimit = passTokens(config, layout, layout === 'prefix' ? 1024 : 8192).tokens;
  const chunks = imageChunks(batch, passLimit);
  checkPassesFit(batch, chunks, config, layout, passLimit);
  return tf.tidy(() => {
    const p = asParams(params);
    let total = tf.scalar(0);
    for (const [start, end] of chunks) {
      const part = chunks.length > 1 ? sliceCaptionBatch(batch, start, end) : batch;
      const sum = tf.tidy(() => {
        const features = tf.tensor2d(part.features, [part.imageCount, part.featureDim]);
        return layout === 'sequence'
          ? sequenceLossSum(p, features, sequenceArrays(part), { dropout: 0 })
          : prefixLossSum(p, features, prefixArrays(part, config.maxLength), { dropout: 0 });
      });
      total = total.add(sum);
    }
    return total;
  });
}
