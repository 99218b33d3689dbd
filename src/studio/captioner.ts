/**
 * A Captioner over the caption model (model/captionModel.ts) and its tokenizer: step-by-step greedy decoding
 * that reports each word with the top alternatives as it is chosen, beam search, and the model archive
 * (one zip of weightsIo's files: model.json, weights.bin, tokenizer.json).
 */
import * as tf from '@tensorflow/tfjs';
import { unzipSync, zipSync } from 'fflate';
import { memoryFolder } from '../core/data/folders';
import { Tokenizer } from '../core/text/tokenizer';
import { UserError } from '../core/errors';
import { asParams, CaptionModel, decodeStep, imageBranch, type CaptionModelConfig } from '../model/captionModel';
import { beamSearch } from '../model/decode';
import { encodeCaptionModel, loadCaptionModel, type LoadedCaptionModel, type ModelMeta } from '../model/weightsIo';
import type { CaptionStep } from '../store/slices/playground';
import type { Captioner, DecodeOptions } from './ports';

export interface CaptionerSource {
  config: CaptionModelConfig;
  weights: Float32Array[];
  tokenizerJson: string | null;
  meta: ModelMeta;
}

export function createCaptioner(source: CaptionerSource, label: string, origin: 'trained' | 'archive' | 'notebook'): Captioner {
  if (!source.tokenizerJson) {
    throw new UserError('the model has no tokenizer.json: add the tokenizer the notebook saved (tokenizer.to_json()) next to model.json');
  }
  const tokenizer = Tokenizer.fromJSON(source.tokenizerJson);
  const startToken = typeof source.meta.startToken === 'string' ? source.meta.startToken : 'startseq';
  const endToken = typeof source.meta.endToken === 'string' ? source.meta.endToken : 'endseq';
  const startId = tokenizer.wordIndex.get(startToken);
  const endId = tokenizer.wordIndex.get(endToken);
  if (startId === undefined || endId === undefined) throw new UserError(`the tokenizer does not know the caption markers ${startToken} / ${endToken}`);
  const { config } = source;
  const model = new CaptionModel(config, source.weights);
  const word = (id: number) => (id === 0 ? '(none)' : (tokenizer.indexWord.get(id) ?? `#${id}`));
  const toStep = (id: number, alt: { ids: number[]; probs: number[] } | undefined): CaptionStep => ({
    word: word(id),
    top: alt ? alt.ids.map((k, i) => ({ word: word(k), probability: alt.probs[i] })) : [],
  });
  const textOf = (steps: CaptionStep[]) => steps.map((s) => s.word).filter((w) => w !== endToken && w !== startToken && w !== '(none)').join(' ');

  /** Greedy, one token at a time, so each word reaches the page as soon as it is chosen. */
  async function greedy(features: Float32Array, options: DecodeOptions): Promise<CaptionStep[]> {
    const p = asParams(model.variables);
    const topK = Math.max(options.topK, 1);
    const image = tf.tidy(() => imageBranch(p, tf.tensor2d(features, [1, config.featureDim]), { dropout: 0 }));
    let h: tf.Tensor2D = tf.zeros([1, config.units]);
    let c: tf.Tensor2D = tf.zeros([1, config.units]);
    let token = startId!;
    const steps: CaptionStep[] = [];
    try {
      for (let i = 0; i < config.maxLength; i++) {
        if (options.signal?.aborted) throw Object.assign(new Error('captioning cancelled'), { name: 'AbortError' });
        const out = tf.tidy(() => {
          const s = decodeStep(p, image, tf.tensor1d([token], 'int32'), h, c);
          const best = tf.topk(s.probs, topK);
          return { h: s.h, c: s.c, ids: best.indices, probs: best.values };
        });
        const ids = Array.from((await out.ids.data()) as Int32Array);
        const probs = Array.from((await out.probs.data()) as Float32Array);
        tf.dispose([out.ids, out.probs, h, c]);
        h = out.h;
        c = out.c;
        token = ids[0];
        const step = toStep(token, options.topK ? { ids, probs } : undefined);
        // The notebook stops at the end marker or when the best index is 0 (no word).
        if (token === 0) break;
        steps.push(step);
        options.onStep?.(step);
        if (token === endId) break;
      }
    } finally {
      tf.dispose([image, h, c]);
    }
    return steps;
  }

  return {
    info: {
      source: origin,
      label,
      vocabSize: config.vocabSize,
      maxLength: config.maxLength,
      featureDim: config.featureDim,
      epoch: Number(source.meta.epochsTrained ?? 0) || undefined,
      weights: model.specs.map((spec) => ({ name: spec.name, shape: spec.shape })),
    },
    async caption(features, options) {
      if (features.length !== config.featureDim) {
        throw new UserError(`these image features have ${features.length} numbers but the model expects ${config.featureDim}: extract them with the backbone the model was trained on`);
      }
      let steps: CaptionStep[];
      if (options.mode === 'beam') {
        const decoded = await beamSearch(model.variables, config, features, options.beamWidth, {
          startId: startId!,
          endId: endId!,
          maxSteps: config.maxLength,
          topK: Math.max(options.topK, 1),
        });
        steps = decoded.tokens.map((id, i) => toStep(id, decoded.alternatives?.[i]));
        steps.forEach((s) => options.onStep?.(s));
      } else {
        steps = await greedy(features, options);
      }
      return { caption: textOf(steps), steps };
    },
    async exportArchive() {
      const files = encodeCaptionModel(config, await model.getWeights(), tokenizer.toJSON(), { ...source.meta, startToken, endToken });
      return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? new TextEncoder().encode(v) : v])));
    },
    dispose() {
      model.dispose();
    },
  };
}

/** A model archive (zip of a model folder, possibly inside one top folder) → its files. */
export function unzipModelArchive(bytes: Uint8Array, fileName: string): Record<string, Uint8Array> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new UserError(`${fileName} is not a zip archive (${(error as Error).message}): export a model from the Model tab to get one`);
  }
  const modelJson = Object.keys(entries).find((k) => k === 'model.json' || k.endsWith('/model.json'));
  if (!modelJson) throw new UserError(`${fileName} holds no model.json: it is not a caption model archive`);
  const prefix = modelJson.slice(0, modelJson.length - 'model.json'.length);
  return Object.fromEntries(Object.entries(entries).filter(([k]) => k.startsWith(prefix) && !k.endsWith('/')).map(([k, v]) => [k.slice(prefix.length), v]));
}

export async function captionerFromFiles(files: Record<string, Uint8Array | string>, label: string, origin: 'trained' | 'archive' | 'notebook'): Promise<Captioner> {
  const loaded: LoadedCaptionModel = await loadCaptionModel(memoryFolder(label, files));
  return createCaptioner(loaded, label, origin);
}
