/**
 * An exported run's checkpoint (train_ddp.py: plain .npy files, no pickle) → the studio's model folder
 * (weightsIo's files plus optimizer.bin and trainer.json, so `caption`, `evaluate`, the studio and
 * `train --resume` all take it). Every file is checked against run.json before anything is returned; a
 * wrong one is a UserError naming it. Reads a Folder: a directory in Node, picked files or an unzipped
 * archive in the page.
 */
import { UserError } from '../../core/errors.ts';
import type { Folder } from '../../core/data/types.ts';
import { Tokenizer } from '../../core/text/tokenizer.ts';
import { paramSpecs, type CaptionModelConfig } from '../../model/captionModel.ts';
import { encodeCaptionModel } from '../../model/weightsIo.ts';
import { defaultTrainConfig, type TrainConfig } from '../../protocol/training.ts';
import { trainingFiles } from '../training/folder.ts';
import { decodeNpy } from './npy.ts';
import { CHECKPOINT_FORMAT, RUN_FORMAT, RUN_VERSION, weightFile, type RunDescription } from './runFormat.ts';
import { parseDdpLog, type DdpRunLog } from './runLog.ts';

export interface ImportedRun {
  /** The model folder's files. */
  files: Record<string, Uint8Array | string>;
  run: RunDescription;
  /** Epochs the checkpoint holds, its step and the rank count that trained it. */
  epoch: number;
  step: number;
  worldSize: number;
  /** train_ddp.py's log (train_log.jsonl), when the folder has one. */
  log: DdpRunLog | null;
}

const CHECKPOINT_DIR = /^checkpoints\/epoch_(\d+)\/state\.json$/;

/** Reads run.json and checks it is ours and complete (every file it lists is there, with its size). */
export async function readRunDescription(folder: Folder): Promise<{ run: RunDescription; entries: Map<string, number> }> {
  const entries = new Map((await folder.list()).map((e) => [e.path, e.bytes]));
  if (!entries.has('run.json')) {
    throw new UserError(`${folder.name}: no run.json here: not a run folder written by caption-studio export-run`, { file: folder.name });
  }
  let run: RunDescription;
  try {
    run = JSON.parse(new TextDecoder().decode(await folder.read('run.json')));
  } catch {
    throw new UserError(`${folder.name}/run.json: not valid JSON`, { file: `${folder.name}/run.json` });
  }
  if (run?.format !== RUN_FORMAT) {
    throw new UserError(`${folder.name}/run.json: not a caption-studio run (format ${JSON.stringify(run?.format ?? null)})`, { file: `${folder.name}/run.json` });
  }
  if (run.version !== RUN_VERSION) throw new UserError(`${folder.name}/run.json: run format version ${run.version} is not supported`, { file: `${folder.name}/run.json` });
  const missing = (['runId', 'train', 'model', 'params', 'data', 'files'] as const).filter((key) => !run[key] || typeof run[key] !== (key === 'runId' ? 'string' : 'object'));
  if (missing.length) throw new UserError(`${folder.name}/run.json: no ${missing.join(', ')}: the file was cut short or edited`, { file: `${folder.name}/run.json` });
  for (const [name, bytes] of Object.entries(run.files ?? {})) {
    const have = entries.get(name);
    if (have === undefined) throw new UserError(`${folder.name}/${name}: missing (run.json lists it): the run folder is incomplete`, { file: `${folder.name}/${name}` });
    if (have !== bytes) throw new UserError(`${folder.name}/${name}: ${have} bytes, run.json says ${bytes}: the run folder is incomplete or altered`, { file: `${folder.name}/${name}` });
  }
  return { run, entries };
}

