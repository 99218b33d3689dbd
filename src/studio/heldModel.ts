/**
 * The captioning model the studio holds (trained here, imported as an archive, a converted notebook model):
 * taking it (with the id results name it by and the features it was trained on), export and import, and
 * whether features of a given width fit it. Writes the Model slice.
 */
import type { FeatureIdentity } from '../model/backbones/types.ts';
import { featureWidthRefusal } from '../store/slices/model.ts';
import type { StudioStore } from '../store/studioStore.ts';
import { featureIdentityOfArchive } from './modelArchive.ts';
import type { StudioModel } from './model.ts';
import { toStudioError, type StudioEngines } from './ports.ts';

export type ModelSource = 'trained' | 'archive' | 'notebook';

export class HeldModel {
  captioner: StudioModel | null = null;
  /** Models taken in this page's life, for the id that results name their model by. */
  private count = 0;

  constructor(
    private readonly store: StudioStore,
    private readonly engines: StudioEngines,
  ) {}

  /** `features`: what the model was trained on, as recorded (null where it records nothing). */
  adopt(captioner: StudioModel, source: ModelSource, features: FeatureIdentity | null, knownId?: string): void {
    if (this.captioner && this.captioner !== captioner) this.captioner.dispose();
    this.captioner = captioner;
    const id = knownId ?? `${source}-${Date.now().toString(36)}-${++this.count}`;
    this.store.getState().updateModel({ info: { ...captioner.info, source, id, features }, error: null });
  }

  /**
   * A model archive (an import, or the run saved before a reload, which keeps its id so its results stay
   * current) taken with the features it records.
   */
  async adoptArchive(bytes: Uint8Array, fileName: string, source: ModelSource, knownId?: string): Promise<void> {
    this.adopt(await this.engines.importArchive!(bytes, fileName), source, featureIdentityOfArchive(bytes), knownId);
  }

  /** Why features of this width cannot go into the model, naming the weights it needs (null: they fit). */
  refusal(featureDim: number, identity?: FeatureIdentity): string | null {
    const info = this.store.getState().model.info;
    return info ? featureWidthRefusal(info, { featureDim, backboneId: identity?.backboneId }) : null;
  }

  async exportArchive(): Promise<{ fileName: string; bytes: Uint8Array } | null> {
    const s = this.store.getState();
    if (!this.captioner) {
      s.updateModel({ error: { message: 'There is no model to export yet: train one or import one.' } });
      return null;
    }
    s.updateModel({ operation: 'exporting', error: null });
    try {
      const bytes = await this.captioner.exportArchive();
      const fileName = `caption-model-${this.captioner.info.label.replace(/[^a-z0-9-]+/gi, '-')}.zip`;
      this.store.getState().updateModel({ operation: 'idle', lastExport: { fileName, bytes: bytes.byteLength } });
      return { fileName, bytes };
    } catch (error) {
      this.store.getState().updateModel({ operation: 'idle', error: toStudioError(error, 'Export') });
      return null;
    }
  }

  async importArchive(file: { name: string; bytes: Uint8Array }): Promise<void> {
    await this.importWith(() => this.adoptArchive(file.bytes, file.name, 'archive'));
  }

  async importNotebook(files: File[]): Promise<void> {
    await this.importWith(async () => this.adopt(await this.engines.importNotebook!(files), 'notebook', null));
  }

  private async importWith(load: () => Promise<void>): Promise<void> {
    this.store.getState().updateModel({ operation: 'importing', error: null });
    try {
      await load();
      this.store.getState().updateModel({ operation: 'idle' });
    } catch (error) {
      this.store.getState().updateModel({ operation: 'idle', error: toStudioError(error, 'Import') });
    }
  }

  dispose(): void {
    this.captioner?.dispose();
    this.captioner = null;
  }
}
