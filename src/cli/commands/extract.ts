/**
 * `caption-studio extract <folder> --backbone vgg16|mobilenet [--weights <dir|url>] --out <file>`: image
 * features of every captioned image in a dataset folder, into a feature file (format: src/engine/features/cache.ts)
 * that `train --features <file>` reads. Rerunning with the same --out resumes: images already in the file
 * (same content, backbone and weights) are not recomputed. Ctrl-C stops after the current batch.
 */
import { basename, isAbsolute, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DatasetError, UserError } from '../../core/errors.ts';
import { loadDataset } from '../../core/data/load.ts';
import { nodeFolder } from '../../engine/platform/nodeFolder.ts';
import type { Folder } from '../../core/data/types.ts';
import { describeIdentity, FeatureFileError } from '../../engine/features/cache.ts';
import { NodeFeatureFileStore } from '../../engine/features/cacheNode.ts';
import { extractFeatures, identityOf, type ExtractImage, type ExtractProgress, type SkippedImage } from '../../engine/features/extract.ts';
import { DEMO_MARKER_FILE, parseDemoMarker } from '../../core/data/demo.ts';
import { backboneWorkload } from '../../model/backendCalibration.ts';
import { DEMO_BACKBONE_FOLDER, DEMO_FEATURE_DIM, loadBackbone, WeightsError, type Backbone, type BackboneName, type WeightsInput } from '../../model/backbones/index.ts';
import { demoBackboneWeights } from '../../model/backbones/demoBackboneNode.ts';
import { nodeWeights } from '../../model/backbones/loadWeightsNode.ts';
import { autoBackend } from '../backendAuto.ts';
import { createNodeDecoderPool } from '../../model/images/decodeNode.ts';
import { choiceOption, integerOption, parseCommandArgs, positionals } from '../args.ts';
import type { Command } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import { processIo, type CliIo } from '../io.ts';

const usage = `Usage: caption-studio extract <folder> [--backbone vgg16|mobilenet|demo] [--weights <file.h5|dir|url|random>] [--backend auto|wasm|cpu] --out <file>

Image features of every captioned image in <folder> (a Flickr8K-style dataset; a folder of images without
a caption file works too: every image is extracted). Rerun the same command to resume an interrupted run.
  --backbone B      vgg16 (fc2, 4096-d), mobilenet (MobileNet v1, global average pool, 1024·alpha-d) or demo
                    (the small CNN pretrained on the demo's pictures: its ${DEMO_FEATURE_DIM} attribute probabilities,
                    weights in ${DEMO_BACKBONE_FOLDER});
                    default: demo for a folder written by \`caption-studio demo\` (it has ${DEMO_MARKER_FILE}),
                    otherwise required
  --weights W       Keras' ImageNet weights file (e.g. ~/.keras/models/vgg16_weights_tf_dim_ordering_tf_kernels.h5,
                    mobilenet_2_5_224_tf.h5) or a saved Keras model (.h5, .keras), read layer by layer; or a
                    TensorFlow.js Layers model folder (model.json + shards) or the URL of its model.json; or
                    random (random initialisation on purpose). Without it vgg16 and mobilenet are RANDOMLY
                    initialised (this project ships no ImageNet weights) and the file says so; demo loads its
                    committed weights
  --out F           feature file to write (resumed if it holds the same backbone and weights)
  --force           replace --out even if it holds features of another backbone or weights
  --batch N         images per backbone call (default 16)
  --alpha A         MobileNet width without --weights (default 0.25; with --weights it is read from them)
  --seed N          seed of the random initialisation (default 42)
  --resize R        bilinear (default) or nearest (Keras load_img's default: the notebook's exact input)
  --backend B       auto (default: a warm batch through the backbone on wasm and cpu picks the faster, and
                    the figures are printed), wasm or cpu
  --json            print one JSON object with the summary instead of text
Progress goes to stderr. Unreadable images are skipped and listed, never fatal.
`;

const IMAGE_FILE = /\.(jpe?g|png)$/i;

export interface ExtractSummary {
  out: string;
  backbone: BackboneName;
  backboneId: string;
  weights: Backbone['weights'];
  weightsId: string;
  featureDim: number;
  resize: 'bilinear' | 'nearest';
  backend: string;
  images: number;
  computed: number;
  cached: number;
  skipped: SkippedImage[];
  /** Captioned images the folder lacks (nothing to extract). */
  missingImages: number;
  durationMs: number;
  imagesPerSecond: number;
}

