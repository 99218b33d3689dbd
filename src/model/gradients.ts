/**
 * Loss and gradients of one batch, as SUMS over its real target tokens, in either layout. Sums (not means)
 * let shards of a batch combine exactly: add the sums, divide by the total token count.
 */
import * as tf from '@tensorflow/tfjs';
import type { Layout } from '../engine/trainer';
import { batchTokenCount, prefixArrays, sequenceArrays, type CaptionBatch } from './batches';
import { asParams, prefixLossSum, sequenceLossSum, type CaptionModelConfig } from './captionModel';

export interface StepOptions {
  layout: Layout;
  /** Dropout rate (0 = off). */
  dropout: number;
  /** Seed of the dropout masks of this step. */
  seed?: number;
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

/** Loss sum without gradients (validation). */
export function lossSum(params: readonly tf.Tensor[], config: CaptionModelConfig, batch: CaptionBatch, layout: Layout): tf.Scalar {
  return tf.tidy(() => {
    const features = tf.tensor2d(batch.features, [batch.imageCount, batch.featureDim]);
    const p = asParams(params);
    return layout === 'sequence'
      ? sequenceLossSum(p, features, sequenceArrays(batch), { dropout: 0 })
      : prefixLossSum(p, features, prefixArrays(batch, config.maxLength), { dropout: 0 });
  });
}
