/**
 * The demo as a new user runs it, for the quality test and the first-caption benchmark: the default demo
 * dataset, features from the committed demo backbone through the extractor (PNG decoding, resizing: the
 * CLI's path), the caption model trained with the default settings, and the scores that say whether its
 * captions match the pictures (BLEU on the test split, the demo score, BLEU on pictures of another seed).
 */
import { demoFolder, generateDemoDataset, generateDemoScenes, type DemoOptions, type DemoScene } from '../../src/core/data/demo';
import { loadDataset } from '../../src/core/data/load';
import type { Corpus } from '../../src/core/data/types';
import { scoreCaptions, type BleuScores } from '../../src/core/metrics/bleu';
import { constantCaptionBaseline, type ConstantCaptionBaseline } from '../../src/core/metrics/constantCaption';
import { demoObjectScore, sceneObjects, type DemoObjectScore } from '../../src/core/metrics/demoScore';
import { buildCorpus } from '../../src/core/text/protocols';
import { buildCaptionDataset, type CaptionDataset, type CaptionExample } from '../../src/engine/training/captionData';
import { extractFeatures, identityOf } from '../../src/engine/features/extract';
import { MemoryFeatureStore } from '../../src/engine/features/cache';
import type { InProcessTrainer } from '../../src/engine/training/inProcessTrainer';
import { defaultTrainConfigFor, type TrainConfig } from '../../src/engine/training/trainer';
import { loadBackbone, type Backbone } from '../../src/model/backbones/index';
import { demoBackboneWeights } from '../../src/model/backbones/demoBackboneNode';

/** What the CLI's `demo` and the studio's embedded demo make by default (300 images, seed 1). */
export const DEFAULT_DEMO: Required<Pick<DemoOptions, 'images' | 'seed'>> = { images: 300, seed: 1 };

/** The settings the CLI and the studio default to for this data. */
export function defaultsFor(data: CaptionDataset): TrainConfig {
  return defaultTrainConfigFor({ trainImages: data.train.length, featureDim: data.featureDim });
}

export function loadDemoBackbone(): Promise<Backbone> {
  return loadBackbone({ name: 'demo', weights: demoBackboneWeights() });
}

/** Features of every picture of a demo dataset, through the extractor (decode, resize, backbone). */
export async function demoDatasetFeatures(backbone: Backbone, options: DemoOptions): Promise<Map<string, Float32Array>> {
  const files = generateDemoDataset(options);
  const images = Object.keys(files)
    .filter((path) => path.startsWith('Images/'))
    .map((path) => ({ name: path.slice('Images/'.length), file: path, read: async () => files[path] as Uint8Array }));
  const result = await extractFeatures(backbone, images, new MemoryFeatureStore(identityOf(backbone)), { batchSize: 32 });
  return result.features;
}

export async function demoCorpus(options: DemoOptions): Promise<Corpus> {
  return buildCorpus(await loadDataset(demoFolder(options)), 'standard');
}

export interface DemoScores {
  bleu: BleuScores;
  demo: DemoObjectScore;
  /** Image → caption without markers. */
  captions: Map<string, string>;
}

/** BLEU (standard protocol) and the demo score of the trainer's greedy captions of `examples`. */
export async function scoreDemoCaptions(trainer: InProcessTrainer, data: CaptionDataset, examples: CaptionExample[], scenes: readonly DemoScene[]): Promise<DemoScores> {
  const texts = await trainer.captionTexts(examples);
  const bleu = scoreCaptions({ references: new Map(examples.map((e) => [e.name, e.references])), hypotheses: texts, protocol: data.protocol, startToken: data.startToken, endToken: data.endToken });
  const byName = new Map(scenes.map((s) => [s.name, s]));
  const markers = new Set([data.startToken, data.endToken]);
  const captions = new Map([...texts].map(([name, text]) => [name, text.split(' ').filter((w) => !markers.has(w)).join(' ')]));
  const demo = demoObjectScore(examples.map((e) => ({ name: e.name, caption: captions.get(e.name)!, expected: sceneObjects(byName.get(e.name)!) })));
  return { bleu: { bleu1: bleu.bleu1, bleu2: bleu.bleu2, bleu3: bleu.bleu3, bleu4: bleu.bleu4 }, demo, captions };
}

/** Every picture of another seed's demo dataset, captioned with the trained model (its tokenizer). */
export async function unseenSeedScores(trainer: InProcessTrainer, data: CaptionDataset, backbone: Backbone, options: DemoOptions): Promise<DemoScores> {
  const unseen = buildCaptionDataset(await demoCorpus(options), await demoDatasetFeatures(backbone, options), { tokenizer: data.tokenizer });
  const examples = [...unseen.train, ...unseen.val, ...unseen.test];
  return scoreDemoCaptions(trainer, data, examples, generateDemoScenes(options));
}

/** The best constant caption from the training split, on the test split's references. */
export function testConstantBaseline(data: CaptionDataset): ConstantCaptionBaseline {
  return constantCaptionBaseline(
    new Map(data.test.map((e) => [e.name, e.references])),
    data.train.flatMap((e) => e.references),
    data.protocol,
    { startToken: data.startToken, endToken: data.endToken },
  );
}
