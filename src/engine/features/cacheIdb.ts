/**
 * Browser side of the feature cache: IndexedDB through `idb`. One record per (backbone, weights, image
 * content), so the same picture under another name, or in another dataset, is never extracted twice.
 */
import { deleteDB, openDB, type DBSchema, type IDBPDatabase } from 'idb';
import { storageAnswer, withinQuota } from '../platform/storage.ts';
import type { FeatureIdentity } from '../../model/backbones/types.ts';
import type { FeatureRecord, FeatureStore } from './cache.ts';

export const FEATURE_DB_NAME = 'caption-studio-features';

interface StoredFeature {
  /** `${backboneId}|${weightsId}|${sha256}` */
  key: string;
  /** `${backboneId}|${weightsId}` (+ `|nearest`): the index used to list or clear one identity. */
  identityKey: string;
  sha256: string;
  /** Every name this content was extracted under. */
  names: string[];
  features: Float32Array;
}

interface FeatureDb extends DBSchema {
  features: { key: string; value: StoredFeature; indexes: { byIdentity: string } };
}

export function identityKey(identity: FeatureIdentity): string {
  const resize = (identity.resize ?? 'bilinear') === 'bilinear' ? '' : `|${identity.resize}`;
  return `${identity.backboneId}|${identity.weightsId}${resize}`;
}

export class IdbFeatureStore implements FeatureStore {
  private constructor(
    readonly identity: FeatureIdentity,
    private readonly db: IDBPDatabase<FeatureDb>,
  ) {}

  static async open(identity: FeatureIdentity, dbName = FEATURE_DB_NAME): Promise<IdbFeatureStore> {
    const db = await storageAnswer(
      () =>
        openDB<FeatureDb>(dbName, 1, {
          upgrade(database) {
            const store = database.createObjectStore('features', { keyPath: 'key' });
            store.createIndex('byIdentity', 'identityKey');
          },
        }),
      'opening the feature cache',
    );
    return new IdbFeatureStore(identity, db);
  }

  private key(sha256: string): string {
    return `${identityKey(this.identity)}|${sha256}`;
  }

  async getByHash(sha256: string[]): Promise<Map<string, Float32Array>> {
    const values = await storageAnswer(async () => {
      const tx = this.db.transaction('features', 'readonly');
      const read = await Promise.all(sha256.map((hash) => tx.store.get(this.key(hash))));
      await tx.done;
      return read;
    }, 'reading the feature cache');
    const found = new Map<string, Float32Array>();
    values.forEach((value, i) => {
      if (value) found.set(sha256[i], value.features);
    });
    return found;
  }

  async names(): Promise<Map<string, string>> {
    const all = await storageAnswer(() => this.db.getAllFromIndex('features', 'byIdentity', identityKey(this.identity)), 'reading the feature cache');
    const byName = new Map<string, string>();
    for (const value of all) for (const name of value.names) byName.set(name, value.sha256);
    return byName;
  }

  /**
   * Stores a batch in one transaction: on a full storage nothing of the batch is kept, every earlier batch
   * is, and the error says the sizes and the way out.
   */
  async put(records: FeatureRecord[]): Promise<void> {
    const bytes = records.reduce((sum, r) => sum + r.features.byteLength, 0);
    await withinQuota(
      async () => {
        const tx = this.db.transaction('features', 'readwrite');
        // The commit's own error (QuotaExceededError) is what tells; an aborted put only says "aborted".
        const done = tx.done.catch(() => undefined);
        try {
          // One read of each key, all asked at once, then every write: a round trip to the browser's database
          // per request, waited for one by one, cost more than the requests themselves.
          const byKey = new Map<string, { sha256: string; names: Set<string>; features: Float32Array }>();
          for (const r of records) {
            const key = this.key(r.sha256);
            const entry = byKey.get(key);
            if (entry) entry.names.add(r.name);
            else byKey.set(key, { sha256: r.sha256, names: new Set([r.name]), features: r.features });
          }
          const keys = [...byKey.keys()];
          const previous = await Promise.all(keys.map((key) => tx.store.get(key)));
          const writes = keys.map((key, i) => {
            const entry = byKey.get(key)!;
            const names = Array.from(new Set([...(previous[i]?.names ?? []), ...entry.names]));
            return tx.store.put({ key, identityKey: identityKey(this.identity), sha256: entry.sha256, names, features: entry.features });
          });
          await Promise.all([...writes, tx.done]);
        } catch (error) {
          await done;
          throw tx.error ?? error;
        }
      },
      `the feature cache: ${records.length} vectors of ${this.identity.featureDim} numbers`,
      bytes,
      'the features stored before are kept (extraction resumes from them); clear the feature cache (Features panel)' +
        (this.identity.featureDim > 1024 ? ` or extract with MobileNet (1 KiB an image instead of ${(this.identity.featureDim * 4) / 1024} KiB)` : ''),
    );
  }

  /** Number of cached vectors of this identity (for the Features panel). */
  async count(): Promise<number> {
    return this.db.countFromIndex('features', 'byIdentity', identityKey(this.identity));
  }

  /** Deletes every vector of this identity. */
  async clear(): Promise<void> {
    const tx = this.db.transaction('features', 'readwrite');
    for (const key of await tx.store.index('byIdentity').getAllKeys(identityKey(this.identity))) await tx.store.delete(key);
    await tx.done;
  }

  /** Deletes the whole feature cache (every backbone and weights): the way out of a full storage. */
  static async deleteAll(dbName = FEATURE_DB_NAME): Promise<void> {
    await deleteDB(dbName);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
