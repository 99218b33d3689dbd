/**
 * Features already in a store, without the network that made them: after a reload the studio shows what
 * the cache holds for the dataset loaded again (each image's bytes hashed, its vector looked up by content),
 * instead of "no features" for vectors it has.
 */
import { sha256Hex, type FeatureStore } from './cache.ts';
import type { ExtractImage } from './extract.ts';

export interface CachedFeatures {
  /** Vectors found, by image name. */
  features: Map<string, Float32Array>;
  /** Images the store has no vector for (or that could not be read). */
  missing: string[];
}

/** Looks every image up by the hash of its bytes, `batchSize` at a time. */
export async function readCachedFeatures(store: FeatureStore, images: readonly ExtractImage[], batchSize = 64): Promise<CachedFeatures> {
  const features = new Map<string, Float32Array>();
  const missing: string[] = [];
  for (let start = 0; start < images.length; start += batchSize) {
    const batch = images.slice(start, start + batchSize);
    const hashes = await Promise.all(
      batch.map(async (image) => {
        try {
          return await sha256Hex(await image.read());
        } catch {
          return null;
        }
      }),
    );
    const found = await store.getByHash(hashes.filter((hash): hash is string => hash !== null));
    batch.forEach((image, i) => {
      const vector = hashes[i] === null ? undefined : found.get(hashes[i] as string);
      if (vector) features.set(image.name, vector);
      else missing.push(image.name);
    });
  }
  return { features, missing };
}
