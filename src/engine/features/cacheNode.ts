/**
 * Node side of the feature cache: the feature file (format in featureCache.ts). Node only (node:fs).
 */
import type { FeatureIdentity } from '../../model/backbones/types.ts';
import { open, readFile, rename, truncate } from 'node:fs/promises';
import {
  FeatureFileError,
  MemoryFeatureStore,
  decodeFeatureFile,
  describeIdentity,
  encodeHeader,
  encodeRecords,
  makeHeader,
  sameIdentity,
  type FeatureFileContents,
  type FeatureRecord,
  type FeatureStore,
} from './cache.ts';
import { pathExists } from '../platform/nodeFs.ts';

/** Reads a whole feature file (what `train --features <file>` consumes). */
export async function readFeatureFile(path: string): Promise<FeatureFileContents> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new FeatureFileError(`cannot read feature file ${path}: ${(error as Error).message}`, 'unreadable');
  }
  const { validBytes: _validBytes, ...contents } = decodeFeatureFile(bytes, path);
  return contents;
}

/**
 * An append-only feature file used as the cache of one extraction identity. Opening an existing file of the
 * same identity resumes it; a different identity is refused unless `replace` is set.
 */
export class NodeFeatureFileStore implements FeatureStore {
  /** The records in memory; the file only ever grows by appends after them. */
  private readonly index: MemoryFeatureStore;

  private constructor(
    readonly path: string,
    readonly identity: FeatureIdentity,
  ) {
    this.index = new MemoryFeatureStore(identity);
  }

  /** How many records the file held when opened (resume information). */
  resumedRecords = 0;

  static async open(path: string, identity: FeatureIdentity, options: { replace?: boolean } = {}): Promise<NodeFeatureFileStore> {
    if (await pathExists(path)) {
      const bytes = await readFile(path);
      if (bytes.length === 0) return NodeFeatureFileStore.create(path, identity);
      // Throws for anything that is not a feature file: --force never overwrites, say, a captions file.
      const contents = decodeFeatureFile(bytes, path);
      if (options.replace) return NodeFeatureFileStore.create(path, identity);
      if (!sameIdentity(contents, identity)) {
        throw new FeatureFileError(
          `${path} holds features of ${describeIdentity(contents)}, not ${describeIdentity(identity)}; ` +
            'choose another output file or replace it (CLI: --force)',
          'identity-mismatch',
        );
      }
      if (contents.truncatedBytes > 0) await truncate(path, contents.validBytes);
      const store = new NodeFeatureFileStore(path, identity);
      await store.index.put(
        [...contents.features].map(([name, features]) => ({ name, sha256: contents.hashes.get(name)!, features })),
      );
      store.resumedRecords = contents.features.size;
      return store;
    }
    return NodeFeatureFileStore.create(path, identity);
  }

  private static async create(path: string, identity: FeatureIdentity): Promise<NodeFeatureFileStore> {
    // Write the header to a temporary name first so a crash never leaves a header-less file behind.
    const temporary = `${path}.tmp-${process.pid}`;
    const handle = await open(temporary, 'w').catch((error: Error) => {
      throw new FeatureFileError(`cannot write feature file ${path}: ${error.message}`, 'unwritable');
    });
    try {
      await handle.write(encodeHeader(makeHeader(identity)));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
    return new NodeFeatureFileStore(path, identity);
  }

  getByHash(sha256: string[]): Promise<Map<string, Float32Array>> {
    return this.index.getByHash(sha256);
  }

  names(): Promise<Map<string, string>> {
    return this.index.names();
  }

  async put(records: FeatureRecord[]): Promise<void> {
    if (records.length === 0) return;
    const handle = await open(this.path, 'a');
    try {
      await handle.write(encodeRecords(records, this.identity.featureDim));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await this.index.put(records);
  }

  async close(): Promise<void> {}
}