/** Images to extract: the dataset's captioned images, or every image file when there is no caption file. */
async function listImages(folder: Folder, io: CliIo): Promise<{ images: ExtractImage[]; missing: number }> {
  const toImage = (name: string, path: string): ExtractImage => ({ name, file: path, read: () => folder.read(path) });
  try {
    const dataset = await loadDataset(folder, { checkImages: false });
    const present = dataset.images.filter((record) => record.file !== null);
    return { images: present.map((record) => toImage(record.name, record.file!)), missing: dataset.images.length - present.length };
  } catch (error) {
    if (!(error instanceof DatasetError)) throw error;
    io.err(`extract: ${error.message.split('\n')[0]}; extracting every image file in the folder instead\n`);
    const seen = new Set<string>();
    const images: ExtractImage[] = [];
    for (const entry of await folder.list()) {
      const name = basename(entry.path);
      if (!IMAGE_FILE.test(name) || seen.has(name) || entry.path.split('/').some((s) => s.startsWith('.'))) continue;
      seen.add(name);
      images.push(toImage(name, entry.path));
    }
    return { images, missing: 0 };
  }
}

async function setBackend(name: 'wasm' | 'cpu'): Promise<string> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(name))) throw new Error(`tfjs could not start the ${name} backend`);
  await tf.ready();
  return tf.getBackend();
}

/** Whether the folder is the demo dataset (its demo.json marker, written by `caption-studio demo`). */
async function isDemoFolder(folder: Folder): Promise<boolean> {
  try {
    return parseDemoMarker(new TextDecoder().decode(await folder.read(DEMO_MARKER_FILE))) !== null;
  } catch {
    return false;
  }
}


function progressLine(p: ExtractProgress): string {
  const eta = p.etaSeconds === null ? '' : `, ETA ${Math.ceil(p.etaSeconds)} s`;
  const parts = [`${p.computed} computed`, `${p.cached} cached`, `${p.skipped} skipped`].join(', ');
  return `extract: ${p.done}/${p.total} images (${parts}; ${p.imagesPerSecond.toFixed(1)} images/s${eta})\n`;
}

