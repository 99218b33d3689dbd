/**
 * What a run is about to train on, told before it starts: whether the protocol leaves any training image (in
 * the words the Dataset panel uses), and how many steps an epoch has (for progress and the ETA).
 */
import { splitNotices } from '../../core/data/splitNotices.ts';
import type { Corpus, Protocol } from '../../core/data/types.ts';
import { featuresFor } from '../../engine/training/captionData.ts';
import type { DatasetAccess } from '../ports.ts';

/** The sentence saying why `protocol` leaves no training image in the folder; null when it leaves some. */
export function emptyTrainingSplit(dataset: DatasetAccess, protocol: Protocol): string | null {
  const loaded = dataset.loaded();
  const corpus = dataset.corpus(protocol);
  if (!loaded || !corpus) return null;
  const where = { format: loaded.dataset.format, captionFile: loaded.dataset.captionFile };
  if (!splitNotices(corpus, where).some((notice) => notice.split === 'train')) return null;
  // Built only now, to suggest the other protocol where it has training images.
  const other = dataset.corpus(protocol === 'kaggle' ? 'standard' : 'kaggle') ?? undefined;
  return splitNotices(corpus, { ...where, other }).find((notice) => notice.split === 'train')?.message ?? null;
}

/** Steps in one epoch: training images with features, a batch of `batchSize` images per step, rounded up. */
export function stepsPerEpochOf(corpus: Corpus, features: ReadonlyMap<string, Float32Array>, batchSize: number): number {
  let images = 0;
  for (const image of corpus.images) if (image.split === 'train' && featuresFor(features, image.name, image.file)) images++;
  return Math.ceil(images / Math.max(1, batchSize));
}
