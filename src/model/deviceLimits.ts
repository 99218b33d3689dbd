/**
 * What fits in one buffer of the device tfjs runs on (WebGPU: the smaller of maxStorageBufferBindingSize
 * and maxBufferSize; other backends have no such bound here). Training passes are cut to fit (the gradient
 * sums are the same, see gradients.ts' chunks); weights that cannot fit are refused before any reaches the
 * GPU, naming the limit, the size asked and what fits. Every trainer, replica worker and the captioner go
 * through these functions, in Node (Dawn) and in the page.
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../core/errors.ts';
import type { Layout } from './batches.ts';
import { paramSpecs, type CaptionModelConfig } from './captionModel.ts';

export interface BufferLimit {
  bytes: number;
  /** The WebGPU limit that sets it. */
  name: 'maxStorageBufferBindingSize' | 'maxBufferSize';
}

/** The one-buffer bound of the current tfjs backend's device; null off WebGPU. */
export function currentBufferLimit(): BufferLimit | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const limits = (tf.backend() as unknown as { device?: { limits?: Record<string, number> } }).device?.limits;
  if (!limits) return null;
  const binding = limits.maxStorageBufferBindingSize;
  const buffer = limits.maxBufferSize;
  if (typeof binding !== 'number' || typeof buffer !== 'number') return null;
  return binding <= buffer ? { bytes: binding, name: 'maxStorageBufferBindingSize' } : { bytes: buffer, name: 'maxBufferSize' };
}

export function formatMiB(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/**
 * Bytes of the widest float32 tensor a pass holds per target token: the logits (and their gradient) over
 * the vocabulary, the LSTM's four gates, the embedded inputs; in the prefix layout each target is a sample
 * that unrolls the LSTM over the whole caption length.
 */
export function bytesPerTargetToken(config: CaptionModelConfig, layout: Layout): number {
  const steps = layout === 'prefix' ? config.maxLength : 1;
  return 4 * Math.max(config.vocabSize, steps * 4 * config.units, steps * config.embedDim);
}

export interface ChunkPlan {
  /** Most target tokens per pass. */
  tokens: number;
  /** Set when the device, not the default, bounds the pass: the sentence for the log. */
  deviceNote: string | null;
}

/** The most target tokens per forward/backward pass: `defaultTokens`, or fewer where the device needs it. */
export function passTokens(config: CaptionModelConfig, layout: Layout, defaultTokens: number, limit = currentBufferLimit()): ChunkPlan {
  if (!limit) return { tokens: defaultTokens, deviceNote: null };
  const perToken = bytesPerTargetToken(config, layout);
  const fit = Math.floor(limit.bytes / perToken);
  if (fit >= defaultTokens) return { tokens: defaultTokens, deviceNote: null };
  return {
    tokens: Math.max(1, fit),
    deviceNote:
      `this device's ${limit.name} (${formatMiB(limit.bytes)}) holds the ${layout === 'prefix' ? 'samples' : 'logits'} of at most ${fit} target tokens ` +
      `(${perToken} bytes each at a vocabulary of ${config.vocabSize}): each batch is computed in passes of at most ${fit} tokens instead of ${defaultTokens}, ` +
      'with the same gradients',
  };
}

/**
 * Refuses a pass that even one image's captions make too big for the device (passes are cut between
 * images): the limit, the size asked, and the vocabulary that would fit.
 */
export function checkOneImageFits(config: CaptionModelConfig, layout: Layout, imageTokens: number, limit = currentBufferLimit()): void {
  if (!limit) return;
  const perToken = bytesPerTargetToken(config, layout);
  if (imageTokens * perToken <= limit.bytes) return;
  throw new UserError(
    `one image's captions hold ${imageTokens} target tokens, whose ${layout === 'prefix' ? 'samples' : 'logits'} need ${formatMiB(imageTokens * perToken)} in one buffer, ` +
      `over this device's ${limit.name} of ${formatMiB(limit.bytes)}: no batch fits (at most ${Math.floor(limit.bytes / perToken)} target tokens do); ` +
      `use a smaller vocabulary, the sequence layout or the wasm backend`,
  );
}

/**
 * Refuses weights that cannot be one buffer on the device (a vocabulary too large for the output layer or
 * the embedding), before any variable is created: the weight, its size, the limit, the vocabulary that fits.
 */
export function checkWeightsFit(config: CaptionModelConfig, limit = currentBufferLimit()): void {
  if (!limit) return;
  for (const spec of paramSpecs(config)) {
    const bytes = 4 * spec.shape.reduce((a, b) => a * b, 1);
    if (bytes <= limit.bytes) continue;
    const perWord = 4 * Math.max(config.units, config.embedDim);
    throw new UserError(
      `weight ${spec.name} [${spec.shape.join(', ')}] needs ${formatMiB(bytes)} in one buffer, over this device's ${limit.name} of ${formatMiB(limit.bytes)} ` +
        `(WebGPU): a vocabulary of at most ${Math.floor(limit.bytes / perWord) - 1} words fits with ${config.units} units and embedding ${config.embedDim}; ` +
        'use fewer words or units, or the wasm backend',
    );
  }
}
