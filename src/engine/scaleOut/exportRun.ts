/**
 * A studio run as a folder PyTorch DistributedDataParallel trains (format: runFormat.ts): the same data,
 * tokenizer, settings and seeded initial weights, plus train_ddp.py. Returns the files; the CLI writes them
 * into a folder (atomically), the studio zips them for download. Environment-free: the script text is
 * passed in (Node reads train_ddp.py from disk, the page imports it with Vite's ?raw).
 */
import { UserError } from '../../core/errors.ts';
import { initialWeights, paramSpecs, type CaptionModelConfig } from '../../model/captionModel.ts';
import type { ModelMeta } from '../../model/weightsIo.ts';
import { captionModelConfigFor, type CaptionDataset, type CaptionExample, type ModelSizes } from '../training/captionData.ts';
import { sha256Hex } from '../features/cache.ts';
import type { TrainConfig } from '../../protocol/training.ts';
import { encodeNpy } from './npy.ts';
import { RUN_FORMAT, RUN_VERSION, SPLITS, weightFile, type RunDescription } from './runFormat.ts';

export type RunExportSettings = Pick<
  TrainConfig,
  'epochs' | 'batchSize' | 'learningRate' | 'layout' | 'protocol' | 'precision' | 'seed' | 'dropout' | 'initialLossScale' | 'lossScaleGrowthSteps'
>;

export interface RunExportInput {
  data: CaptionDataset;
  settings: RunExportSettings;
  model?: ModelSizes;
  /** Carried into the imported model folder (feature identity, …). */
  meta?: ModelMeta;
  /** train_ddp.py's text. */
  script: string;
  /** How the features were given (a file name), for the message when some image has none. */
  featuresLabel: string;
}

export interface RunExport {
  files: Record<string, Uint8Array | string>;
  run: RunDescription;
  modelConfig: CaptionModelConfig;
}

/**
 * Refuses a dataset whose features leave images out: a cluster run should train on what the user sees
 * here, and a silently smaller run would compare wrongly.
 */
export function checkEveryImageHasFeatures(data: CaptionDataset, featuresLabel: string): void {
  const missing = data.missingFeatures;
  if (missing.length === 0) return;
  const total = missing.length + data.train.length + data.val.length + data.test.length;
  throw new UserError(
    `${featuresLabel}: ${missing.length} of ${total} images of the dataset have no feature vector (e.g. ${missing[0]}): ` +
      'extract features for every image (caption-studio extract) before exporting the run',
    { file: featuresLabel },
  );
}

