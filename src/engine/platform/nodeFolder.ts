/**
 * A Folder over a directory on disk, for the CLI and Node tests. Node only (imports node:fs): no module a
 * page or worker loads may import this file.
 */
import { open, readFile, readdir, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { DatasetError } from '../../core/errors.ts';
import type { FolderEntry, Problem } from '../../core/data/types.ts';
import { normalizePath, type RangeFolder } from '../../core/data/folders.ts';

/**
 * Walks `absPath` recursively; folders whose name starts with '.' are not entered. Symbolic links are followed,
 * to files and to folders alike (people keep one copy of a 1 GB image folder and link `Images` to it). A link
 * to a folder that contains it (a loop) is reported once and not walked; a dangling link is reported and
 * skipped (Folder.listProblems). Throws DatasetError when the path is missing or not a directory.
 */
export function nodeFolder(absPath: string): RangeFolder {
  const root = resolve(absPath);
  let entries: FolderEntry[] | null = null;
  const problems: Problem[] = [];

  /** `ancestors`: real paths of the folders from the root down to this one, to tell a loop from a link. */
  async function walk(relative: string, ancestors: string[], into: FolderEntry[]): Promise<void> {
    const children = await readdir(join(root, relative), { withFileTypes: true });
    children.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const path = relative === '' ? child.name : `${relative}/${child.name}`;
      if (child.name.startsWith('.') && !child.isFile()) continue;
      if (child.isFile()) {
        into.push({ path, bytes: (await stat(join(root, path))).size });
      } else if (child.isDirectory()) {
        await walk(path, [...ancestors, await realpath(join(root, path))], into);
      } else if (child.isSymbolicLink()) {
        const target = await stat(join(root, path)).catch(() => null);
        if (target === null) {
          problems.push({ file: path, code: 'link-dangling', message: `${path} is a symbolic link to something that does not exist; skipped` });
        } else if (target.isFile()) {
          into.push({ path, bytes: target.size });
        } else if (target.isDirectory()) {
          const real = await realpath(join(root, path));
          if (ancestors.includes(real)) {
            problems.push({ file: path, code: 'link-loop', message: `${path} is a symbolic link to a folder that contains it (${real}); not followed` });
          } else {
            await walk(path, [...ancestors, real], into);
          }
        }
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
        problems.length = 0;
        await walk('', [await realpath(root)], found);
        entries = found;
      }
      return entries;
    },
    listProblems: () => [...problems],
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
