/**
 * A checkpoint as a folder in Node. Saving writes `<dir>.tmp-<pid>`, moves the old folder aside, renames the
 * new one into place, then deletes the old: at every instant either the old or the new folder is complete
 * (after a crash between the renames, `load` finds the old one under `<dir>.old`).
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { toBytes, type CheckpointFiles, type CheckpointStore } from './checkpoint.ts';
import { pathExists } from '../platform/nodeFs.ts';

export class NodeCheckpointStore implements CheckpointStore {
  constructor(readonly location: string) {}

  async save(files: CheckpointFiles): Promise<void> {
    const temp = `${this.location}.tmp-${process.pid}`;
    const old = `${this.location}.old`;
    await rm(temp, { recursive: true, force: true });
    await mkdir(temp, { recursive: true });
    for (const [name, value] of Object.entries(files)) {
      await mkdir(dirname(join(temp, name)), { recursive: true });
      await writeFile(join(temp, name), toBytes(value));
    }
    await mkdir(dirname(this.location), { recursive: true });
    await rm(old, { recursive: true, force: true });
    if (await pathExists(this.location)) await rename(this.location, old);
    await rename(temp, this.location);
    await rm(old, { recursive: true, force: true });
  }

  async load(): Promise<Record<string, Uint8Array> | null> {
    for (const dir of [this.location, `${this.location}.old`]) {
      if (!(await pathExists(join(dir, 'model.json')))) continue;
      const files: Record<string, Uint8Array> = {};
      for (const name of await readdir(dir)) files[name] = new Uint8Array(await readFile(join(dir, name)));
      return files;
    }
    return null;
  }
}
