/**
 * Shared data types of the data core. Every layer above (model, engine, store, ui, cli) speaks these.
 * No DOM, no tfjs: this file runs unchanged in Node, a page and a worker.
 */

export type Split = 'train' | 'val' | 'test';

/** A problem found while reading a dataset: reported, never thrown, while the rest stays usable. */
export interface Problem {
  /** Path of the file relative to the dataset folder, '/'-separated (e.g. `captions.txt`, `Images/x.jpg`). */
  file: string;
  /** 1-based line number in `file`, where the problem has one. */
  line?: number;
  message: string;
  /** A machine-readable kind, stable for tests and the UI (e.g. 'unparsable-line', 'empty-caption'). */
  code: string;
}

/** One entry of a folder, path relative to the folder root with '/' separators. */
export interface FolderEntry {
  path: string;
  bytes: number;
}

/**
 * One folder abstraction for browser Files (`<input webkitdirectory>`, drag and drop),
 * FileSystemDirectoryHandle, Node paths and in-memory folders (tests, the demo dataset).
 */
export interface Folder {
  /** A display name (the folder's own name). */
  readonly name: string;
  list(): Promise<FolderEntry[]>;
  read(path: string): Promise<Uint8Array>;
}

export type CaptionFormat = 'kaggle-csv' | 'flickr8k-token' | 'karpathy-json';
