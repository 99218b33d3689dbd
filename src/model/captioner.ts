/**
 * A loaded caption model ready to caption feature vectors: weights as tensors, the tokenizer, the markers.
 * The CLI's caption/evaluate and the page's playground use it.
 */
import { UserError } from '../core/errors';
import { Tokenizer } from '../core/text/tokenizer';
import { CaptionModel, type CaptionModelConfig } from './captionModel';
import { beamSearch, captionWords, greedyDecode, type DecodedCaption, type StepAlternatives } from './decode';
import type { LoadedCaptionModel, ModelMeta } from './weightsIo';

export interface CaptionResult {
  /** The caption, markers dropped. */
  text: string;
  words: string[];
  /** What BLEU under the kaggle protocol scores: start marker, words, end marker if the model ended. */
  markedText: string;
  logProb: number;
  /** Per step, the top-k words and probabilities (when asked). */
  alternatives?: { words: string[]; probs: number[] }[];
}

export class Captioner {
  readonly model: CaptionModel;
  readonly tokenizer: Tokenizer;
  readonly startToken: string;
  readonly endToken: string;
  readonly meta: ModelMeta;

  constructor(loaded: LoadedCaptionModel) {
    if (!loaded.tokenizerJson) {
      throw new UserError('the model folder has no tokenizer.json (for a notebook model: save `tokenizer.to_json()` there)');
    }
    this.tokenizer = Tokenizer.fromJSON(loaded.tokenizerJson);
    this.meta = loaded.meta;
    this.startToken = (loaded.meta.startToken as string | undefined) ?? 'startseq';
    this.endToken = (loaded.meta.endToken as string | undefined) ?? 'endseq';
    for (const marker of [this.startToken, this.endToken]) {
      if (!this.tokenizer.wordIndex.has(marker)) throw new UserError(`tokenizer.json does not contain the marker word "${marker}"`, { file: 'tokenizer.json' });
    }
    if (this.tokenizer.vocabSize !== loaded.config.vocabSize) {
      throw new UserError(`tokenizer.json has ${this.tokenizer.vocabSize - 1} words but the model's vocabulary is ${loaded.config.vocabSize - 1}: they do not belong together`, {
        file: 'tokenizer.json',
      });
    }
    this.model = new CaptionModel(loaded.config, loaded.weights);
  }

  get config(): CaptionModelConfig {
    return this.model.config;
  }

  /**
   * @param features one [featureDim] vector per image
   * @param options beam: width (1 = greedy, batched over all images); topK: alternatives per step
   */
  async caption(features: Float32Array[], options: { beam?: number; topK?: number } = {}): Promise<CaptionResult[]> {
    const dim = this.config.featureDim;
    features.forEach((f, i) => {
      if (f.length !== dim) throw new UserError(`image ${i + 1}: features have ${f.length} values, the model expects ${dim} (another backbone?)`);
    });
    const decodeOptions = {
      startId: this.tokenizer.wordIndex.get(this.startToken)!,
      endId: this.tokenizer.wordIndex.get(this.endToken)!,
      maxSteps: this.config.maxLength,
      topK: options.topK,
    };
    let decoded: DecodedCaption[];
    if ((options.beam ?? 1) <= 1) {
      const flat = new Float32Array(features.length * dim);
      features.forEach((f, i) => flat.set(f, i * dim));
      decoded = await greedyDecode(this.model.variables, this.config, flat, decodeOptions);
    } else {
      decoded = [];
      for (const f of features) decoded.push(await beamSearch(this.model.variables, this.config, f, options.beam!, decodeOptions));
    }
    return decoded.map((d) => this.result(d));
  }

  private result(d: DecodedCaption): CaptionResult {
    const word = (id: number) => this.tokenizer.indexWord.get(id);
    const words = captionWords(d.tokens, word, { start: this.startToken, end: this.endToken });
    const marked = [this.startToken, ...d.tokens.map((id) => word(id) ?? '')].join(' ');
    const alternatives = d.alternatives?.map((a: StepAlternatives) => ({ words: a.ids.map((id) => word(id) ?? '<pad>'), probs: a.probs }));
    return { text: words.join(' '), words, markedText: marked, logProb: d.logProb, ...(alternatives ? { alternatives } : {}) };
  }

  dispose(): void {
    this.model.dispose();
  }
}

