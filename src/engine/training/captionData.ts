/**
 * From a corpus and image features to what training and evaluation consume: token-id captions per image,
 * split by the corpus, with the tokenizer fitted as the protocol says (kaggle: on every caption, as the
 * notebook does; standard: on the training split only, so test words stay unseen).
 */
import type { Corpus, Protocol } from '../../core/data/types.ts';
import { fitCaptionTokenizer } from '../../core/text/protocols.ts';
import type { Tokenizer } from '../../core/text/tokenizer.ts';
import { UserError } from '../../core/errors.ts';
import { splitNotices } from '../../core/data/splitNotices.ts';
import { deriveSeed, mulberry32, shuffle } from '../../core/rng.ts';
import type { CaptionModelConfig } from '../../model/captionModel.ts';

export interface CaptionExample {
  name: string;
  /** [featureDim] */
  features: Float32Array;
  /** Token ids, start and end markers included (unknown words dropped, as Keras does). */
  captions: number[][];
  /** The cleaned captions as text, markers included (BLEU references). */
  references: string[];
}

export interface CaptionDataset {
  protocol: Protocol;
  train: CaptionExample[];
  val: CaptionExample[];
  test: CaptionExample[];
  tokenizer: Tokenizer;
  vocabSize: number;
  maxLength: number;
  featureDim: number;
  startToken: string;
  endToken: string;
  startId: number;
  endId: number;
  /** Images of the corpus with no feature vector (left out, reported). */
  missingFeatures: string[];
}

/** The layer sizes a run may override; the notebook's 256 otherwise. */
export type ModelSizes = Partial<Pick<CaptionModelConfig, 'units' | 'embedDim'>>;

/** The caption model a dataset calls for: vocabulary, length and feature width from the data. */
export function captionModelConfigFor(data: CaptionDataset, dropout: number, sizes: ModelSizes = {}): CaptionModelConfig {
  return {
    vocabSize: data.vocabSize,
    maxLength: data.maxLength,
    featureDim: data.featureDim,
    units: sizes.units ?? 256,
    embedDim: sizes.embedDim ?? 256,
    dropout,
  };
}

/** The feature vector of a corpus image: by its name, its file's base name, or the notebook's id. */
export function featuresFor(features: ReadonlyMap<string, Float32Array>, name: string, file: string | null): Float32Array | undefined {
  const base = file?.split('/').pop();
  return features.get(name) ?? (base ? features.get(base) : undefined) ?? features.get(`${name}.jpg`) ?? features.get(name.split('.')[0]);
}

export function buildCaptionDataset(
  corpus: Corpus,
  features: ReadonlyMap<string, Float32Array>,
  options: { tokenizer?: Tokenizer } = {},
): CaptionDataset {
  const tokenizer = options.tokenizer ?? fitCaptionTokenizer(corpus);
  const startId = tokenizer.wordIndex.get(corpus.startToken);
  const endId = tokenizer.wordIndex.get(corpus.endToken);
  if (startId === undefined || endId === undefined) {
    throw new UserError(`the tokenizer does not know the markers ${corpus.startToken}/${corpus.endToken}: no training captions?`);
  }
  const splits: Record<'train' | 'val' | 'test', CaptionExample[]> = { train: [], val: [], test: [] };
  const missingFeatures: string[] = [];
  let featureDim = 0;
  for (const image of corpus.images) {
    const vector = featuresFor(features, image.name, image.file);
    if (!vector) {
      missingFeatures.push(image.name);
      continue;
    }
    featureDim ||= vector.length;
    if (vector.length !== featureDim) throw new UserError(`features of ${image.name} have ${vector.length} values, others ${featureDim}`);
    splits[image.split].push({
      name: image.name,
      features: vector,
      captions: tokenizer.textsToSequences(image.captions).filter((c) => c.length >= 2),
      references: image.captions,
    });
  }
  if (splits.train.length === 0) {
    // The split, not the features, is the cause when no training image of the protocol is in the folder.
    const emptyTrain = splitNotices(corpus).find((notice) => notice.split === 'train');
    if (emptyTrain) throw new UserError(emptyTrain.message);
    throw new UserError(
      `no training image has features (${missingFeatures.length} images without; e.g. ${missingFeatures[0] ?? 'none'}): extract features for this dataset first`,
    );
  }
  return {
    protocol: corpus.protocol,
    ...splits,
    tokenizer,
    vocabSize: tokenizer.vocabSize,
    maxLength: corpus.maxLength,
    featureDim,
    startToken: corpus.startToken,
    endToken: corpus.endToken,
    startId,
    endId,
    missingFeatures,
  };
}

/**
 * The order of the training images in one epoch, seeded by the run's seed and the epoch: the in-process and
 * the mirrored trainers use the same order, so their runs compare step by step and resume alike.
 */
export function epochOrder(seed: number, epoch: number, imageCount: number): number[] {
  return shuffle(mulberry32(deriveSeed(seed, `epoch/${epoch}`)), Array.from({ length: imageCount }, (_, i) => i));
}
