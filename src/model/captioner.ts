/**
 * The captioner: a caption model with its tokenizer and markers, turning feature vectors into captions.
 * One implementation for every caller: the CLI's caption/evaluate, the page's playground and evaluation,
 * and the trainers' per-epoch BLEU. Greedy decoding is batched (every image of a call advances together);
 * beam search decodes one image at a time; either can report the top words of every step, and `onWord`
 * hands each word over as soon as it is chosen (the playground shows the caption forming).
 */
import { memoryFolder } from '../core/data/folders.ts';
import { UserError } from '../core/errors.ts';
import { Tokenizer } from '../core/text/tokenizer.ts';
import { CaptionModel, type CaptionModelConfig } from './captionModel.ts';
import { beamSearch, captionWords, greedyDecode, type DecodedCaption, type StepAlternatives } from './decode.ts';
import { encodeCaptionModel, loadCaptionModel, type LoadedCaptionModel, type ModelMeta } from './weightsIo.ts';

/** The top words the model offered at one step, best first. */
export interface WordAlternatives {
  words: string[];
  probs: number[];
}

export interface CaptionResult {
  /** The caption, markers dropped. */
  text: string;
  words: string[];
  /** Every word the decoder chose, in order, the end marker included when the model ended the caption. */
  decodedWords: string[];
  /** What BLEU under the kaggle protocol scores: start marker, words, end marker if the model ended. */
  markedText: string;
  logProb: number;
  /** Per step, the top-k words and probabilities (when asked). */
  alternatives?: WordAlternatives[];
}

export interface CaptionOptions {
  /** Beam width (1 = greedy, batched over all images). */
  beam?: number;
  /** Alternatives reported per step (0 = none). */
  topK?: number;
  /**
   * Each chosen word of image `image` (its index in the call): greedy calls it as the word is chosen,
   * beam search once per word of the best beam at the end.
   */
  onWord?(image: number, word: string, alternatives: WordAlternatives | undefined): void;
  /** Checked before every decoding step; an abort rejects with an AbortError. */
  signal?: AbortSignal;
}

/** Images decoded together by greedy decoding: bounds the memory of one call whatever its size. */
const GREEDY_CHUNK = 128;

/** Index 0 is no word (padding): the notebook's `word is None`, which ends a caption. */
const NO_WORD = '(none)';

export class Captioner {
  readonly startToken: string;
  readonly endToken: string;
  private readonly startId: number;
  private readonly endId: number;

  /**
   * Checks that the tokenizer belongs to the model: it knows both markers and has the model's vocabulary.
   * @param ownsModel dispose() disposes the model (false for a view over a trainer's live weights)
   */
  constructor(
    readonly model: CaptionModel,
    readonly tokenizer: Tokenizer,
    readonly meta: ModelMeta,
    private readonly ownsModel = true,
  ) {
    this.startToken = typeof meta.startToken === 'string' ? meta.startToken : 'startseq';
    this.endToken = typeof meta.endToken === 'string' ? meta.endToken : 'endseq';
    checkTokenizerFits(tokenizer, model.config, [this.startToken, this.endToken]);
    this.startId = tokenizer.wordIndex.get(this.startToken)!;
    this.endId = tokenizer.wordIndex.get(this.endToken)!;
  }

