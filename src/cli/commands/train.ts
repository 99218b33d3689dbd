/**
 * `caption-studio train <folder> --features <file> --out <model-dir> [...]`: trains the notebook's caption
 * model on a dataset folder with features from `extract`. Progress goes to stderr; the model folder is
 * rewritten (atomically) after every epoch, so Ctrl-C keeps the last finished epoch and `--resume` goes on.
 */
import { isAbsolute, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { loadDataset } from '../../core/data/load.ts';
import { buildCorpus } from '../../core/text/protocols.ts';
import { Tokenizer } from '../../core/text/tokenizer.ts';
import type { ModelMeta } from '../../model/weightsIo.ts';
import { describeIdentity, FeatureFileError } from '../../engine/features/cache.ts';
import { readFeatureFile } from '../../engine/features/cacheNode.ts';
import { mirroredCaptionRun } from '../../engine/mirrored/captionRun.ts';
import { useNodeBackend, type BackendReady } from '../../engine/platform/nodeBackend.ts';
import { nodeFolder } from '../../engine/platform/nodeFolder.ts';
import type { WorkerEndpoint } from '../../engine/threads/endpoint.ts';
import { nodeWorkerEndpoint } from '../../engine/threads/nodeEndpoint.ts';
import { buildCaptionDataset, captionModelConfigFor, type CaptionDataset, type ModelSizes } from '../../engine/training/captionData.ts';
import type { CheckpointStore } from '../../engine/training/checkpoint.ts';
import { NodeCheckpointStore } from '../../engine/training/checkpointNode.ts';
import { InProcessTrainer } from '../../engine/training/inProcessTrainer.ts';
import { defaultTrainConfig, maxReplicas, type Bleu, type TrainConfig, type Trainer } from '../../engine/training/trainer.ts';
import type { FaultInjection } from '../../protocol/replica.ts';
import type { BackendName } from '../../protocol/training.ts';
import { choiceOption, integerOption, parseCommandArgs, positionals } from '../args.ts';
import { readTrainSettings, TRAIN_SETTING_OPTIONS, TRAIN_SETTINGS_USAGE, withDataDefaults, type TrainSettings } from '../trainSettings.ts';
import type { Command } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { TrainProgress } from '../trainProgress.ts';
import { autoBackend, BACKEND_CHOICES, type BackendChoice } from '../backendAuto.ts';
import { captionTrainingWorkload } from '../../model/backendCalibration.ts';

const usage = `Usage: caption-studio train <folder> --features <file> --out <model-dir> [options]

Trains the notebook's CNN+LSTM caption model on the dataset in <folder> with image features from
\`caption-studio extract\`. The model folder is saved after every epoch (Ctrl-C keeps the last one).
  --features F      feature file written by \`caption-studio extract\` (required)
  --out D           model folder to write: model.json, weights.bin, tokenizer.json (+ optimizer state)
${TRAIN_SETTINGS_USAGE}
  --val-sample N    validation images captioned for BLEU after each epoch (default ${defaultTrainConfig.validationSample})
  --samples N       after each epoch, print the captions of the first N test images (default 0)
  --resume          continue from the checkpoint in --out
  --backend B       auto (default: a warm training step of this model on wasm, cpu and webgpu, when Dawn
                    finds an adapter, picks the fastest and prints the figures; a software adapter such as
                    lavapipe is measured but never picked), wasm, cpu or webgpu (Dawn: GPU training, no browser)
  --replicas N      1 (default: trains on this thread) or 2..8: mirrored data parallelism, N worker threads
                    each with its own model copy and --backend (its own Dawn device on webgpu)
  --all-reduce A    with --replicas: ring (default, shared memory) or postMessage (through this thread)
  --kernels K       fused (default: the studio's WGSL kernels on webgpu) or stock (tfjs ops, to compare)
  --precision P     float32 (default) or mixed_float16 (f16 compute in the fused kernels, f32 weights,
                    dynamic loss scaling; needs webgpu with shader-f16, else falls back and says why)
  --loss-scale N    mixed_float16: the starting loss scale (default 32768 = 2^15, as Keras)
  --loss-scale-growth N  finite steps before the loss scale doubles (default 2000)
  --json            end with one JSON summary on stdout
Exit status: 0 done, 130 stopped (Ctrl-C), ${EXIT.replicaFault} a replica failed (its number and why are printed;
the model folder keeps the last finished epoch, --resume goes on).
`;

/** Tests only: how mirrored replicas start, and faults to inject into them. */
export interface TrainTestHooks {
  spawnReplica?: () => WorkerEndpoint;
  faults?: { replica: number; fault: FaultInjection }[];
}

export interface TrainSummary {
  backend: string;
  layout: TrainConfig['layout'];
  protocol: TrainConfig['protocol'];
  /** The precision the run really used (after any fall-back). */
  precision: TrainConfig['precision'];
  /** The training kernels it really used: 'stock tfjs ops' | 'fused WGSL f32' | 'fused WGSL f16'. */
  kernels: string;
  /** mixed_float16: steps skipped for a non-finite gradient, and the loss scale at the end. */
  skippedSteps: number;
  lossScale: number | null;
  replicas: number;
  epochs: number;
  steps: number;
  tokensPerSecond: number;
  finalLoss: number;
  valLoss: number | null;
  bleu: Bleu;
  bleuSplit: 'val' | 'test';
  bleuImages: number;
  trainImages: number;
  vocabSize: number;
  maxLength: number;
  featureDim: number;
  out: string;
  durationMs: number;
  stopped: boolean;
}

/** What the command line asks for. */
interface TrainRequest {
  config: TrainConfig;
  sizes: Required<ModelSizes>;
  backend: BackendChoice;
  /** Test images whose captions are printed after each epoch (--samples). */
  samples: number;
  /** The settings the command line gave; the others default by the data (defaultTrainConfigFor). */
  given: TrainSettings['given'];
  /** Absolute paths of the dataset folder, the feature file and the model folder. */
  folder: string;
  features: string;
  out: string;
  /** The feature file and model folder as the user wrote them, for messages. */
  featuresArg: string;
  outArg: string;
  resume: boolean;
  json: boolean;
}

function parseTrainArgs(args: string[], io: CliIo): TrainRequest {
  const { values, positionals: rest } = parseCommandArgs(args, {
    ...TRAIN_SETTING_OPTIONS,
    features: { type: 'string' },
    out: { type: 'string' },
    'val-sample': { type: 'string' },
    samples: { type: 'string' },
    resume: { type: 'boolean' },
    backend: { type: 'string' },
    replicas: { type: 'string' },
    'all-reduce': { type: 'string' },
    kernels: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [folderArg] = positionals(rest, ['folder']);
  if (values.features === undefined) throw new UsageError('missing --features <file> (make one with `caption-studio extract`)');
  if (values.out === undefined) throw new UsageError('missing --out <model-dir>');
  const settings = readTrainSettings(values);
  const config: TrainConfig = {
    ...settings.config,
    validationSample: integerOption(values['val-sample'], 'val-sample', defaultTrainConfig.validationSample, 0, 1000000),
    replicas: integerOption(values.replicas, 'replicas', 1, 1, maxReplicas),
    allReduce: choiceOption(values['all-reduce'], 'all-reduce', ['ring', 'postMessage'] as const, defaultTrainConfig.allReduce),
    fusedKernels: choiceOption(values.kernels, 'kernels', ['fused', 'stock'] as const, 'fused') === 'fused',
  };
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(io.cwd, path));
  return {
    config,
    sizes: settings.sizes,
    backend: choiceOption(values.backend, 'backend', BACKEND_CHOICES, 'auto'),
    samples: integerOption(values.samples, 'samples', 0, 0, 1000),
    given: settings.given,
    folder: at(folderArg),
    features: at(values.features),
    out: at(values.out),
    featuresArg: values.features,
    outArg: values.out,
    resume: values.resume === true,
    json: values.json === true,
  };
}

/** The dataset with its features, the model folder as checkpoint store, and (--resume) what it holds. */
async function loadTrainingInputs(request: TrainRequest, io: CliIo) {
  let features;
  try {
    features = await readFeatureFile(request.features);
  } catch (error) {
    if (error instanceof FeatureFileError) throw new UserError(error.message, { file: request.featuresArg });
    throw error;
  }
  if (features.weights === 'random') io.err(`train: WARNING: the features come from a RANDOMLY initialised ${features.backboneId}\n`);
  const corpus = buildCorpus(await loadDataset(nodeFolder(request.folder)), request.config.protocol);
  const store = new NodeCheckpointStore(request.out);
  const checkpoint = request.resume ? await store.load() : null;
  if (request.resume && !checkpoint) io.err(`train: --resume: no checkpoint in ${request.outArg}; starting from scratch\n`);
  const text = (name: string) => (checkpoint?.[name] ? new TextDecoder().decode(checkpoint[name]) : null);
  // A resumed run keeps its tokenizer: the saved weights' word ids are its.
  const tokenizerJson = text('tokenizer.json');
  const data = buildCaptionDataset(corpus, features.features, { tokenizer: tokenizerJson ? Tokenizer.fromJSON(tokenizerJson) : undefined });
  if (data.missingFeatures.length) io.err(`train: ${data.missingFeatures.length} images have no features and are left out (e.g. ${data.missingFeatures[0]})\n`);
  const progress = text('trainer.json');
  return {
    data,
    store,
    features: describeIdentity(features),
    meta: { features: features.header } as ModelMeta,
    resumedEpoch: progress ? (JSON.parse(progress) as { epoch: number }).epoch : 0,
  };
}

/** Epochs, batch, learning rate and dropout default by the data where not given (the studio's defaults too). */
function applyDataDefaults(request: TrainRequest, data: CaptionDataset, io: CliIo): void {
  const { config, line } = withDataDefaults(request, { trainImages: data.train.length, featureDim: data.featureDim }, 'train');
  request.config = config;
  io.err(line);
}

/** --backend auto: the fastest backend in a warm step of this run's model and batch. */
async function calibratedBackend(request: TrainRequest, data: CaptionDataset, io: CliIo): Promise<BackendReady> {
  const { config } = request;
  const workload = captionTrainingWorkload({
    config: captionModelConfigFor(data, config.dropout, request.sizes),
    layout: config.layout,
    images: data.train.slice(0, config.batchSize),
    fusedKernels: config.fusedKernels,
    precision: config.precision,
    learningRate: config.learningRate,
  });
  return autoBackend(io, 'train', workload, { webgpu: true });
}

/** The one place the two trainers differ: one replica trains on this thread, more in worker threads. */
function createTrainer(request: TrainRequest, backend: BackendName, data: CaptionDataset, store: CheckpointStore, meta: ModelMeta, hooks: TrainTestHooks): Trainer {
  const { config, sizes } = request;
  const samples = data.test.slice(0, request.samples);
  if (config.replicas <= 1) return new InProcessTrainer({ data, config, model: sizes, store, meta, samples });
  const spawn = hooks.spawnReplica ?? (() => nodeWorkerEndpoint());
  // Replicas start the backend by name in their own threads: what was asked for, or what auto chose.
  return mirroredCaptionRun({ data, config, sizes, store, meta, backend, spawn, faults: hooks.faults, samples }).trainer;
}

/** Runs until done; Ctrl-C (or the caller's signal) aborts. Returns the error of a failed run, null otherwise. */
async function runToEnd(trainer: Trainer, resume: boolean, signal: AbortSignal | undefined): Promise<unknown> {
  const controller = new AbortController();
  signal?.addEventListener('abort', () => controller.abort());
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    await trainer.start({ resume, signal: controller.signal });
    return null;
  } catch (error) {
    return error;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

export async function train(args: string[], io: CliIo, signal?: AbortSignal, hooks: TrainTestHooks = {}): Promise<number> {
  const request = parseTrainArgs(args, io);
  const started = performance.now();
  // A named backend is set up first (a failure shows before any reading); auto calibrates on the data.
  const named = request.backend === 'auto' ? null : await useNodeBackend(request.backend);
  const { data, store, features, meta, resumedEpoch } = await loadTrainingInputs(request, io);
  applyDataDefaults(request, data, io);
  const { config, outArg } = request;
  const backend = named ?? (await calibratedBackend(request, data, io));
  if (backend.fallbackReason) io.err(`train: ${backend.fallbackReason}\n`);
  const backendName = (request.backend === 'auto' ? backend.backend : request.backend) as BackendName;
  io.err(
    `train: ${data.train.length} train / ${data.val.length} val / ${data.test.length} test images, vocabulary ${data.vocabSize}, ` +
      `max length ${data.maxLength}, features ${features}, ${backendName}, layout ${config.layout}\n`,
  );
  const trainer = createTrainer(request, backendName, data, store, meta, hooks);
  const progress = new TrainProgress(trainer, io, config, outArg);
  const failure = await runToEnd(trainer, request.resume, signal);
  const epochsSaved = progress.savedEpoch ?? resumedEpoch;

  if (progress.fault || failure) {
    await trainer.dispose();
    if (!progress.fault) throw failure;
    const kept = epochsSaved ? `${outArg} holds epoch ${epochsSaved}; add --resume to continue` : `nothing was saved in ${outArg}`;
    io.err(`train: replica ${progress.fault.replica} failed: ${progress.fault.message}\ntrain: stopped; ${kept}.\n`);
    return EXIT.replicaFault;
  }
  const stopped = trainer.state === 'stopped';
  if (stopped) io.err(`train: stopped; ${outArg} holds epoch ${epochsSaved}. Add --resume to continue.\n`);
  const bleuSplit = data.val.length ? 'val' : 'test';
  if (data[bleuSplit].length === 0) io.err('train: WARNING: no validation or test image has features: BLEU below is over 0 images\n');
  // The weights the run ended with, on this thread (a mirrored run's workers are gone by now).
  const evaluation = await trainer.evaluate(bleuSplit);
  await trainer.dispose();
  const summary: TrainSummary = {
    backend: progress.backend ?? backend.backend,
    layout: config.layout,
    protocol: config.protocol,
    precision: progress.precision,
    kernels: progress.kernels,
    skippedSteps: progress.skippedSteps,
    lossScale: progress.lossScale,
    replicas: progress.replicas,
    epochs: epochsSaved,
    steps: progress.steps,
    tokensPerSecond: progress.tokensPerSecond,
    finalLoss: progress.finalLoss,
    valLoss: Number.isFinite(evaluation.loss) ? evaluation.loss : null,
    bleu: evaluation.bleu,
    bleuSplit,
    bleuImages: data[bleuSplit].length,
    trainImages: data.train.length,
    vocabSize: data.vocabSize,
    maxLength: data.maxLength,
    featureDim: data.featureDim,
    out: request.out,
    durationMs: Math.round(performance.now() - started),
    stopped,
  };
  io.out(request.json ? `${JSON.stringify(summary)}\n` : summaryText(summary, outArg));
  return stopped ? 130 : EXIT.ok;
}

function summaryText(summary: TrainSummary, outArg: string): string {
  const b = summary.bleu;
  const on = summary.replicas > 1 ? `${summary.replicas} replicas on ${summary.backend}` : summary.backend;
  return (
    `trained ${summary.epochs} epochs (${summary.steps} steps, ${summary.tokensPerSecond.toFixed(0)} tokens/s on ${on}, layout ${summary.layout}); ` +
    `final loss ${summary.finalLoss.toFixed(4)}\n${summary.bleuSplit} BLEU-1 ${b.bleu1.toFixed(4)} BLEU-2 ${b.bleu2.toFixed(4)} BLEU-3 ${b.bleu3.toFixed(4)} BLEU-4 ${b.bleu4.toFixed(4)} ` +
    `(${summary.bleuImages} images, ${summary.protocol} protocol)\nmodel saved in ${outArg}\n`
  );
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train the caption model on a dataset folder and its extracted features',
  usage,
  run: (args, io) => train(args, io),
};
