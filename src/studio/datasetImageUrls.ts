/**
 * Object URLs of a dataset's images for the page (evaluation grid, epoch samples), held only while shown:
 * an image on screen holds its URL (`hold`), and the URL is revoked when the last holder lets go. A grid
 * paged through all 1000 test images of Flickr8K, or a dataset of 8091, then keeps as many URLs (and image
 * bytes behind them) as there are pictures in view, not one per picture ever shown. Loading another dataset,
 * or clear(), revokes them all.
 */
import type { Folder, LoadedDataset } from '../core/data/types.ts';

export interface HeldImageUrl {
  /** null where the folder lacks the image, it cannot be read, or there are no object URLs (Node). */
  url: Promise<string | null>;
  /** The holder no longer shows the image; calling it again does nothing. */
  release(): void;
}

interface Entry {
  url: Promise<string | null>;
  holders: number;
}

const NO_URL: HeldImageUrl = { url: Promise.resolve(null), release: () => undefined };

export class DatasetImageUrls {
  private entries = new Map<string, Entry>();
  private of: LoadedDataset | null = null;
  /** Image name → file path of the dataset `of`, built once (a lookup per picture shown, of 8091). */
  private files = new Map<string, string>();

  hold(loaded: { folder: Folder; dataset: LoadedDataset } | null, name: string): HeldImageUrl {
    if (!loaded || typeof URL.createObjectURL !== 'function') return NO_URL;
    if (this.of !== loaded.dataset) {
      this.clear();
      this.of = loaded.dataset;
      for (const image of loaded.dataset.images) if (image.file !== null && !this.files.has(image.name)) this.files.set(image.name, image.file);
    }
    let entry = this.entries.get(name);
    if (!entry) {
      const file = this.files.get(name);
      const url = file
        ? loaded.folder.read(file).then(
            (bytes) => URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>])),
            () => null,
          )
        : Promise.resolve(null);
      entry = { url, holders: 0 };
      this.entries.set(name, entry);
    }
    entry.holders++;
    const held = entry;
    let released = false;
    return {
      url: held.url,
      release: () => {
        if (released) return;
        released = true;
        held.holders--;
        // The entry may belong to a dataset cleared since: clear() revoked it already.
        if (held.holders === 0 && this.entries.get(name) === held) {
          this.entries.delete(name);
          revoke(held);
        }
      },
    };
  }

  /** Images with a URL made or being made (what is shown now). */
  get liveCount(): number {
    return this.entries.size;
  }

  clear(): void {
    for (const entry of this.entries.values()) revoke(entry);
    this.entries = new Map();
    this.files = new Map();
    this.of = null;
  }
}

function revoke(entry: Entry): void {
  void entry.url.then((u) => u && URL.revokeObjectURL(u));
}
