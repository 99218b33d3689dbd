/**
 * The studio's side of scale-out, for the Model panel: the run of the loaded dataset and the Training
 * panel's settings as one zip for PyTorch DDP (the same files `caption-studio export-run` writes), and an
 * exported run folder (picked as a folder or as its zip) coming back as a model archive plus a row for the
 * run comparison table. The page passes train_ddp.py's text in (trainDdpScriptPage.ts, Vite ?raw), so this
 * module runs in Node tests as it is.
 */
import { zipSync } from 'fflate';
import type { Corpus } from '../../core/data/types.ts';
import { memoryFolder, normalizePath } from '../../core/data/folders.ts';
import { UserError } from '../../core/errors.ts';
import type { ModelMeta } from '../../model/weightsIo.ts';
import { unzipBounded } from '../../model/archive.ts';
import { buildCaptionDataset, type ModelSizes } from '../training/captionData.ts';
import type { TrainConfig } from '../../protocol/training.ts';
import { buildRunExport } from './exportRun.ts';
import { importRunCheckpoint } from './importRun.ts';
import { summarizeDdpLog, type DdpRunSummary } from './runLog.ts';

const encoder = new TextEncoder();

/**
 * The most a run zip's entries may inflate to: its features.npy dominates (Flickr30k's 31,783 VGG16 vectors
 * are 520 MB); more is refused from the zip's declared sizes before anything is inflated (a zip bomb).
 */
export const MAX_RUN_ARCHIVE_BYTES = 3 * 2 ** 30;
const bytesOf = (v: Uint8Array | string) => (typeof v === 'string' ? encoder.encode(v) : v);

/** The run as a zip whose one top folder is the run folder (`caption-run-<runId>/run.json`, …). */
export async function exportRunArchive(inputs: {
  config: TrainConfig;
  corpus: Corpus;
  features: ReadonlyMap<string, Float32Array>;
  script: string;
  meta?: ModelMeta;
  model?: ModelSizes;
  featuresLabel?: string;
}): Promise<{ fileName: string; bytes: Uint8Array; runId: string }> {
  const data = buildCaptionDataset(inputs.corpus, inputs.features);
  const { files, run } = await buildRunExport({
    data,
    settings: inputs.config,
    model: inputs.model,
    meta: inputs.meta,
    script: inputs.script,
    featuresLabel: inputs.featuresLabel ?? 'the extracted features',
  });
  const top = `caption-run-${run.runId}`;
  const bytes = zipSync(Object.fromEntries(Object.entries(files).map(([name, v]) => [`${top}/${name}`, bytesOf(v)])));
  return { fileName: `${top}.zip`, bytes, runId: run.runId };
}

/** A run folder's files by their path inside it, from a zip of it (any top folders above run.json dropped). */
export function runArchiveFiles(bytes: Uint8Array, fileName: string): Record<string, Uint8Array> {
  const entries = unzipBounded(bytes, fileName, { maxInflatedBytes: MAX_RUN_ARCHIVE_BYTES, hint: 'zip the run folder exported for PyTorch' });
  return underRunJson(entries, fileName);
}

/** Files picked with `<input webkitdirectory>` (paths start with the picked folder's name). */
export function pickedFolderFiles(files: { path: string; bytes: Uint8Array }[], folderName: string): Record<string, Uint8Array> {
  return underRunJson(Object.fromEntries(files.map((f) => [normalizePath(f.path), f.bytes])), folderName);
}

function underRunJson(entries: Record<string, Uint8Array>, label: string): Record<string, Uint8Array> {
  const runJson = Object.keys(entries)
    .filter((k) => k === 'run.json' || k.endsWith('/run.json'))
    .sort((a, b) => a.length - b.length)[0];
  if (!runJson) throw new UserError(`${label} holds no run.json: not a run exported for PyTorch (caption-studio export-run, or the Model panel's export)`, { file: label });
  const prefix = runJson.slice(0, runJson.length - 'run.json'.length);
  return Object.fromEntries(
    Object.entries(entries)
      .filter(([k]) => k.startsWith(prefix) && !k.endsWith('/'))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
}

/**
 * The run's last (or chosen) checkpoint as a model archive the studio imports (its importArchive), with the
 * run's log as a comparison-table row when the folder has train_log.jsonl.
 */
export async function importRunAsModelArchive(
  name: string,
  files: Record<string, Uint8Array>,
  options: { epoch?: number } = {},
): Promise<{ archive: Uint8Array; label: string; epoch: number; run: DdpRunSummary | null }> {
  const imported = await importRunCheckpoint(memoryFolder(name, files), options);
  const archive = zipSync(Object.fromEntries(Object.entries(imported.files).map(([k, v]) => [k, bytesOf(v)])));
  return {
    archive,
    label: `PyTorch DDP run ${imported.run.runId}, epoch ${imported.epoch}`,
    epoch: imported.epoch,
    run: imported.log ? summarizeDdpLog(imported.log) : null,
  };
}
