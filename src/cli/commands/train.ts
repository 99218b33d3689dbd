/**
 * `caption-studio train <folder> --features <file> --out <model-dir> [...]`: trains the notebook's caption
 * model on a dataset folder with features from `extract`. Progress goes to stderr; the model folder is
 * rewritten (atomically) after every epoch, so Ctrl-C keeps the last finished epoch and `--resume` goes on.
 */
import { isAbsolute, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { loadDataset } from '../../core/data/load.ts';
import { nodeFolder } from '../../engine/platform/nodeFolder.ts';
import { buildCorpus } from '../../core/text/protocols.ts';
import { Tokenizer } from '../../core/text/tokenizer.ts';
import { useNodeBackend, type BackendReady } from '../../engine/platform/nodeBackend.ts';
import { buildCaptionDataset, captionModelConfigFor } from '../../engine/training/captionData.ts';
import { NodeCheckpointStore } from '../../engine/training/checkpointNode.ts';
import { describeIdentity, FeatureFileError } from '../../engine/features/cache.ts';
import { readFeatureFile } from '../../engine/features/cacheNode.ts';
import type { WorkerEndpoint } from '../../engine/threads/endpoint.ts';
import { InProcessTrainer } from '../../engine/training/inProcessTrainer.ts';
import { defaultTrainConfig, maxReplicas, type Bleu, type SerializedError, type TrainConfig, type Trainer } from '../../engine/training/trainer.ts';
import type { FaultInjection } from '../../protocol/replica.ts';
import { choiceOption, integerOption, parseCommandArgs, positionals } from '../args.ts';
import type { Command } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { mirroredCaptionRun } from '../../engine/mirrored/captionRun.ts';
import { nodeWorkerEndpoint } from '../../engine/threads/nodeEndpoint.ts';
import { autoBackend, BACKEND_CHOICES } from '../backendAuto.ts';
import { captionTrainingWorkload } from '../../model/backendCalibration.ts';

const usage = `Usage: caption-studio train <folder> --features <file> --out <model-dir> [options]

Trains the notebook's CNN+LSTM caption model on the dataset in <folder> with image features from
\`caption-studio extract\`. The model folder is saved after every epoch (Ctrl-C keeps the last one).
  --features F      feature file written by \`caption-studio extract\` (required)
  --out D           model folder to write: model.json, weights.bin, tokenizer.json (+ optimizer state)
  --layout L        sequence (whole captions, default) or prefix (the notebook's one sample per prefix)
  --epochs N        passes over the training split (default ${defaultTrainConfig.epochs})
  --batch N         images per step, all their captions included (default ${defaultTrainConfig.batchSize})
  --lr X            Adam learning rate (default ${defaultTrainConfig.learningRate})
  --protocol P      standard (default: dataset splits, markers stripped for BLEU) or kaggle (the notebook's)
  --dropout X       rate of both dropout layers (default 0.4)
  --units N         LSTM/dense width (default 256);  --embed N  embedding width (default 256)
  --val-sample N    validation images captioned for BLEU after each epoch (default ${defaultTrainConfig.validationSample})
  --samples N       after each epoch, print the captions of the first N test images (default 0; one replica only)
  --seed N          seed of weights, shuffling and dropout (default ${defaultTrainConfig.seed})
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

function numberOption(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < min || parsed > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got '${value}'`);
  return parsed;
}

