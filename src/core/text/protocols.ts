/** `buildCorpus(ds, protocol)`: a loaded dataset cleaned under one of the two text protocols. */
import type { Corpus, LoadedDataset, Protocol } from '../data/types.ts';
import { buildKaggleCorpus } from './kaggleProtocol.ts';
import { buildStandardCorpus, type StandardOptions } from './standardProtocol.ts';
import { Tokenizer } from './tokenizer.ts';

export { END_TOKEN, START_TOKEN, kaggleCleanCaption, kaggleImageId } from './kaggleProtocol.ts';
export { standardCleanCaption } from './standardProtocol.ts';

export type CorpusOptions = StandardOptions;

export function buildCorpus(ds: LoadedDataset, protocol: Protocol, options: CorpusOptions = {}): Corpus {
  return protocol === 'kaggle' ? buildKaggleCorpus(ds) : buildStandardCorpus(ds, options);
}

/**
 * The tokenizer a corpus calls for: fitted on every caption (kaggle, as the notebook does) or on the training
 * split's only (standard, so test words stay unseen). Training, and the import of a notebook model without
 * its tokenizer file, both use this.
 */
export function fitCaptionTokenizer(corpus: Corpus): Tokenizer {
  const tokenizer = new Tokenizer();
  const fitOn = corpus.protocol === 'kaggle' ? corpus.images : corpus.images.filter((i) => i.split === 'train');
  tokenizer.fitOnTexts(fitOn.flatMap((i) => i.captions));
  return tokenizer;
}

/** Every caption of the corpus in image order (what the notebook's tokenizer is fitted on). */
export function allCaptions(corpus: Corpus): string[] {
  return corpus.images.flatMap((image) => image.captions);
}
