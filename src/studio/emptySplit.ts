/** Whether the loaded dataset has anything to train on under a protocol, in the words the Dataset panel uses. */
import { splitNotices } from '../core/data/splitNotices';
import type { Protocol } from '../core/data/types';
import type { DatasetAccess } from './ports';

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
