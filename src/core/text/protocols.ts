/** `buildCorpus(ds, protocol)`: a loaded dataset cleaned under one of the two text protocols. */
import type { Corpus, LoadedDataset, Protocol } from '../data/types.ts';
import { buildKaggleCorpus } from './kaggleProtocol.ts';
import { buildStandardCorpus, type StandardOptions } from './standardProtocol.ts';

export { END_TOKEN, START_TOKEN, kaggleCleanCaption, kaggleImageId } from './kaggleProtocol.ts';
export { standardCleanCaption } from './standardProtocol.ts';

export type CorpusOptions = StandardOptions;

export function buildCorpus(ds: LoadedDataset, protocol: Protocol, options: CorpusOptions = {}): Corpus {
  return protocol === 'kaggle' ? buildKaggleCorpus(ds) : buildStandardCorpus(ds, options);
}

/** Every caption of the corpus in image order (what the notebook's tokenizer is fitted on). */
export function allCaptions(corpus: Corpus): string[] {
  return corpus.images.flatMap((image) => image.captions);
}
