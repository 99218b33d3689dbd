/**
 * A trained or imported model as the page holds it: the one Captioner (model/captioner.ts) with what the
 * Model panel shows of it, the playground's step-by-step caption of one image, and its archive.
 */
import { zipModelFiles } from '../model/archive.ts';
import { Captioner, type WordAlternatives } from '../model/captioner.ts';
import type { ModelInfo } from '../store/slices/model.ts';
import type { CaptionStep } from '../store/slices/playground.ts';
import type { DecodeOptions } from './ports.ts';

export type ModelSource = ModelInfo['source'];

export interface StudioModel {
  readonly info: ModelInfo;
  readonly captioner: Captioner;
  /** One image (the playground): each word reaches `onStep` as it is chosen (greedy) or at the end (beam). */
  caption(features: Float32Array, options: DecodeOptions): Promise<{ caption: string; steps: CaptionStep[] }>;
  /** One zip: the model folder's files (model.json, weights.bin, tokenizer.json). */
  exportArchive(): Promise<Uint8Array>;
  dispose(): void;
}

function captionStep(word: string, alternatives: WordAlternatives | undefined): CaptionStep {
  return { word, top: alternatives ? alternatives.words.map((w, i) => ({ word: w, probability: alternatives.probs[i] })) : [] };
}

export function studioModel(captioner: Captioner, label: string, source: ModelSource): StudioModel {
  const { config } = captioner;
  return {
    info: {
      source,
      label,
      vocabSize: config.vocabSize,
      maxLength: config.maxLength,
      featureDim: config.featureDim,
      epoch: Number(captioner.meta.epochsTrained ?? 0) || undefined,
      weights: captioner.model.specs.map((spec) => ({ name: spec.name, shape: spec.shape })),
    },
    captioner,
    async caption(features, options) {
      const [result] = await captioner.caption([features], {
        beam: options.mode === 'beam' ? options.beamWidth : 1,
        topK: options.topK,
        signal: options.signal,
        ...(options.onStep ? { onWord: (_image: number, word: string, alternatives: WordAlternatives | undefined) => options.onStep!(captionStep(word, alternatives)) } : {}),
      });
      return { caption: result.text, steps: result.decodedWords.map((word, i) => captionStep(word, result.alternatives?.[i])) };
    },
    async exportArchive() {
      return zipModelFiles(await captioner.files());
    },
    dispose() {
      captioner.dispose();
    },
  };
}

/** A model folder's files (an unpacked archive, a converted notebook model with its tokenizer.json). */
export async function studioModelFromFiles(files: Record<string, Uint8Array | string>, label: string, source: ModelSource): Promise<StudioModel> {
  return studioModel(await Captioner.fromFiles(files, label), label, source);
}