export async function buildRunExport(input: RunExportInput): Promise<RunExport> {
  const { data, settings } = input;
  checkEveryImageHasFeatures(data, input.featuresLabel);
  const modelConfig = captionModelConfigFor(data, settings.dropout, input.model);
  const images: CaptionExample[] = [...data.train, ...data.val, ...data.test];
  const features = new Float32Array(images.length * data.featureDim);
  images.forEach((image, i) => features.set(image.features, i * data.featureDim));
  const tokens: number[] = [];
  const offsets: number[] = [0];
  const captionImage: number[] = [];
  images.forEach((image, i) => {
    for (const caption of image.captions) {
      tokens.push(...caption);
      offsets.push(tokens.length);
      captionImage.push(i);
    }
  });
  const splitRows: Record<(typeof SPLITS)[number], Int32Array> = {
    train: Int32Array.from(data.train, (_, i) => i),
    val: Int32Array.from(data.val, (_, i) => data.train.length + i),
    test: Int32Array.from(data.test, (_, i) => data.train.length + data.val.length + i),
  };

  const files: Record<string, Uint8Array | string> = {
    'tokenizer.json': data.tokenizer.toJSON(),
    'features.npy': encodeNpy(features, [images.length, data.featureDim]),
    'image_names.json': JSON.stringify(images.map((i) => i.name)),
    'caption_tokens.npy': encodeNpy(Int32Array.from(tokens), [tokens.length]),
    'caption_offsets.npy': encodeNpy(Int32Array.from(offsets), [offsets.length]),
    'caption_image.npy': encodeNpy(Int32Array.from(captionImage), [captionImage.length]),
  };
  for (const split of SPLITS) files[`split_${split}.npy`] = encodeNpy(splitRows[split], [splitRows[split].length]);
  const specs = paramSpecs(modelConfig);
  const weights = initialWeights(modelConfig, settings.seed);
  const params = specs.map((spec, i) => {
    const file = weightFile('initial_weights', spec.name);
    files[file] = encodeNpy(weights[i], spec.shape);
    return { name: spec.name, shape: spec.shape, file };
  });
  files['train_ddp.py'] = input.script;

  const train: RunDescription['train'] = {
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    learningRate: settings.learningRate,
    layout: settings.layout,
    protocol: settings.protocol,
    precision: settings.precision,
    seed: settings.seed,
    dropout: settings.dropout,
    lossScale: { initial: settings.initialLossScale ?? 2 ** 15, growthSteps: settings.lossScaleGrowthSteps ?? 2000 },
    // src/model/adam.ts's defaults (Keras').
    adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  };
  const { dropout: _dropout, ...model } = modelConfig;
  const description: Omit<RunDescription, 'runId' | 'files'> = {
    format: RUN_FORMAT,
    version: RUN_VERSION,
    train,
    model,
    params,
    data: {
      images: images.length,
      captions: captionImage.length,
      tokens: tokens.length,
      train: data.train.length,
      val: data.val.length,
      test: data.test.length,
      startToken: data.startToken,
      endToken: data.endToken,
      startId: data.startId,
      endId: data.endId,
    },
    meta: { ...input.meta, protocol: data.protocol, startToken: data.startToken, endToken: data.endToken },
  };
  files['README.md'] = readme(description);
  const encoder = new TextEncoder();
  const bytes = (v: Uint8Array | string) => (typeof v === 'string' ? encoder.encode(v) : v);
  const sizes = Object.fromEntries(Object.entries(files).map(([name, v]) => [name, bytes(v).length]));
  const run: RunDescription = { ...description, runId: await contentId(description, files), files: sizes };
  files['run.json'] = JSON.stringify(run, null, 1);
  return { files, run, modelConfig };
}

/** 16 hex digits of SHA-256 over the description and every file but the script and README. */
async function contentId(description: object, files: Record<string, Uint8Array | string>): Promise<string> {
  const encoder = new TextEncoder();
  const parts: Uint8Array[] = [encoder.encode(JSON.stringify(description))];
  for (const name of Object.keys(files).sort()) {
    if (name === 'train_ddp.py' || name === 'README.md') continue;
    const value = files[name];
    parts.push(encoder.encode(name), typeof value === 'string' ? encoder.encode(value) : value);
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return (await sha256Hex(all)).slice(0, 16);
}

function readme(run: Omit<RunDescription, 'runId' | 'files'>): string {
  const t = run.train;
  return `# A WebGPU Caption Studio run for PyTorch DistributedDataParallel

${run.data.images} images (${run.data.train} train / ${run.data.val} val / ${run.data.test} test), ${run.data.captions} captions,
vocabulary ${run.model.vocabSize}, features ${run.model.featureDim}-d, model units ${run.model.units}, embedding ${run.model.embedDim}.
Settings: ${t.epochs} epochs, batch ${t.batchSize} images (global, split across ranks), learning rate ${t.learningRate},
layout ${t.layout}, precision ${t.precision}, dropout ${t.dropout}, seed ${t.seed}.

Train (needs python3 with numpy and torch):

    python3 train_ddp.py                       # one process
    python3 train_ddp.py --nproc 2             # 2 local ranks, started by the script itself
    torchrun --nproc_per_node 8 train_ddp.py   # one node (NCCL on CUDA, gloo on CPU)
    torchrun --nnodes 2 --node_rank 0 --nproc_per_node 8 --rdzv_backend c10d --rdzv_endpoint HOST:29500 train_ddp.py

Rank 0 prints one JSON line per step and per epoch and appends them to train_log.jsonl; a checkpoint of
plain .npy files lands in checkpoints/epoch_NNNN after every epoch (--resume goes on from the last one).
\`python3 train_ddp.py --help\` lists the options (--epochs, --precision, --dropout, --device, --threads).

Back in the studio: \`caption-studio import-run <this folder> --out <model-dir>\`, then
\`caption-studio caption --model <model-dir> …\` or \`evaluate\`; or import this folder (or its zip) in the Model panel.
`;
}