export async function train(args: string[], io: CliIo, signal?: AbortSignal, hooks: TrainTestHooks = {}): Promise<number> {
  const { values, positionals: rest } = parseCommandArgs(args, {
    features: { type: 'string' },
    out: { type: 'string' },
    layout: { type: 'string' },
    epochs: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    protocol: { type: 'string' },
    dropout: { type: 'string' },
    units: { type: 'string' },
    embed: { type: 'string' },
    'val-sample': { type: 'string' },
    samples: { type: 'string' },
    seed: { type: 'string' },
    resume: { type: 'boolean' },
    backend: { type: 'string' },
    replicas: { type: 'string' },
    'all-reduce': { type: 'string' },
    kernels: { type: 'string' },
    precision: { type: 'string' },
    'loss-scale': { type: 'string' },
    'loss-scale-growth': { type: 'string' },
    json: { type: 'boolean' },
  });
  const [folderArg] = positionals(rest, ['folder']);
  if (values.features === undefined) throw new UsageError('missing --features <file> (make one with `caption-studio extract`)');
  if (values.out === undefined) throw new UsageError('missing --out <model-dir>');
  const config: TrainConfig = {
    ...defaultTrainConfig,
    layout: choiceOption(values.layout, 'layout', ['sequence', 'prefix'] as const, defaultTrainConfig.layout),
    epochs: integerOption(values.epochs, 'epochs', defaultTrainConfig.epochs, 1, 100000),
    batchSize: integerOption(values.batch, 'batch', defaultTrainConfig.batchSize, 1, 100000),
    learningRate: numberOption(values.lr, 'lr', defaultTrainConfig.learningRate, 1e-7, 10),
    protocol: choiceOption(values.protocol, 'protocol', ['standard', 'kaggle'] as const, defaultTrainConfig.protocol),
    dropout: numberOption(values.dropout, 'dropout', defaultTrainConfig.dropout, 0, 0.95),
    validationSample: integerOption(values['val-sample'], 'val-sample', defaultTrainConfig.validationSample, 0, 1000000),
    seed: integerOption(values.seed, 'seed', defaultTrainConfig.seed, 0, 2 ** 31 - 1),
    replicas: integerOption(values.replicas, 'replicas', 1, 1, maxReplicas),
    allReduce: choiceOption(values['all-reduce'], 'all-reduce', ['ring', 'postMessage'] as const, defaultTrainConfig.allReduce),
    precision: choiceOption(values.precision, 'precision', ['float32', 'mixed_float16'] as const, 'float32'),
    fusedKernels: choiceOption(values.kernels, 'kernels', ['fused', 'stock'] as const, 'fused') === 'fused',
    initialLossScale: numberOption(values['loss-scale'], 'loss-scale', 2 ** 15, 1, 2 ** 64),
    lossScaleGrowthSteps: integerOption(values['loss-scale-growth'], 'loss-scale-growth', 2000, 1, 1e9),
  };
  const model = { units: integerOption(values.units, 'units', 256, 1, 8192), embedDim: integerOption(values.embed, 'embed', 256, 1, 8192) };
  const backendChoice = choiceOption(values.backend, 'backend', BACKEND_CHOICES, 'auto');
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(io.cwd, path));
  const outPath = at(values.out);
  const started = performance.now();

  // A named backend is set up first (a failure shows before any reading); auto calibrates on the data below.
  let backend: BackendReady | null = backendChoice === 'auto' ? null : await useNodeBackend(backendChoice);
  let features;
  try {
    features = await readFeatureFile(at(values.features));
  } catch (error) {
    if (error instanceof FeatureFileError) throw new UserError(error.message, { file: values.features });
    throw error;
  }
  if (features.weights === 'random') io.err(`train: WARNING: the features come from a RANDOMLY initialised ${features.backboneId}\n`);
  const corpus = buildCorpus(await loadDataset(nodeFolder(at(folderArg))), config.protocol);
  const store = new NodeCheckpointStore(outPath);
  const checkpoint = values.resume ? await store.load() : null;
  if (values.resume && !checkpoint) io.err(`train: --resume: no checkpoint in ${values.out}; starting from scratch\n`);
  const tokenizer = checkpoint?.['tokenizer.json'] ? Tokenizer.fromJSON(new TextDecoder().decode(checkpoint['tokenizer.json'])) : undefined;
  const data = buildCaptionDataset(corpus, features.features, { tokenizer });
  if (data.missingFeatures.length) io.err(`train: ${data.missingFeatures.length} images have no features and are left out (e.g. ${data.missingFeatures[0]})\n`);
  backend ??= await autoBackend(
    io,
    'train',
    captionTrainingWorkload({
      config: captionModelConfigFor(data, config.dropout, model),
      layout: config.layout,
      images: data.train.slice(0, config.batchSize),
      fusedKernels: config.fusedKernels,
      precision: config.precision,
      learningRate: config.learningRate,
    }),
    { webgpu: true },
  );
  if (backend.fallbackReason) io.err(`train: ${backend.fallbackReason}\n`);
  // Replicas start the backend by name in their own threads: what was asked for, or what auto chose.
  const backendName = backendChoice === 'auto' ? backend.backend : backendChoice;
  io.err(
    `train: ${data.train.length} train / ${data.val.length} val / ${data.test.length} test images, vocabulary ${data.vocabSize}, ` +
      `max length ${data.maxLength}, features ${describeIdentity(features)}, ${backend.backend}, layout ${config.layout}\n`,
  );

  const meta = { features: features.header };
  const mirrored =
    config.replicas > 1
      ? mirroredCaptionRun({ data, config, sizes: model, store, meta, backend: backendName, spawn: hooks.spawnReplica ?? (() => nodeWorkerEndpoint()), faults: hooks.faults })
      : null;
  const samples = data.test.slice(0, integerOption(values.samples, 'samples', 0, 0, 1000));
  if (mirrored && samples.length) io.err('train: --samples is not shown with --replicas yet\n');
  const inProcess = mirrored ? null : new InProcessTrainer({ data, config, model, store, meta, samples });
  const trainer: Trainer = mirrored?.trainer ?? inProcess!;
  let steps = 0;
  let tokens = 0;
  let stepMs = 0;
  let finalLoss = NaN;
  let lastPrint = 0;
  let kernels = 'stock tfjs ops';
  let precision = config.precision;
  let skippedSteps = 0;
  let lossScale: number | null = null;
  let replicaBackend: string | null = null;
  // Set by the listener: a replica's fault (the run's other failures reject start()).
  const trouble: { fault: { replica: number; message: string } | null } = { fault: null };
  trainer.on((event) => {
    if (event.type === 'mirroredSetup') {
      io.err(`train: ${event.replicas} replicas (worker threads, ids ${event.replicaIds.join(', ')}) on ${event.backend}, ${event.allReduce} all-reduce\n`);
      if (event.fallbackReason) io.err(`train: ${event.fallbackReason}\n`);
    } else if (event.type === 'backendChosen') {
      kernels = event.kernels ?? kernels;
      precision = event.precision ?? precision;
      if (mirrored) replicaBackend = event.backend;
      io.err(`train: ${precision}, ${kernels}\n`);
      if (mirrored && event.fallbackReason) io.err(`train: replicas: ${event.fallbackReason}\n`);
      if (event.kernelFallbackReason) io.err(`train: ${event.kernelFallbackReason}\n`);
    } else if (event.type === 'stepCompleted') {
      if (event.lossScale !== undefined) lossScale = event.lossScale;
      if (event.skipped) {
        skippedSteps++;
        io.err(`train: step ${event.step} skipped: non-finite gradient in f16; loss scale now ${event.lossScale}\n`);
      }
      steps++;
      tokens += event.tokens;
      stepMs += event.durationMs;
      if (performance.now() - lastPrint > 2000) {
        lastPrint = performance.now();
        io.err(`train: epoch ${event.epoch} step ${event.step} loss ${event.loss.toFixed(4)} ${event.tokensPerSecond.toFixed(0)} tokens/s\n`);
      }
    } else if (event.type === 'epochCompleted') {
      finalLoss = event.trainLoss;
      const bleu = event.bleu ? ` BLEU-1..4 ${[event.bleu.bleu1, event.bleu.bleu2, event.bleu.bleu3, event.bleu.bleu4].map((b) => b.toFixed(3)).join('/')}` : '';
      io.err(`train: epoch ${event.epoch}/${config.epochs} loss ${event.trainLoss.toFixed(4)} val ${event.valLoss?.toFixed(4) ?? '-'}${bleu} (${(event.durationMs / 1000).toFixed(1)} s)\n`);
      for (const sample of event.samples ?? []) io.err(`train: epoch ${event.epoch} sample ${sample.name}: ${sample.caption}\n`);
    } else if (event.type === 'checkpointSaved') {
      io.err(`train: saved epoch ${event.epoch} to ${values.out}\n`);
    } else if (event.type === 'warning') {
      io.err(`train: WARNING: ${event.message}\n`);
    } else if (event.type === 'replicaFault') {
      // No interactive recovery here: name the replica, stop (the workers end), keep the last checkpoint.
      trouble.fault ??= { replica: event.replica, message: `${event.message} (at step ${event.step + 1})` };
      void trainer.stop();
    } else if (event.type === 'runFailed') {
      if (event.replica !== undefined) trouble.fault ??= { replica: event.replica, message: event.error.message };
    }
  });
  const controller = new AbortController();
  signal?.addEventListener('abort', () => controller.abort());
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let failure: unknown = null;
  try {
    await trainer.start({ resume: values.resume === true, signal: controller.signal });
  } catch (error) {
    failure = error;
  } finally {
    process.off('SIGINT', onSigint);
  }
  const epochsSaved = mirrored ? mirrored.epochsSaved() : inProcess!.position.epoch;
  const { fault } = trouble;
  if (fault || failure) {
    await trainer.dispose();
    const kept = epochsSaved ? `${values.out} holds epoch ${epochsSaved}; add --resume to continue` : `nothing was saved in ${values.out}`;
    if (fault) {
      io.err(`train: replica ${fault.replica} failed: ${fault.message}\ntrain: stopped; ${kept}.\n`);
      return EXIT.replicaFault;
    }
    throw failure;
  }
  const stopped = trainer.state === 'stopped';
  if (stopped) io.err(`train: stopped; ${values.out} holds epoch ${epochsSaved}. Add --resume to continue.\n`);
  const bleuSplit = data.val.length ? 'val' : 'test';
  if (data[bleuSplit].length === 0) io.err('train: WARNING: no validation or test image has features: BLEU below is over 0 images\n');
  // The weights the run ended with, on this thread (a mirrored run's workers are gone by now).
  const evaluation = await trainer.evaluate(bleuSplit);
  await trainer.dispose();
  const summary: TrainSummary = {
    backend: replicaBackend ?? backend.backend,
    layout: config.layout,
    protocol: config.protocol,
    precision,
    kernels,
    skippedSteps,
    lossScale,
    replicas: mirrored ? mirrored.trainer.replicas.length || config.replicas : 1,
    epochs: epochsSaved,
    steps,
    tokensPerSecond: stepMs ? (tokens / stepMs) * 1000 : 0,
    finalLoss,
    valLoss: Number.isFinite(evaluation.loss) ? evaluation.loss : null,
    bleu: evaluation.bleu,
    bleuSplit,
    bleuImages: data[bleuSplit].length,
    trainImages: data.train.length,
    vocabSize: data.vocabSize,
    maxLength: data.maxLength,
    featureDim: data.featureDim,
    out: outPath,
    durationMs: Math.round(performance.now() - started),
    stopped,
  };
  if (values.json) io.out(`${JSON.stringify(summary)}\n`);
  else {
    const b = summary.bleu;
    const on = mirrored ? `${summary.replicas} replicas on ${summary.backend}` : summary.backend;
    io.out(
      `trained ${summary.epochs} epochs (${steps} steps, ${summary.tokensPerSecond.toFixed(0)} tokens/s on ${on}, layout ${summary.layout}); ` +
        `final loss ${finalLoss.toFixed(4)}\n${bleuSplit} BLEU-1 ${b.bleu1.toFixed(4)} BLEU-2 ${b.bleu2.toFixed(4)} BLEU-3 ${b.bleu3.toFixed(4)} BLEU-4 ${b.bleu4.toFixed(4)} ` +
        `(${summary.bleuImages} images, ${config.protocol} protocol)\nmodel saved in ${values.out}\n`,
    );
  }
  return stopped ? 130 : EXIT.ok;
}

export const trainCommand: Command = {
  name: 'train',
  summary: 'train the caption model on a dataset folder and its extracted features',
  usage,
  run: (args, io) => train(args, io),
};
