/**
 * `caption-studio caption --model <dir> [--backbone …] [--weights …] [--beam k] <image>…`: one caption per
 * image. Features come from a backbone run on the images (by default the backbone and weights the model
 * was trained on, as its model.json records them) or from a feature file (`--features`).
 */
import { readFile } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../../core/errors.ts';
import { nodeFolder } from '../../engine/platform/nodeFolder.ts';
import { useNodeBackend } from '../../engine/platform/nodeBackend.ts';
import { FeatureFileError, type FeatureFileHeader } from '../../engine/features/cache.ts';
import { readFeatureFile } from '../../engine/features/cacheNode.ts';
import { loadBackbone, WeightsError, type BackboneName } from '../../model/backbones/index.ts';
import { demoBackboneWeights } from '../../model/backbones/demoBackboneNode.ts';
import { nodeWeights } from '../../model/backbones/loadWeightsNode.ts';
import { Captioner } from '../../model/captioner.ts';
import { imageToInput } from '../../model/images/decode.ts';
import { loadCaptionModel } from '../../model/weightsIo.ts';
import { choiceOption, integerOption, parseCommandArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';

const usage = `Usage: caption-studio caption --model <dir> [options] <image>...

Writes one caption per image ("<image>\\t<caption>").
  --model D         model folder from \`caption-studio train\` or \`import-keras\` (or a converted notebook model + tokenizer.json)
  --backbone B      vgg16, mobilenet or demo (default: the one the model was trained with)
  --weights W       backbone weights: Keras .h5 (e.g. vgg16_weights_tf_dim_ordering_tf_kernels.h5), tfjs folder or
                    URL (default: the one the model was trained with)
  --features F      take features from this feature file instead of running a backbone (images by name)
  --beam K          beam search of width K (default 1: greedy)
  --top-k N         also report the N likeliest words at every step (with --json)
  --backend B       wasm (default), cpu or webgpu
  --json            one JSON object per image
`;

export async function openCaptioner(dir: string): Promise<Captioner> {
  return Captioner.fromLoaded(await loadCaptionModel(nodeFolder(dir)));
}

/** Features of image files via a backbone; unreadable images are reported and given null. */
export async function backboneFeatures(
  paths: string[],
  options: { backbone: BackboneName; weights?: string; expectedDim: number },
  io: CliIo,
): Promise<(Float32Array | null)[]> {
  let backbone;
  try {
    // The demo CNN's own weights are committed; the others have none unless named.
    const weights = options.weights ? nodeWeights(options.weights) : options.backbone === 'demo' ? demoBackboneWeights() : undefined;
    backbone = await loadBackbone({ name: options.backbone, weights });
  } catch (error) {
    if (error instanceof WeightsError) throw new UserError(error.message);
    throw error;
  }
  try {
    if (backbone.weights === 'random') io.err(`WARNING: no backbone weights given: ${backbone.id} is RANDOMLY initialised, captions will be meaningless\n`);
    if (backbone.featureDim !== options.expectedDim) {
      throw new UserError(`${backbone.id} gives ${backbone.featureDim} features but the model expects ${options.expectedDim}: pick the backbone it was trained with`);
    }
    const out: (Float32Array | null)[] = [];
    for (const path of paths) {
      try {
        const pixels = await imageToInput(new Uint8Array(await readFile(path)), path, backbone.inputSize);
        const features = tf.tidy(() => backbone.extract(tf.tensor4d(pixels, [1, backbone.inputSize, backbone.inputSize, 3])));
        out.push((await features.data()) as Float32Array);
        features.dispose();
      } catch (error) {
        io.err(`${path}: skipped (${(error as Error).message})\n`);
        out.push(null);
      }
    }
    return out;
  } finally {
    backbone.dispose();
  }
}

/** The backbone and weights recorded in a trained model's meta (what its features were made with). */
export function trainedBackbone(meta: Record<string, unknown>): { backbone?: BackboneName; weights?: string } {
  const header = meta.features as Partial<FeatureFileHeader> | undefined;
  if (!header) return {};
  const weights = typeof header.weights === 'object' && header.weights ? header.weights.location : undefined;
  return { backbone: header.backbone, weights };
}

export async function featuresFromFile(file: string, names: string[]): Promise<(Float32Array | null)[]> {
  try {
    const contents = await readFeatureFile(file);
    return names.map((n) => contents.features.get(basename(n)) ?? null);
  } catch (error) {
    if (error instanceof FeatureFileError) throw new UserError(error.message, { file });
    throw error;
  }
}

export async function caption(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: images } = parseCommandArgs(args, {
    model: { type: 'string' },
    backbone: { type: 'string' },
    weights: { type: 'string' },
    features: { type: 'string' },
    beam: { type: 'string' },
    'top-k': { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.model === undefined) throw new UsageError('missing --model <dir>');
  if (images.length === 0) throw new UsageError('missing <image>');
  const beam = integerOption(values.beam, 'beam', 1, 1, 100);
  const topK = integerOption(values['top-k'], 'top-k', 0, 0, 100);
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(io.cwd, path));
  await useNodeBackend(choiceOption(values.backend, 'backend', ['wasm', 'cpu', 'webgpu'] as const, 'wasm'));
  const captioner = await openCaptioner(at(values.model));
  try {
    let features: (Float32Array | null)[];
    if (values.features) features = await featuresFromFile(at(values.features), images);
    else {
      const trained = trainedBackbone(captioner.meta);
      const backbone = choiceOption(values.backbone, 'backbone', ['vgg16', 'mobilenet', 'demo'] as const, trained.backbone ?? 'vgg16');
      const weights = values.weights ? at(values.weights) : values.backbone ? undefined : trained.weights;
      features = await backboneFeatures(images.map(at), { backbone, weights, expectedDim: captioner.config.featureDim }, io);
    }
    const known = features.flatMap((f, i) => (f ? [i] : []));
    features.forEach((f, i) => !f && values.features && io.err(`${images[i]}: not in the feature file\n`));
    const results = await captioner.caption(known.map((i) => features[i]!), { beam, topK });
    results.forEach((r, k) => {
      const image = images[known[k]];
      if (values.json) io.out(`${JSON.stringify({ image, caption: r.text, logProb: r.logProb, ...(r.alternatives ? { alternatives: r.alternatives } : {}) })}\n`);
      else io.out(`${image}\t${r.text}\n`);
    });
    return known.length === images.length ? EXIT.ok : EXIT.badInput;
  } finally {
    captioner.dispose();
  }
}

export const captionCommand: Command = {
  name: 'caption',
  summary: 'caption images with a trained model (greedy or beam search)',
  usage,
  run: caption,
};