  /** A loaded model folder (ours or a converted notebook model with the notebook's tokenizer.json). */
  static fromLoaded(loaded: LoadedCaptionModel): Captioner {
    if (!loaded.tokenizerJson) {
      throw new UserError('the model folder has no tokenizer.json (for a notebook model: save `tokenizer.to_json()` there)');
    }
    let tokenizer: Tokenizer;
    try {
      tokenizer = Tokenizer.fromJSON(loaded.tokenizerJson);
    } catch (error) {
      throw new UserError(`tokenizer.json is not a Keras tokenizer's JSON (${(error as Error).message})`, { file: 'tokenizer.json' });
    }
    // Checked before the model's weights become tensors: a tokenizer of another model is refused first.
    const markers = [loaded.meta.startToken, loaded.meta.endToken].map((m, i) => (typeof m === 'string' ? m : ['startseq', 'endseq'][i]));
    checkTokenizerFits(tokenizer, loaded.config, markers);
    const model = new CaptionModel(loaded.config, loaded.weights);
    try {
      return new Captioner(model, tokenizer, loaded.meta);
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  /** A model folder's files (e.g. an unpacked archive); `name` names it in errors. */
  static async fromFiles(files: Record<string, Uint8Array | string>, name: string): Promise<Captioner> {
    return Captioner.fromLoaded(await loadCaptionModel(memoryFolder(name, files)));
  }

  get config(): CaptionModelConfig {
    return this.model.config;
  }

  /** @param features one [featureDim] vector per image */
  async caption(features: Float32Array[], options: CaptionOptions = {}): Promise<CaptionResult[]> {
    const dim = this.config.featureDim;
    features.forEach((f, i) => {
      if (f.length !== dim) throw new UserError(`image ${i + 1}: its features have ${f.length} values but the model expects ${dim}: extract them with the backbone the model was trained on`);
    });
    const decodeOptions = { startId: this.startId, endId: this.endId, maxSteps: this.config.maxLength, topK: options.topK, signal: options.signal };
    const decoded: DecodedCaption[] = [];
    if ((options.beam ?? 1) <= 1) {
      for (let first = 0; first < features.length; first += GREEDY_CHUNK) {
        const part = features.slice(first, first + GREEDY_CHUNK);
        const flat = new Float32Array(part.length * dim);
        part.forEach((f, i) => flat.set(f, i * dim));
        const onToken = options.onWord && ((image: number, id: number, alt: StepAlternatives | undefined) => options.onWord!(first + image, this.word(id), alt && this.alternatives(alt)));
        decoded.push(...(await greedyDecode(this.model.variables, this.config, flat, { ...decodeOptions, ...(onToken ? { onToken } : {}) })));
      }
    } else {
      for (const [image, f] of features.entries()) {
        const d = await beamSearch(this.model.variables, this.config, f, options.beam!, decodeOptions);
        d.tokens.forEach((id, i) => options.onWord?.(image, this.word(id), d.alternatives?.[i] && this.alternatives(d.alternatives[i])));
        decoded.push(d);
      }
    }
    return decoded.map((d) => this.result(d));
  }

  /** The model folder's files (weightsIo: model.json, weights.bin, tokenizer.json) of the current weights. */
  async files(meta: ModelMeta = {}): Promise<Record<string, Uint8Array | string>> {
    return encodeCaptionModel(this.config, await this.model.getWeights(), this.tokenizer.toJSON(), {
      ...this.meta,
      ...meta,
      startToken: this.startToken,
      endToken: this.endToken,
    });
  }

  private word(id: number): string {
    return id === 0 ? NO_WORD : (this.tokenizer.indexWord.get(id) ?? `#${id}`);
  }

  private alternatives(a: StepAlternatives): WordAlternatives {
    return { words: a.ids.map((id) => this.word(id)), probs: a.probs };
  }

  private result(d: DecodedCaption): CaptionResult {
    const decodedWords = d.tokens.map((id) => this.word(id));
    const words = captionWords(d.tokens, (id) => this.tokenizer.indexWord.get(id), { start: this.startToken, end: this.endToken });
    const alternatives = d.alternatives?.map((a) => this.alternatives(a));
    return {
      text: words.join(' '),
      words,
      decodedWords,
      markedText: [this.startToken, ...decodedWords].join(' '),
      logProb: d.logProb,
      ...(alternatives ? { alternatives } : {}),
    };
  }

  dispose(): void {
    if (this.ownsModel) this.model.dispose();
  }
}

/**
 * The tokenizer belongs to the model: it knows both markers, has the model's vocabulary size, and every
 * word's index is a row of the model's embedding (a vocabulary of another model fails one of these).
 */
function checkTokenizerFits(tokenizer: Tokenizer, config: CaptionModelConfig, markers: string[]): void {
  for (const marker of markers) {
    if (!tokenizer.wordIndex.has(marker)) throw new UserError(`tokenizer.json does not contain the marker word "${marker}"`, { file: 'tokenizer.json' });
  }
  if (tokenizer.vocabSize !== config.vocabSize) {
    throw new UserError(`tokenizer.json has ${tokenizer.vocabSize - 1} words but the model's vocabulary is ${config.vocabSize - 1}: they do not belong together`, {
      file: 'tokenizer.json',
    });
  }
  for (const [word, index] of tokenizer.wordIndex) {
    if (!Number.isSafeInteger(index) || index < 1 || index >= config.vocabSize) {
      throw new UserError(`tokenizer.json gives "${word}" the index ${index}, outside the model's vocabulary 1..${config.vocabSize - 1}: they do not belong together`, {
        file: 'tokenizer.json',
      });
    }
  }
}
