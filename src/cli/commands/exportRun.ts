/**
 * `caption-studio export-run <folder> --features <file> --out <dir> [...]`: the run `train` would do, as a
 * folder PyTorch DistributedDataParallel trains (src/engine/scaleOut): data and tokenizer as .npy/JSON, the
 * seeded initial weights, the settings, and train_ddp.py. Written atomically: the folder appears whole or
 * not at all.
 */
import { isAbsolute, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { loadDataset } from '../../core/data/load.ts';
import { nodeFolder } from '../../engine/platform/nodeFolder.ts';
import { buildCorpus } from '../../core/text/protocols.ts';
import { buildCaptionDataset, featuresFor } from '../../engine/training/captionData.ts';
import { FeatureFileError } from '../../engine/features/cache.ts';
import { readFeatureFile } from '../../engine/features/cacheNode.ts';
import { buildRunExport } from '../../engine/scaleOut/exportRun.ts';
import { readTrainDdpScript, writeFolderAtomically } from '../../engine/scaleOut/nodeFiles.ts';
import { parseCommandArgs, positionals } from '../args.ts';
import { readTrainSettings, TRAIN_SETTING_OPTIONS, TRAIN_SETTINGS_USAGE, withDataDefaults } from '../trainSettings.ts';
import type { Command } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';

const usage = `Usage: caption-studio export-run <folder> --features <file> --out <dir> [options]

Writes the training run \`caption-studio train\` would do as a folder for PyTorch DistributedDataParallel:
tokenizer.json, features.npy (+ image_names.json), caption token arrays and splits (.npy), run.json (the
settings), the studio's seeded initial weights (initial_weights/<layer>/<weight>.npy) and train_ddp.py.
Train it with \`python3 train_ddp.py [--nproc N]\` or \`torchrun --nproc_per_node N train_ddp.py\`; bring the
model back with \`caption-studio import-run\`.
  --features F      feature file written by \`caption-studio extract\` (required; every image needs a vector)
  --out D           the run folder to write (must not exist or be empty, unless --force)
${TRAIN_SETTINGS_USAGE}
  --precision P     float32 (default) or mixed_float16 (autocast float16 + GradScaler on CUDA, bfloat16 on CPU)
  --loss-scale N    mixed_float16 on CUDA: starting loss scale (default 32768);  --loss-scale-growth N (default 2000)
  --force           replace an existing --out folder
  --json            print a JSON summary on stdout
`;

export async function exportRun(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parseCommandArgs(args, {
    ...TRAIN_SETTING_OPTIONS,
    features: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const [folderArg] = positionals(rest, ['folder']);
  if (values.features === undefined) throw new UsageError('missing --features <file> (make one with `caption-studio extract`)');
  if (values.out === undefined) throw new UsageError('missing --out <dir>');
  const asked = readTrainSettings(values);
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(io.cwd, path));

  let features;
  try {
    features = await readFeatureFile(at(values.features));
  } catch (error) {
    if (error instanceof FeatureFileError) throw new UserError(error.message, { file: values.features });
    throw error;
  }
  const corpus = buildCorpus(await loadDataset(nodeFolder(at(folderArg))), asked.config.protocol);
  // A feature file of another dataset matches no image here: say so instead of "no training image".
  if (!corpus.images.some((image) => featuresFor(features.features, image.name, image.file))) {
    const example = corpus.images[0]?.name ?? 'none';
    throw new UserError(
      `${values.features}: none of the ${corpus.images.length} images of ${folderArg} has a vector in it (e.g. ${example}; the file holds ${features.features.size} others): features of another dataset?`,
      { file: values.features },
    );
  }
  let data;
  try {
    data = buildCaptionDataset(corpus, features.features);
  } catch (error) {
    if (error instanceof UserError && !error.file) throw new UserError(error.message, { file: values.features });
    throw error;
  }
  // Batch, learning rate and dropout by the data where not given: the run `train` would do.
  const { config: settings, line } = withDataDefaults(asked, { trainImages: data.train.length, featureDim: data.featureDim }, 'export-run');
  const { files, run } = await buildRunExport({
    data,
    settings,
    model: asked.sizes,
    meta: { features: features.header },
    script: await readTrainDdpScript(),
    featuresLabel: values.features,
  });
  // Said once the run is known to be writable: a refusal stays one line.
  io.err(line);
  const outPath = at(values.out);
  if (features.weights === 'random') io.err(`export-run: WARNING: the features come from a RANDOMLY initialised ${features.backboneId}\n`);
  await writeFolderAtomically(outPath, files, { replace: values.force === true, shownAs: values.out });
  const bytes = Object.values(files).reduce((n, v) => n + (typeof v === 'string' ? Buffer.byteLength(v) : v.length), 0);
  const summary = {
    out: outPath,
    runId: run.runId,
    images: run.data.images,
    train: run.data.train,
    val: run.data.val,
    test: run.data.test,
    captions: run.data.captions,
    vocabSize: run.model.vocabSize,
    featureDim: run.model.featureDim,
    files: Object.keys(files).length,
    bytes,
  };
  if (values.json) io.out(`${JSON.stringify(summary)}\n`);
  else {
    const shown = values.out;
    io.out(
      `exported run ${run.runId}: ${summary.images} images (${summary.train}/${summary.val}/${summary.test}), ${summary.captions} captions, ` +
        `vocabulary ${summary.vocabSize}, ${summary.files} files, ${(bytes / 2 ** 20).toFixed(1)} MiB in ${shown}\n` +
        `train it: cd ${shown} && python3 train_ddp.py --nproc 2   (or torchrun --nproc_per_node N train_ddp.py)\n` +
        `bring it back: caption-studio import-run ${shown} --out <model-dir>\n`,
    );
  }
  return EXIT.ok;
}

export const exportRunCommand: Command = {
  name: 'export-run',
  summary: 'write a training run as a folder for PyTorch DistributedDataParallel (data, initial weights, train_ddp.py)',
  usage,
  run: (args, io) => exportRun(args, io),
};
