/**
 * Batches as plain data (structured-clone safe, so they cross to worker replicas as they are), and the two
 * training layouts built from them.
 *
 * A batch is counted in images: every caption of an image travels with it. Captions are token ids with the
 * start and end markers included; a caption of L tokens gives L-1 next-word targets in both layouts.
 */

/** `prefix`: the notebook's one sample per caption prefix; `sequence`: whole-caption teacher forcing. */
export type Layout = 'prefix' | 'sequence';

export interface CaptionBatch {
  featureDim: number;
  imageCount: number;
  /** [imageCount · featureDim] */
  features: Float32Array;
  /** [captions]: index (0..imageCount-1) of each caption's image */
  captionImage: Int32Array;
  /** [captions + 1]: caption k is tokens[offsets[k] .. offsets[k+1]) */
  captionOffsets: Int32Array;
  /** every caption's token ids, concatenated */
  tokens: Int32Array;
}

export function captionCount(batch: CaptionBatch): number {
  return batch.captionImage.length;
}

/** Real next-word targets of the batch (what the loss is averaged over). */
export function batchTokenCount(batch: CaptionBatch): number {
  let count = 0;
  for (let k = 0; k < captionCount(batch); k++) {
    count += Math.max(0, batch.captionOffsets[k + 1] - batch.captionOffsets[k] - 1);
  }
  return count;
}

/** Targets per image, for splitting a batch into shards of similar work. */
export function imageTokenCounts(batch: CaptionBatch): number[] {
  const counts = new Array<number>(batch.imageCount).fill(0);
  for (let k = 0; k < captionCount(batch); k++) {
    counts[batch.captionImage[k]] += Math.max(0, batch.captionOffsets[k + 1] - batch.captionOffsets[k] - 1);
  }
  return counts;
}

/** Builds a batch from images (feature vector plus its captions as token ids). */
export function makeCaptionBatch(
  images: readonly { features: Float32Array; captions: readonly (readonly number[])[] }[],
  featureDim: number,
): CaptionBatch {
  const features = new Float32Array(images.length * featureDim);
  const captionImage: number[] = [];
  const offsets: number[] = [0];
  const tokens: number[] = [];
  images.forEach((image, i) => {
    if (image.features.length !== featureDim) {
      throw new Error(`image ${i} has ${image.features.length} features, the model expects ${featureDim}`);
    }
    features.set(image.features, i * featureDim);
    for (const caption of image.captions) {
      captionImage.push(i);
      tokens.push(...caption);
      offsets.push(tokens.length);
    }
  });
  return {
    featureDim,
    imageCount: images.length,
    features,
    captionImage: Int32Array.from(captionImage),
    captionOffsets: Int32Array.from(offsets),
    tokens: Int32Array.from(tokens),
  };
}

/** Images [start, end) of a batch, with their captions (for mirrored shards). */
export function sliceCaptionBatch(batch: CaptionBatch, start: number, end: number): CaptionBatch {
  const { featureDim } = batch;
  const keep: number[] = [];
  for (let k = 0; k < captionCount(batch); k++) {
    if (batch.captionImage[k] >= start && batch.captionImage[k] < end) keep.push(k);
  }
  const offsets = [0];
  const tokens: number[] = [];
  for (const k of keep) {
    for (let j = batch.captionOffsets[k]; j < batch.captionOffsets[k + 1]; j++) tokens.push(batch.tokens[j]);
    offsets.push(tokens.length);
  }
  return {
    featureDim,
    imageCount: end - start,
    features: batch.features.slice(start * featureDim, end * featureDim),
    captionImage: Int32Array.from(keep.map((k) => batch.captionImage[k] - start)),
    captionOffsets: Int32Array.from(offsets),
    tokens: Int32Array.from(tokens),
  };
}

/**
 * `sequence` layout: each caption once, inputs post-padded (masked steps carry the state, and padded
 * positions are left out of the loss).
 */
export interface SequenceArrays {
  rows: number;
  steps: number;
  /** [rows, steps]: tokens[0..L-2] of each caption, then 0 */
  inputs: Int32Array;
  /** [rows]: image of each row */
  rowImage: Int32Array;
  /** [targets]: flat index row·steps + t of every real target position */
  targetPositions: Int32Array;
  /** [targets]: the next word at each of those positions */
  targets: Int32Array;
}

export function sequenceArrays(batch: CaptionBatch): SequenceArrays {
  const rows = captionCount(batch);
  let steps = 1;
  for (let k = 0; k < rows; k++) steps = Math.max(steps, batch.captionOffsets[k + 1] - batch.captionOffsets[k] - 1);
  const inputs = new Int32Array(rows * steps);
  const positions: number[] = [];
  const targets: number[] = [];
  for (let k = 0; k < rows; k++) {
    const start = batch.captionOffsets[k];
    const length = batch.captionOffsets[k + 1] - start;
    for (let t = 0; t < length - 1; t++) {
      inputs[k * steps + t] = batch.tokens[start + t];
      positions.push(k * steps + t);
      targets.push(batch.tokens[start + t + 1]);
    }
  }
  return {
    rows,
    steps,
    inputs,
    rowImage: batch.captionImage.slice(),
    targetPositions: Int32Array.from(positions),
    targets: Int32Array.from(targets),
  };
}

/**
 * `prefix` layout (the notebook's data generator): one sample per caption prefix, pre-padded, the next word
 * as its target. Columns that are padding in every sample are dropped: with pre-padding and masking they
 * leave the state at zero, so the result is the same as padding to maxLength, only cheaper.
 */
export interface PrefixArrays {
  samples: number;
  steps: number;
  /** [samples, steps], pre-padded with 0 */
  inputs: Int32Array;
  /** [samples] */
  sampleImage: Int32Array;
  /** [samples] */
  targets: Int32Array;
}

export function prefixArrays(batch: CaptionBatch, maxLength: number, trimPadding = true): PrefixArrays {
  const rows = captionCount(batch);
  let samples = 0;
  let longest = 1;
  for (let k = 0; k < rows; k++) {
    const length = batch.captionOffsets[k + 1] - batch.captionOffsets[k];
    samples += Math.max(0, length - 1);
    longest = Math.max(longest, length - 1);
  }
  if (longest > maxLength) throw new Error(`a caption prefix of ${longest} tokens exceeds maxLength ${maxLength}`);
  const steps = trimPadding ? longest : maxLength;
  const inputs = new Int32Array(samples * steps);
  const sampleImage = new Int32Array(samples);
  const targets = new Int32Array(samples);
  let s = 0;
  for (let k = 0; k < rows; k++) {
    const start = batch.captionOffsets[k];
    const length = batch.captionOffsets[k + 1] - start;
    for (let i = 1; i < length; i++) {
      // prefix tokens[0..i-1] right-aligned
      for (let j = 0; j < i; j++) inputs[s * steps + steps - i + j] = batch.tokens[start + j];
      sampleImage[s] = batch.captionImage[k];
      targets[s] = batch.tokens[start + i];
      s++;
    }
  }
  return { samples, steps, inputs, sampleImage, targets };
}
