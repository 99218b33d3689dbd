/**
 * Folders the browser hands the page: a `File[]` from `<input webkitdirectory>` or drag and drop, and a
 * FileSystemDirectoryHandle. They need DOM types, so they live here rather than in core.
 */
import { missingFile, normalizePath, type RangeFolder } from '../../core/data/folders.ts';
import type { FolderEntry } from '../../core/data/types.ts';

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
export function directoryHandleFolder(handle: FileSystemDirectoryHandle): RangeFolder & { readonly handle: FileSystemDirectoryHandle } {
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
    // Kept so the page can ask for the folder again after a reload (IndexedDB stores handles).
    handle,
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
