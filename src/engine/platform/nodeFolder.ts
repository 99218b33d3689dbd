/**
 * A Folder over a directory on disk, for the CLI and Node tests. Node only (imports node:fs): no module a
 * page or worker loads may import this file.
 */
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DatasetError } from '../../core/errors.ts';
import type { FolderEntry } from '../../core/data/types.ts';
import { normalizePath, type RangeFolder } from '../../core/data/folders.ts';

/**
 * Walks `absPath` recursively (symbolic links to files are followed; folders whose name starts with '.' are
 * not entered). Throws DatasetError when the path is missing or not a directory.
 */
export function nodeFolder(absPath: string): RangeFolder {
  const root = resolve(absPath);
  let entries: FolderEntry[] | null = null;

  async function walk(relative: string, into: FolderEntry[]): Promise<void> {
    const children = await readdir(join(root, relative), { withFileTypes: true });
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const path = relative === '' ? child.name : `${relative}/${child.name}`;
      if (child.isDirectory()) {
        if (!child.name.startsWith('.')) await walk(path, into);
      } else if (child.isFile()) {
        into.push({ path, bytes: (await stat(join(root, path))).size });
      } else if (child.isSymbolicLink()) {
        const target = await stat(join(root, path)).catch(() => null);
        if (target?.isFile()) into.push({ path, bytes: target.size });
      }
    }
  }
  const fullPath = (path: string): string => join(root, ...normalizePath(path).split('/'));

  return {
    name: basename(root),
    async list(): Promise<FolderEntry[]> {
      if (entries === null) {
        const info = await stat(root).catch(() => null);
        if (!info) throw new DatasetError(`folder not found: ${absPath}`, { file: absPath });
        if (!info.isDirectory()) throw new DatasetError(`not a folder: ${absPath}`, { file: absPath });
        const found: FolderEntry[] = [];
        await walk('', found);
        entries = found;
      }
      return entries;
    },
    async read(path: string): Promise<Uint8Array> {
      const buffer = await readFile(fullPath(path));
      return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    },
    async readRange(path: string, start: number, end: number): Promise<Uint8Array> {
      const handle = await open(fullPath(path), 'r');
      try {
        const size = (await handle.stat()).size;
        const from = Math.min(Math.max(0, start), size);
        const length = Math.max(0, Math.min(end, size) - from);
        const bytes = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(bytes, done, length - done, from + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return bytes.subarray(0, done);
      } finally {
        await handle.close();
      }
    },
  };
}