/** The command with an injectable abort signal (tests stop it midway; the CLI wires Ctrl-C to it). */
export async function extract(args: string[], io: CliIo, signal?: AbortSignal): Promise<number> {
  const { values, positionals: rest } = parseCommandArgs(args, {
    backbone: { type: 'string' },
    weights: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    batch: { type: 'string' },
    alpha: { type: 'string' },
    seed: { type: 'string' },
    backend: { type: 'string' },
    resize: { type: 'string' },
    json: { type: 'boolean' },
  });
  const [folderArg] = positionals(rest, ['folder']);
  if (values.out === undefined) throw new UsageError('missing --out <file>');
  const batchSize = integerOption(values.batch, 'batch', 16, 1, 1024);
  const seed = integerOption(values.seed, 'seed', 42, 0, 2 ** 31 - 1);
  const alpha = values.alpha === undefined ? undefined : Number(values.alpha);
  if (alpha !== undefined && !(alpha > 0 && alpha <= 4)) throw new UsageError(`--alpha must be a number in (0, 4], got '${values.alpha}'`);
  const resize = choiceOption(values.resize, 'resize', ['bilinear', 'nearest'] as const, 'bilinear');
  const backendChoice = choiceOption(values.backend, 'backend', ['auto', 'wasm', 'cpu'] as const, 'auto');
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(io.cwd, path));
  const outPath = at(values.out);
  const folder = nodeFolder(at(folderArg));

  const demoFolder = values.backbone === undefined && (await isDemoFolder(folder));
  if (values.backbone === undefined && !demoFolder) throw new UsageError('missing --backbone vgg16|mobilenet|demo');
  const backboneName = choiceOption(values.backbone, 'backbone', ['vgg16', 'mobilenet', 'demo'] as const, 'demo');
  if (demoFolder) io.err(`extract: ${folderArg} is the demo dataset (${DEMO_MARKER_FILE}): using the demo backbone\n`);
  const weights: WeightsInput =
    values.weights === 'random' || (values.weights === undefined && backboneName !== 'demo')
      ? { kind: 'random', seed }
      : values.weights === undefined
        ? demoBackboneWeights()
        : nodeWeights(/^https?:\/\//i.test(values.weights) ? values.weights : at(values.weights));

  // auto: the backbone is loaded on wasm, then measured on each backend (its weights move along).
  let backend = await setBackend(backendChoice === 'auto' ? 'wasm' : backendChoice);
  const { images, missing } = await listImages(folder, io);
  if (images.length === 0) throw new UserError(`no images to extract in ${folderArg}`, { file: folderArg });

  let backbone: Backbone;
  try {
    backbone = await loadBackbone({ name: backboneName, weights, mobilenet: alpha === undefined ? undefined : { alpha } });
  } catch (error) {
    if (error instanceof WeightsError) throw new UserError(error.message);
    throw error;
  }
  try {
    if (backendChoice === 'auto') {
      const workload = backboneWorkload(backbone, batchSize);
      backend = (await autoBackend(io, 'extract', workload, { webgpu: false })).backend;
    }
    if (backbone.weights === 'random') {
      const why = values.weights === 'random' ? '--weights random' : 'no --weights';
      io.err(`extract: WARNING: ${why}, so ${backbone.id} is RANDOMLY initialised (seed ${seed}); the features carry no knowledge of images\n`);
    }
    let store: NodeFeatureFileStore;
    try {
      store = await NodeFeatureFileStore.open(outPath, identityOf(backbone, resize), { replace: values.force === true });
    } catch (error) {
      if (error instanceof FeatureFileError) throw new UserError(error.message, { file: values.out });
      throw error;
    }
    if (store.resumedRecords > 0) io.err(`extract: resuming ${values.out}: ${store.resumedRecords} images already extracted\n`);
    let lastPrintMs: number | null = null;
    const onProgress = (p: ExtractProgress): void => {
      const now = performance.now();
      // The first batch, then at most once a second, and the end.
      if (p.done > 0 && (lastPrintMs === null || p.done === p.total || now - lastPrintMs > 1000)) {
        lastPrintMs = now;
        io.err(progressLine(p));
      }
    };
    let result;
    const decoders = createNodeDecoderPool();
    try {
      result = await extractFeatures(backbone, images, store, { batchSize, signal, onProgress, decode: decoders.decode });
    } catch (error) {
      if ((error as Error).name === 'AbortError') {
        const saved = (await store.names()).size;
        io.err(`extract: stopped; ${values.out} holds ${saved} images. Run the same command again to resume.\n`);
        return 130;
      }
      throw error;
    } finally {
      await Promise.all([store.close(), decoders.close()]);
    }
    const summary: ExtractSummary = {
      out: outPath,
      backbone: backbone.name,
      backboneId: backbone.id,
      weights: backbone.weights,
      weightsId: backbone.weightsId,
      featureDim: backbone.featureDim,
      resize,
      backend,
      images: result.features.size,
      computed: result.computed,
      cached: result.cached,
      skipped: result.skipped,
      missingImages: missing,
      durationMs: Math.round(result.durationMs),
      imagesPerSecond: result.computed / Math.max(result.durationMs / 1000, 1e-9),
    };
    if (values.json) {
      io.out(`${JSON.stringify(summary)}\n`);
    } else {
      const lines = [
        `${summary.images} feature vectors in ${values.out} (${summary.computed} computed, ${summary.cached} from the file)`,
        `backbone ${describeIdentity(identityOf(backbone, resize))} on ${backend}`,
        `${summary.imagesPerSecond.toFixed(1)} images/s computed, ${(summary.durationMs / 1000).toFixed(1)} s`,
      ];
      if (missing > 0) lines.push(`${missing} captioned images are not in the folder (nothing to extract)`);
      if (result.skipped.length > 0) {
        lines.push(`${result.skipped.length} images skipped:`);
        for (const skip of result.skipped.slice(0, 20)) lines.push(`  ${skip.file}: ${skip.reason}`);
        if (result.skipped.length > 20) lines.push(`  … and ${result.skipped.length - 20} more (--json lists all)`);
      }
      io.out(`${lines.join('\n')}\n`);
    }
    return EXIT.ok;
  } finally {
    backbone.dispose();
  }
}

/** Entry for `caption-studio extract …` with Ctrl-C wired to a clean stop. */
export async function runExtract(argv: string[], io: CliIo = processIo): Promise<number> {
  const controller = new AbortController();
  const onInterrupt = (): void => controller.abort();
  process.once('SIGINT', onInterrupt);
  try {
    return await extract(argv, io, controller.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

export const extractCommand: Command = {
  name: 'extract',
  summary: 'image features (VGG16 fc2, MobileNet or the demo CNN) of a dataset folder into a feature file, resumable',
  usage,
  run: (args, io) => runExtract(args, io),
};
