/**
 * What a protocol's split leaves to train on and to test, said before anyone presses Train: the real
 * Flickr8K subset (100 JPEGs, all of the official test split) has no training image under `standard`, and no
 * test image under `kaggle` (whose test split is the last 10% of captions.txt). Only images present in the
 * folder count: a captioned image without its file can neither be trained on nor scored.
 */
import type { CaptionFormat, Corpus, Split } from './types.ts';

/** An empty split of one protocol, as one sentence naming the cause and a way out. */
export interface SplitNotice {
  protocol: Corpus['protocol'];
  split: 'train' | 'test';
  message: string;
}

/** Images of each split that have a file in the folder. */
export function imagesWithFilePerSplit(corpus: Corpus): Record<Split, number> {
  const counts: Record<Split, number> = { train: 0, val: 0, test: 0 };
  for (const image of corpus.images) if (image.file !== null) counts[image.split]++;
  return counts;
}

function whereTheyAre(counts: Record<Split, number>, empty: Split): string {
  const total = counts.train + counts.val + counts.test;
  const holders = (['train', 'val', 'test'] as const).filter((split) => counts[split] > 0);
  if (holders.length === 1) {
    return total === 1 ? `the only image is in the ${holders[0]} split` : `all ${total.toLocaleString('en-US')} images are in the ${holders[0]} split`;
  }
  const parts = holders.map((split) => `${counts[split].toLocaleString('en-US')} ${split}`).join(', ');
  return `none of the ${total.toLocaleString('en-US')} images is in the ${empty} split (${parts})`;
}

/** Where images of `split` come from under the corpus' protocol, as an instruction. */
function addHint(corpus: Corpus, split: 'train' | 'test', format: CaptionFormat | undefined, captionFile: string | undefined): string {
  if (corpus.protocol === 'kaggle') {
    return `add images from the ${split === 'train' ? 'first 90%' : 'last 10%'} of ${captionFile ?? 'the caption file'}`;
  }
  if (corpus.problems.some((problem) => problem.code === 'derived-split')) return 'add more images';
  if (format === 'karpathy-json') return `add images that ${captionFile ?? 'dataset_flickr8k.json'} puts in its ${split} split`;
  return `add ${split === 'train' ? 'Flickr_8k.trainImages.txt' : 'Flickr_8k.testImages.txt'} images`;
}

/**
 * The empty training and test splits of `corpus`, each as a sentence ("standard: all 100 images are in the
 * test split: nothing to train on; use kaggle, or add Flickr_8k.trainImages.txt images"). `other`, the same
 * dataset under the other protocol, is suggested only where it has images in that split. A folder with no
 * image at all gets no notice: the loader already says so.
 */
export function splitNotices(
  corpus: Corpus,
  options: { format?: CaptionFormat; captionFile?: string; other?: Corpus } = {},
): SplitNotice[] {
  const counts = imagesWithFilePerSplit(corpus);
  if (counts.train + counts.val + counts.test === 0) return [];
  const otherCounts = options.other ? imagesWithFilePerSplit(options.other) : null;
  const notices: SplitNotice[] = [];
  for (const split of ['train', 'test'] as const) {
    if (counts[split] > 0) continue;
    const ways = [
      ...(options.other && otherCounts && otherCounts[split] > 0 ? [`use ${options.other.protocol}`] : []),
      addHint(corpus, split, options.format, options.captionFile),
    ];
    const consequence = split === 'train' ? 'nothing to train on' : 'no test images in this folder under this protocol (evaluation has nothing to score)';
    notices.push({
      protocol: corpus.protocol,
      split,
      message: `${corpus.protocol}: ${whereTheyAre(counts, split)}: ${consequence}; ${ways.join(', or ')}`,
    });
  }
  return notices;
}
