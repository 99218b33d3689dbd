/**
 * Object URLs of a dataset's images for the page (evaluation grid, samples), made on first use and kept
 * while the same dataset is loaded; loading another dataset, or clear(), revokes them.
 */
import type { Folder, LoadedDataset } from '../core/data/types.ts';

export class DatasetImageUrls {
  private urls = new Map<string, Promise<string | null>>();
  private of: LoadedDataset | null = null;

  /** null where the folder lacks the image, it cannot be read, or there are no object URLs (Node). */
  urlOf(loaded: { folder: Folder; dataset: LoadedDataset } | null, name: string): Promise<string | null> {
    if (!loaded || typeof URL.createObjectURL !== 'function') return Promise.resolve(null);
    if (this.of !== loaded.dataset) {
      this.clear();
      this.of = loaded.dataset;
    }
    let url = this.urls.get(name);
    if (!url) {
      const file = loaded.dataset.images.find((im) => im.name === name)?.file ?? null;
      url = file
        ? loaded.folder.read(file).then(
            (bytes) => URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>])),
            () => null,
          )
        : Promise.resolve(null);
      this.urls.set(name, url);
    }
    return url;
  }

  clear(): void {
    for (const url of this.urls.values()) void url.then((u) => u && URL.revokeObjectURL(u));
    this.urls = new Map();
    this.of = null;
  }
}
