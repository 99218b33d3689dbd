/**
 * withinQuota, the one door of the feature cache's and the checkpoints' writes: a refused write and a write
 * left unanswered both become one message with the size and the way out; any other error passes unchanged.
 * (The real full disk is provoked in Chromium by tests/e2e/storageQuota.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { StorageFullError, storageAnswer, withinQuota } from '../../../../src/engine/platform/storage.ts';

const remedy = 'clear the feature cache (Features panel)';

describe('withinQuota', () => {
  it('passes a write that answers', async () => {
    await expect(withinQuota(async () => 7, 'the feature cache', 2048, remedy)).resolves.toBe(7);
  });

  it('turns a quota refusal into the message with the size and the way out', async () => {
    const refused = () => Promise.reject(Object.assign(new Error('quota'), { name: 'QuotaExceededError' }));
    const error = await withinQuota(refused, 'the feature cache: 2 vectors', 2048, remedy).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageFullError);
    expect((error as Error).message).toBe(
      "the feature cache: 2 vectors (2.0 KiB) could not be stored (QuotaExceededError: the browser's storage or its disk is full): this page's browser storage is full; clear the feature cache (Features panel)",
    );
  });

  it('counts a write left without an answer as failed, with the same way out, instead of waiting for good', async () => {
    const pending = () => new Promise<never>(() => undefined);
    const error = await withinQuota(pending, 'a checkpoint', 4096, remedy, 50).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageFullError);
    expect((error as Error).message).toContain("could not be stored (the browser's storage did not answer in 0.05 s: its disk may be full)");
    expect((error as Error).message).toContain(remedy);
  });

  it('lets any other error through unchanged', async () => {
    const broken = new TypeError('not a storage problem');
    await expect(withinQuota(() => Promise.reject(broken), 'x', 1, remedy)).rejects.toBe(broken);
  });
});

describe('storageAnswer', () => {
  it('passes an answer, and names what went unanswered with the way out', async () => {
    await expect(storageAnswer(async () => 'db', 'opening the feature cache')).resolves.toBe('db');
    const error = await storageAnswer(() => new Promise<never>(() => undefined), 'opening the feature cache', 50).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageFullError);
    expect((error as Error).message).toMatch(/^opening the feature cache: the browser's storage did not answer in 0\.05 s \(its disk may be full\): .*clear the feature cache/);
  });
});

describe('a connection closed under the page', () => {
  it('is a storage failure for a write and for a read (Chromium closes IndexedDB when its disk fills)', async () => {
    const closed = () => Promise.reject(Object.assign(new Error('The connection was closed.'), { name: 'AbortError' }));
    const write = await withinQuota(closed, 'the feature cache: 8 vectors', 8192, remedy).catch((e: unknown) => e);
    expect(write).toBeInstanceOf(StorageFullError);
    expect((write as Error).message).toContain("(AbortError: the browser's storage or its disk is full)");
    const read = await storageAnswer(closed, 'reading the feature cache').catch((e: unknown) => e);
    expect(read).toBeInstanceOf(StorageFullError);
    expect((read as Error).message).toMatch(/^reading the feature cache: the browser's storage failed \(AbortError: The connection was closed\.; its disk may be full\)/);
  });
});