/** Epochs with a complete checkpoint (its state.json written last), ascending. */
export function checkpointEpochs(entries: Map<string, number>): number[] {
  return [...entries.keys()]
    .map((path) => CHECKPOINT_DIR.exec(path))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

export async function importRunCheckpoint(folder: Folder, options: { epoch?: number } = {}): Promise<ImportedRun> {
  const { run, entries } = await readRunDescription(folder);
  const where = (path: string) => `${folder.name}/${path}`;
  const fail = (path: string, what: string): never => {
    throw new UserError(`${where(path)}: ${what}`, { file: where(path) });
  };
  const epochs = checkpointEpochs(entries);
  if (epochs.length === 0) fail('checkpoints', 'no checkpoint yet: train the run first (python3 train_ddp.py; it writes checkpoints/epoch_NNNN after each epoch)');
  const epoch = options.epoch ?? epochs[epochs.length - 1];
  if (!epochs.includes(epoch)) fail('checkpoints', `no checkpoint of epoch ${epoch} (there are epochs ${epochs.join(', ')})`);
  const dir = `checkpoints/epoch_${String(epoch).padStart(4, '0')}`;

  let state: { format?: string; runId?: string; epoch: number; step: number; adamStep: number; worldSize: number; precision?: string };
  try {
    state = JSON.parse(new TextDecoder().decode(await folder.read(`${dir}/state.json`)));
  } catch {
    return fail(`${dir}/state.json`, 'not valid JSON');
  }
  if (state.format !== CHECKPOINT_FORMAT) fail(`${dir}/state.json`, `not a train_ddp.py checkpoint (format ${JSON.stringify(state.format ?? null)})`);
  if (state.runId !== run.runId) fail(`${dir}/state.json`, `a checkpoint of another run (${state.runId}; this folder's run is ${run.runId})`);

  const tokenizerJson = new TextDecoder().decode(await folder.read('tokenizer.json'));
  let tokenizer: Tokenizer;
  try {
    tokenizer = Tokenizer.fromJSON(tokenizerJson);
  } catch (error) {
    return fail('tokenizer.json', `not a Keras tokenizer (${(error as Error).message})`);
  }
  if (tokenizer.vocabSize !== run.model.vocabSize) {
    fail('tokenizer.json', `vocabulary ${tokenizer.vocabSize}, run.json's model has ${run.model.vocabSize}: a tokenizer of another run`);
  }
  const config: CaptionModelConfig = { ...run.model, dropout: run.train.dropout };
  const specs = paramSpecs(config);
  const readTensors = async (sub: string): Promise<Float32Array[]> => {
    const out: Float32Array[] = [];
    for (const spec of specs) {
      const path = weightFile(`${dir}/${sub}`, spec.name);
      if (!entries.has(path)) fail(path, 'missing: the checkpoint is incomplete');
      const array = decodeNpy(await folder.read(path), where(path));
      if (array.dtype !== 'float32') fail(path, `dtype ${array.dtype}, expected float32`);
      if (array.shape.join(',') !== spec.shape.join(',')) {
        const vocabulary = spec.name === 'embedding/embeddings' || spec.name.startsWith('dense_2/') ? ' (a checkpoint of another vocabulary?)' : '';
        fail(path, `shape [${array.shape}], this run's ${spec.name} is [${spec.shape}]${vocabulary}`);
      }
      out.push(array.data as Float32Array);
    }
    return out;
  };
  const weights = await readTensors('weights');
  const firstMoments = await readTensors('adam_m');
  const secondMoments = await readTensors('adam_v');
  for (let i = 0; i < weights.length; i++) {
    if (!weights[i].every(Number.isFinite)) fail(weightFile(`${dir}/weights`, specs[i].name), 'holds NaN or Inf: the run diverged at this epoch');
  }

  const modelFiles = encodeCaptionModel(config, weights, tokenizerJson, {
    ...run.meta,
    epochsTrained: state.epoch,
    trainedWith: { engine: 'pytorch-ddp', runId: run.runId, worldSize: state.worldSize, precision: state.precision ?? run.train.precision, step: state.step },
  });
  // The studio's checkpoint files too, so `train --resume` continues the run here (Adam state included).
  const trainConfig: TrainConfig = {
    ...defaultTrainConfig,
    epochs: run.train.epochs,
    batchSize: run.train.batchSize,
    learningRate: run.train.learningRate,
    layout: run.train.layout,
    protocol: run.train.protocol,
    precision: 'float32',
    seed: run.train.seed,
    dropout: run.train.dropout,
  };
  const files = trainingFiles(modelFiles, { epoch: state.epoch, step: state.step, adamStep: state.adamStep, firstMoments, secondMoments, lossScaler: null }, trainConfig);
  const log = entries.has('train_log.jsonl') ? parseDdpLog(new TextDecoder().decode(await folder.read('train_log.jsonl')), where('train_log.jsonl')) : null;
  return { files, run, epoch: state.epoch, step: state.step, worldSize: state.worldSize, log };
}
