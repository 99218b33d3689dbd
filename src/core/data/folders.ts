/**
 * The Folder every reader of a dataset uses, and the in-memory one (tests, the generated demo dataset).
 * Platform folders live with their platform: a disk directory in src/engine/platform/nodeFolder.ts (Node),
 * picked or dropped files and directory handles in src/ui/browser/folders.ts (DOM), so core stays free of both.
 */
import type { Folder, FolderEntry } from './types.ts';

/**
 * A Folder that can also read part of a file. The loader checks images by their first and last bytes, which
 * on a real Flickr8K folder (8091 JPEGs, about 1 GB) is far cheaper than reading each file whole.
 */
export interface RangeFolder extends Folder {
  /** Bytes [start, end) of the file; end is clamped to the file's size. */
  readRange(path: string, start: number, end: number): Promise<Uint8Array>;
}

export function hasReadRange(folder: Folder): folder is RangeFolder {
  return typeof (folder as Partial<RangeFolder>).readRange === 'function';
}

/** '\\' to '/', no leading './' or '/', no empty segments. */
export function normalizePath(path: string): string {
  return path
    .replace(/\\/g, '/')
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}

export function missingFile(folderName: string, path: string): Error {
  return new Error(`no file '${path}' in folder '${folderName}'`);
}

/** A folder held in memory: tests and the generated demo dataset. Strings are stored as UTF-8. */
export function memoryFolder(name: string, files: Record<string, Uint8Array | string>): RangeFolder {
  const encoder = new TextEncoder();
  const contents = new Map<string, Uint8Array>();
  for (const [path, content] of Object.entries(files)) {
    contents.set(normalizePath(path), typeof content === 'string' ? encoder.encode(content) : content);
  }
  const get = (path: string): Uint8Array => {
    const bytes = contents.get(normalizePath(path));
    if (!bytes) throw missingFile(name, path);
    return bytes;
  };
  return {
    name,
    async list(): Promise<FolderEntry[]> {
      return [...contents].map(([path, bytes]) => ({ path, bytes: bytes.byteLength }));
    },
    async read(path: string): Promise<Uint8Array> {
      return get(path);
    },
    async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
      return get(path).subarray(start, end);
    },
  };
}

