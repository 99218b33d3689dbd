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

/** Reads gathered into one Blob read: at most this many files, */
const GROUP_FILES = 64;
/** of at most this many bytes together; a file larger than this is read alone. */
const GROUP_BYTES = 4 * 1024 * 1024;

interface PendingRead {
  file: File;
  resolve(bytes: Uint8Array): void;
  reject(error: unknown): void;
}

async function readAlone(read: PendingRead): Promise<void> {
  try {
    read.resolve(new Uint8Array(await read.file.arrayBuffer()));
  } catch (error) {
    read.reject(error);
  }
}

/**
 * Reads whole files, gathering the reads asked for in the same turn of the event loop (a batch of extraction,
 * the loader's concurrent checks) into one read of a Blob made of those files. Each read of a file is a round
 * trip to the browser's file store, whose fixed cost is most of reading a small file: on 8091 Flickr8K-sized
 * names of small images, one read per file costs twice the CPU time of reads of 64 files at once. Each file
 * gets its own copy of its bytes, so no caller holds the others' bytes alive. When a joint read fails (a
 * file changed or vanished since it was picked), each file is read alone, so the error is the one file's.
 */
function groupedReader(): (file: File) => Promise<Uint8Array> {
  let pending: PendingRead[] = [];
  async function readGroup(group: PendingRead[]): Promise<void> {
    if (group.length === 1) return readAlone(group[0]);
    let joined: ArrayBuffer;
    try {
      joined = await new Blob(group.map((read) => read.file)).arrayBuffer();
    } catch {
      await Promise.all(group.map(readAlone));
      return;
    }
    let offset = 0;
    for (const read of group) {
      read.resolve(new Uint8Array(joined.slice(offset, offset + read.file.size)));
      offset += read.file.size;
    }
  }
  function flush(): void {
    const reads = pending;
    pending = [];
    let group: PendingRead[] = [];
    let groupBytes = 0;
    for (const read of reads) {
      if (group.length === GROUP_FILES || (group.length > 0 && groupBytes + read.file.size > GROUP_BYTES)) {
        void readGroup(group);
        group = [];
        groupBytes = 0;
      }
      group.push(read);
      groupBytes += read.file.size;
    }
    if (group.length > 0) void readGroup(group);
  }
  return (file) =>
    new Promise<Uint8Array>((resolve, reject) => {
      pending.push({ file, resolve, reject });
      if (pending.length === 1) queueMicrotask(flush);
    });
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
  const readFile = groupedReader();
  return {
    name: top ?? 'files',
    followsLinks: false,
    async list(): Promise<FolderEntry[]> {
      return [...byPath].map(([path, file]) => ({ path, bytes: file.size }));
    },
    async read(path: string): Promise<Uint8Array> {
      return readFile(get(path));
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
  const readFile = groupedReader();

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
      return readFile(await get(path));
    },
    async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
      return new Uint8Array(await (await get(path)).slice(start, end).arrayBuffer());
    },
  };
}
