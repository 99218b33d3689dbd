/**
 * The Model panel's scale-out actions, as the studio session offers them (session.scaleOut): export the
 * loaded dataset's run for PyTorch DDP as a zip, and import an exported run folder (or its zip) after
 * train_ddp.py: its model becomes the studio's, its log a row of the run comparison table. Light on
 * purpose: the work (fflate, the exporter, the script's text) loads on first use.
 */
import type { Corpus } from '../core/data/types.ts';
import type { ModelSizes } from '../engine/training/captionData.ts';
import type { RunSummary } from '../store/slices/training/runHistory.ts';
import type { StudioStore } from '../store/studioStore.ts';
import { modelSizeOverride } from './engines.ts';
import type { StudioModel } from './model.ts';
import { toStudioError } from './ports.ts';

export interface ScaleOutPorts {
  store: StudioStore;
  /** The loaded dataset under the Training panel's protocol, and its extracted features (null: not yet). */
  corpus(): Corpus | null;
  features(): Map<string, Float32Array> | null;
  /** The build's model-archive import (null: not part of this build). */
  importArchive: ((bytes: Uint8Array, fileName: string) => Promise<StudioModel>) | null;
  adopt(model: StudioModel): Promise<void>;
  /** Model sizes (tests); default: what the studio trains (256, or the page's `?units=`). */
  modelSizes?: ModelSizes;
}

/** A run folder as picked: its zip, or the files of `<input webkitdirectory>` (paths from the folder's name). */
export type PickedRun = { zip: { name: string; bytes: Uint8Array } } | { folder: { name: string; files: { path: string; bytes: Uint8Array }[] } };

export class ScaleOutActions {
  constructor(private readonly ports: ScaleOutPorts) {}

  /** Why the export is unavailable now (null: available). */
  exportUnavailable(): string | null {
    if (!this.ports.corpus()) return 'load a dataset first (Dataset tab)';
    if (!this.ports.features()) return 'extract its image features first (Features tab)';
    return null;
  }

  async exportRun(): Promise<{ fileName: string; bytes: Uint8Array } | null> {
    const { store } = this.ports;
    const corpus = this.ports.corpus();
    const features = this.ports.features();
    if (!corpus || !features) {
      store.getState().updateModel({ error: { message: `Export for PyTorch: ${this.exportUnavailable()}.` } });
      return null;
    }
    store.getState().updateModel({ operation: 'exporting', error: null });
    try {
      const [{ exportRunArchive }, { trainDdpScript }] = await Promise.all([import('../engine/scaleOut/studioScaleOut.ts'), import('../engine/scaleOut/trainDdpScriptPage.ts')]);
      const model = this.ports.modelSizes ?? modelSizeOverride();
      const out = await exportRunArchive({ config: store.getState().training.config, corpus, features, script: trainDdpScript, model });
      store.getState().updateModel({ operation: 'idle', lastExport: { fileName: out.fileName, bytes: out.bytes.byteLength } });
      return out;
    } catch (error) {
      store.getState().updateModel({ operation: 'idle', error: toStudioError(error, 'Export for PyTorch') });
      return null;
    }
  }

  async importRun(picked: PickedRun): Promise<void> {
    const { store, importArchive } = this.ports;
    if (!importArchive) {
      store.getState().updateModel({ error: { message: 'Importing models is not part of this build yet.' } });
      return;
    }
    store.getState().updateModel({ operation: 'importing', error: null });
    try {
      const { importRunAsModelArchive, pickedFolderFiles, runArchiveFiles } = await import('../engine/scaleOut/studioScaleOut.ts');
      const name = 'zip' in picked ? picked.zip.name : picked.folder.name;
      const files = 'zip' in picked ? runArchiveFiles(picked.zip.bytes, name) : pickedFolderFiles(picked.folder.files, name);
      const imported = await importRunAsModelArchive(name.replace(/\.zip$/i, ''), files);
      await this.ports.adopt(await importArchive(imported.archive, `${imported.label}.zip`));
      if (imported.run) store.getState().addRunSummary({ ...imported.run, placement: 'pytorch' } satisfies RunSummary);
      store.getState().updateModel({ operation: 'idle' });
    } catch (error) {
      store.getState().updateModel({ operation: 'idle', error: toStudioError(error, 'Import of the PyTorch run') });
    }
  }
}
