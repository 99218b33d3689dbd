/**
 * Folder implementations for the browser and for tests: in-memory files, a `File[]` from
 * `<input webkitdirectory>` or drag and drop, and a FileSystemDirectoryHandle. The Node one lives in
 * nodeFolder.ts so that no browser-reachable module imports node:fs.
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

function missingFile(folderName: string, path: string): Error {
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

/** The first path segment when every path has one and it is the same for all, else null. */
function commonTopFolder(paths: string[]): string | null {
  let top: string | null = null;
  for (const path of paths) {
    const slash = path.indexOf('/');
    if (slash <= 0) return null;
    const first = path.slice(0, slash);
    if (top === null) top = first;
    else if (top !== first) return null;
  }
  return top;
}

/**
 * Files picked with `<input type="file" webkitdirectory>` (each has a `webkitRelativePath` such as
 * `flickr8k/Images/x.jpg`) or dropped loose (no relative path: the file name is the path). The folder the
 * user picked is every path's first segment: it becomes the folder's name and is stripped from the paths.
 */
export function fileListFolder(files: File[]): RangeFolder {
  const withPaths = files.map((file) => ({ file, path: normalizePath(file.webkitRelativePath || file.name) }));
  const top = commonTopFolder(withPaths.map((entry) => entry.path));
  const byPath = new Map<string, File>();
  for (const { file, path } of withPaths) {
    byPath.set(top === null ? path : path.slice(top.length + 1), file);
  }
  const get = (path: string): File => {
    const file = byPath.get(normalizePath(path));
    if (!file) throw missingFile(top ?? 'files', path);
    return file;
  };
  return {
    name: top ?? 'files',
    followsLinks: false,
    async list(): Promise<FolderEntry[]> {
      return [...byPath].map(([path, file]) => ({ path, bytes: file.size }));
    },
    async read(path: string): Promise<Uint8Array> {
      return new Uint8Array(await get(path).arrayBuffer());
    },
    async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
      return new Uint8Array(await get(path).slice(start, end).arrayBuffer());
    },
  };
}

/**
 * The parts of FileSystemDirectoryHandle used here. TypeScript's DOM lib only declares its async iterators
 * with the DOM.AsyncIterable lib, which this project does not load.
 */
interface DirectoryHandleLike {
  readonly kind: 'directory';
  readonly name: string;
  values(): AsyncIterable<DirectoryHandleLike | FileHandleLike>;
}
interface FileHandleLike {
  readonly kind: 'file';
  readonly name: string;
  getFile(): Promise<File>;
}

/**
 * A folder from `showDirectoryPicker()` or a dropped directory's handle, walked recursively. Folders whose
 * name starts with '.' (.git, .ipynb_checkpoints) are not entered: they hold no dataset and can be huge.
 */
export function directoryHandleFolder(handle: FileSystemDirectoryHandle): RangeFolder {
  const root = handle as unknown as DirectoryHandleLike;
  let files: Map<string, File> | null = null;

  async function walk(directory: DirectoryHandleLike, prefix: string, into: Map<string, File>): Promise<void> {
    for await (const child of directory.values()) {
      const path = prefix + child.name;
      if (child.kind === 'file') into.set(path, await child.getFile());
      else if (!child.name.startsWith('.')) await walk(child, path + '/', into);
    }
  }
  async function listed(): Promise<Map<string, File>> {
    if (files === null) {
      const found = new Map<string, File>();
      await walk(root, '', found);
      files = found;
    }
    return files;
  }
  async function get(path: string): Promise<File> {
    const file = (await listed()).get(normalizePath(path));
    if (!file) throw missingFile(root.name, path);
    return file;
  }
  return {
    name: root.name,
    followsLinks: false,
    async list(): Promise<FolderEntry[]> {
      return [...(await listed())].map(([path, file]) => ({ path, bytes: file.size }));
    },
    async read(path: string): Promise<Uint8Array> {
      return new Uint8Array(await (await get(path)).arrayBuffer());
    },
    async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
      return new Uint8Array(await (await get(path)).slice(start, end).arrayBuffer());
    },
  };
}
