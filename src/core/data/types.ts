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
  /**
   * What the problem is about, where that is one thing (an image name, a file): the examples a summary of
   * many problems of one kind shows ("7,991 images … are not in the folder: 1000268201_693b08cb0e.jpg, …").
   */
  subject?: string;
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
  /**
   * false where symbolic links inside the folder are not handed over (a folder picked or dropped in the
   * browser): a dataset whose Images is a link then looks empty, and the loader says why.
   */
  readonly followsLinks?: boolean;
  /** Problems met while listing (a dangling link, a link back to an ancestor); valid after list(). */
  listProblems?(): Problem[];
}

export type CaptionFormat = 'kaggle-csv' | 'flickr8k-token' | 'karpathy-json';

/** One image as the caption file names it, captions as written in the file (raw, uncleaned). */
export interface ImageRecord {
  /** Image file name as the caption file names it (e.g. `1000268201_693b08cb0e.jpg`). */
  name: string;
  /** Split named by the dataset itself (split files, Karpathy's field); null when it names none. */
  split: Split | null;
  captions: string[];
  /** For each caption, where it came from (1-based line in `captionFile`; for JSON, the line of the sentence). */
  captionLines: number[];
  /** Path of the image file in the folder, relative, or null when the folder lacks it. */
  file: string | null;
}

/** What `loadDataset` returns: everything usable, plus every problem met on the way. */
export interface LoadedDataset {
  format: CaptionFormat;
  /** Relative path of the caption file that was read. */
  captionFile: string;
  /** Images in caption-file order (first appearance). */
  images: ImageRecord[];
  /** Relative paths of all image files found in the folder (including those without captions). */
  imageFiles: string[];
  /**
   * Raw caption lines of a Kaggle captions.txt, header excluded, as the notebook reads them
   * (`line.split(',')`): the kaggle protocol needs them verbatim. Null for other formats.
   */
  rawCsvLines: { line: number; text: string; recordLine: number }[] | null;
  problems: Problem[];
}

export type Protocol = 'kaggle' | 'standard';

/** A cleaned caption corpus under one text protocol: what tokenizer, model and BLEU consume. */
export interface Corpus {
  protocol: Protocol;
  images: CorpusImage[];
  /** Longest caption in words, markers included (the notebook's `max_length`). */
  maxLength: number;
  startToken: string;
  endToken: string;
  problems: Problem[];
}

export interface CorpusImage {
  name: string;
  split: Split;
  file: string | null;
  /** Cleaned captions, start/end markers included (both protocols train with them). */
  captions: string[];
}
