/**
 * Loss and gradients of one batch, as SUMS over its real target tokens, in either layout. Sums (not means)
 * let shards of a batch combine exactly: add the sums, divide by the total token count.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layout } from '../engine/trainer';
import { batchTokenCount, imageTokenCounts, prefixArrays, sequenceArrays, sliceCaptionBatch, type CaptionBatch } from './batches';
import { asParams, prefixLossSum, sequenceLossSum, type CaptionModelConfig } from './captionModel';

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
 * @returns lossSum (scalar) and one gradient per parameter, in paramSpecs order; the caller disposes them.
 */
export function lossAndGradientSums(
  params: readonly tf.Tensor[],
  config: CaptionModelConfig,
  batch: CaptionBatch,
  options: StepOptions,
): { lossSum: tf.Scalar; gradients: tf.Tensor[]; tokenCount: number } {
  const limit = options.maxChunkTokens ?? (options.layout === 'prefix' ? 512 : 4096);
  const chunks = imageChunks(batch, limit);
  if (chunks.length > 1) {
    let total: { lossSum: tf.Scalar; gradients: tf.Tensor[]; tokenCount: number } | null = null;
    chunks.forEach(([start, end], k) => {
      const part = lossAndGradientSums(params, config, sliceCaptionBatch(batch, start, end), {
        ...options,
        seed: options.seed === undefined ? undefined : options.seed + 7919 * k,
        maxChunkTokens: Infinity,
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
    return total!;
  }
  const tokenCount = batchTokenCount(batch);
  const forward = { dropout: options.dropout, seed: options.seed };
  const arrays = options.layout === 'sequence' ? sequenceArrays(batch) : prefixArrays(batch, config.maxLength);
  return tf.tidy(() => {
    const features = tf.tensor2d(batch.features, [batch.imageCount, batch.featureDim]);
    const lossOf = (...list: tf.Tensor[]): tf.Scalar =>
      options.layout === 'sequence'
        ? sequenceLossSum(asParams(list), features, arrays as ReturnType<typeof sequenceArrays>, forward)
        : prefixLossSum(asParams(list), features, arrays as ReturnType<typeof prefixArrays>, forward);
    const { value, grads } = tf.valueAndGrads(lossOf)(params as tf.Tensor[]);
    return { lossSum: value, gradients: grads, tokenCount };
  });
}

/** Loss sum without gradients (validation), in the same bounded chunks as training. */
export function lossSum(params: readonly tf.Tensor[], config: CaptionModelConfig, batch: CaptionBatch, layout: Layout): tf.Scalar {
  const chunks = imageChunks(batch, layout === 'prefix' ? 1024 : 8192);
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
