/**
 * `caption-studio evaluate --model <dir> <folder>`: BLEU-1..4 of the model's captions on a split (test by
 * default) of a dataset folder, under the protocol the model was trained with (or --protocol).
 */
import { isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { loadDataset } from '../../core/data/load.ts';
import { nodeFolder } from '../../engine/platform/nodeFolder.ts';
import { scoreCaptions } from '../../core/metrics/bleu.ts';
import { buildCorpus } from '../../core/text/protocols.ts';
import { useNodeBackend } from '../../engine/platform/nodeBackend.ts';
import { featuresFor } from '../../engine/training/captionData.ts';
import { FeatureFileError } from '../../engine/features/cache.ts';
import { readFeatureFile } from '../../engine/features/cacheNode.ts';
import { choiceOption, integerOption, parseCommandArgs, positionals } from '../args.ts';
import type { Command } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { backboneFeatures, openCaptioner, trainedBackbone } from './caption.ts';

const usage = `Usage: caption-studio evaluate --model <dir> <folder> [options]

BLEU-1..4 (nltk corpus_bleu) of greedy (or beam) captions of the test split of <folder>.
  --model D         model folder from \`caption-studio train\`
  --features F      feature file of the folder's images (default: run the model's backbone on them)
  --backbone B      vgg16, mobilenet or demo, --weights W: as for \`caption\` (default: what the model was trained with)
  --protocol P      standard or kaggle (default: the model's)
  --split S         test (default), val or train
  --limit N         only the first N images of the split
  --beam K          beam width (default 1: greedy)
  --backend B       wasm (default), cpu or webgpu
  --json            one JSON object with the scores
`;

export async function evaluate(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parseCommandArgs(args, {
    model: { type: 'string' },
    features: { type: 'string' },
    backbone: { type: 'string' },
    weights: { type: 'string' },
    protocol: { type: 'string' },
    split: { type: 'string' },
    limit: { type: 'string' },
    beam: { type: 'string' },
    backend: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [folderArg] = positionals(rest, ['folder']);
  if (values.model === undefined) throw new UsageError('missing --model <dir>');
  const split = choiceOption(values.split, 'split', ['test', 'val', 'train'] as const, 'test');
  const limit = integerOption(values.limit, 'limit', Number.MAX_SAFE_INTEGER, 1, Number.MAX_SAFE_INTEGER);
  const beam = integerOption(values.beam, 'beam', 1, 1, 100);
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(io.cwd, path));
  const backend = await useNodeBackend(choiceOption(values.backend, 'backend', ['wasm', 'cpu', 'webgpu'] as const, 'wasm'));
  const captioner = await openCaptioner(at(values.model));
  try {
    const protocol = choiceOption(values.protocol, 'protocol', ['standard', 'kaggle'] as const, (captioner.meta.protocol as 'standard' | 'kaggle' | undefined) ?? 'standard');
    const folderPath = at(folderArg);
    const corpus = buildCorpus(await loadDataset(nodeFolder(folderPath)), protocol);
    const images = corpus.images.filter((i) => i.split === split).slice(0, limit);
    if (images.length === 0) throw new UserError(`${folderArg} has no images in the ${split} split under the ${protocol} protocol`, { file: folderArg });
    let features: (Float32Array | null)[];
    if (values.features) {
      try {
        const file = await readFeatureFile(at(values.features));
        features = images.map((i) => featuresFor(file.features, i.name, i.file) ?? null);
      } catch (error) {
        if (error instanceof FeatureFileError) throw new UserError(error.message, { file: values.features });
        throw error;
      }
    } else {
      const trained = trainedBackbone(captioner.meta);
      const backbone = choiceOption(values.backbone, 'backbone', ['vgg16', 'mobilenet', 'demo'] as const, trained.backbone ?? 'vgg16');
      const weights = values.weights ? at(values.weights) : values.backbone ? undefined : trained.weights;
      const paths = images.map((i) => (i.file ? join(folderPath, i.file) : join(folderPath, 'missing', i.name)));
      features = await backboneFeatures(paths, { backbone, weights, expectedDim: captioner.config.featureDim }, io);
    }
    const known = images.filter((_, k) => features[k] !== null);
    if (known.length < images.length) io.err(`evaluate: ${images.length - known.length} images without features are left out\n`);
    if (known.length === 0) throw new UserError('no image of the split has features');
    const results = await captioner.caption(features.filter((f): f is Float32Array => f !== null), { beam });
    const score = scoreCaptions({
      references: new Map(known.map((i) => [i.name, i.captions])),
      hypotheses: new Map(known.map((i, k) => [i.name, results[k].markedText])),
      protocol,
      split,
      startToken: corpus.startToken,
      endToken: corpus.endToken,
    });
    const summary = { backend: backend.backend, protocol, split, images: known.length, beam, bleu: { bleu1: score.bleu1, bleu2: score.bleu2, bleu3: score.bleu3, bleu4: score.bleu4 }, markers: score.markers, brevityPenalty: score.brevityPenalty };
    if (values.json) io.out(`${JSON.stringify(summary)}\n`);
    else {
      io.out(
        `BLEU-1 ${score.bleu1.toFixed(4)}  BLEU-2 ${score.bleu2.toFixed(4)}  BLEU-3 ${score.bleu3.toFixed(4)}  BLEU-4 ${score.bleu4.toFixed(4)}\n` +
          `${known.length} ${split} images, ${protocol} protocol (markers ${score.markers}), ${beam > 1 ? `beam ${beam}` : 'greedy'}, ${backend.backend}\n`,
      );
    }
    return EXIT.ok;
  } finally {
    captioner.dispose();
  }
}

export const evaluateCommand: Command = {
  name: 'evaluate',
  summary: 'BLEU-1..4 of a trained model on the test split of a dataset folder',
  usage,
  run: evaluate,
};
