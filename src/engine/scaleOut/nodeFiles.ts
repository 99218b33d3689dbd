/**
 * Node side of the scale-out folders: train_ddp.py's text from beside this module (the one copy; the page
 * imports the same file with Vite's ?raw, trainDdpScriptPage.ts), and writing a whole folder so that it
 * appears complete or not at all. Node only (node:fs).
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { UserError } from '../../core/errors.ts';

export async function readTrainDdpScript(): Promise<string> {
  return readFile(new URL('./train_ddp.py', import.meta.url), 'utf8');
}

/**
 * Writes `files` as the folder `path`: into a hidden sibling first, renamed into place once every file is
 * written. An existing non-empty folder is refused (named in the message) unless `replace`, which swaps it
 * out only after the new one is complete.
 */
export async function writeFolderAtomically(path: string, files: Record<string, Uint8Array | string>, options: { replace?: boolean; shownAs?: string } = {}): Promise<void> {
  const shown = options.shownAs ?? path;
  const info = await stat(path).catch(() => null);
  if (info && !info.isDirectory()) throw new UserError(`${shown}: exists and is not a folder`, { file: shown });
  const occupied = info ? (await readdir(path)).length > 0 : false;
  if (occupied && !options.replace) throw new UserError(`${shown}: the folder exists and is not empty (choose another --out, or add --force to replace it)`, { file: shown });
  const parent = dirname(path);
  await mkdir(parent, { recursive: true });
  const temp = join(parent, `.${basename(path)}.tmp-${process.pid}`);
  await rm(temp, { recursive: true, force: true });
  try {
    for (const [name, value] of Object.entries(files)) {
      const target = join(temp, ...name.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, value);
    }
    if (info) {
      const old = join(parent, `.${basename(path)}.old-${process.pid}`);
      await rename(path, old);
      await rename(temp, path);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(temp, path);
    }
  } catch (error) {
    await rm(temp, { recursive: true, force: true });
    throw error;
  }
}
