/**
 * The page's storage (IndexedDB: the feature cache and the checkpoints) against the browser's quota: ask
 * for persistent storage (so the browser does not evict it under pressure), read how much is used, and turn
 * a quota error into one line with the sizes and a way out. A write that fails on the quota changes nothing
 * (IndexedDB aborts its transaction), so what was stored before stays readable.
 */
import { UserError } from '../../core/errors.ts';

export interface StorageUsage {
  usageBytes: number;
  quotaBytes: number;
  /** True when the browser granted persistent storage; null when it cannot tell. */
  persisted: boolean | null;
}

/** The storage ran out: what could not be written, its size, the usage and quota, and what to do. */
export class StorageFullError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'StorageFullError';
  }
}

/**
 * IndexedDB's quota error (a DOMException named QuotaExceededError: the write is larger than the space the
 * browser grants), Chromium's answers when the disk under its profile fills up during the write (measured on
 * a full disk: UnknownError, or "Failed to write blobs (IOError)" for a large value; or the database connection
 * closed under the page, "The connection was closed.", when its backing store failed on the full disk), and a
 * full disk in Node.
 */
export function isQuotaExceeded(error: unknown): boolean {
  const e = error as { name?: string; code?: string; inner?: unknown; cause?: unknown } | null;
  if (!e) return false;
  if (e.name === 'QuotaExceededError' || e.name === 'UnknownError' || e.code === 'ENOSPC' || e.code === 'EDQUOT') return true;
  // Chromium writing a large value as a blob on a full disk: "Failed to write blobs (IOError)".
  if (/\bIOError\b|quota|no space|connection was closed/i.test((error as { message?: string }).message ?? '')) return true;
  return e.cause !== undefined && e.cause !== error ? isQuotaExceeded(e.cause) : false;
}

function storageManager(): StorageManager | null {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  return storage && typeof storage.estimate === 'function' ? storage : null;
}

let persistence: Promise<boolean | null> | null = null;

/** Asks once per page for persistent storage; null where the browser has no such request. */
export function requestPersistentStorage(): Promise<boolean | null> {
  persistence ??= (async () => {
    const storage = storageManager();
    if (!storage || typeof storage.persist !== 'function') return null;
    try {
      return (await storage.persisted?.()) || (await storage.persist());
    } catch {
      return null;
    }
  })();
  return persistence;
}

/** How much this origin stores and may store; null outside a browser. */
export async function storageUsage(): Promise<StorageUsage | null> {
  const storage = storageManager();
  if (!storage) return null;
  try {
    // Bounded: the figures are for a message, and a message must not wait on a storage that has stopped answering.
    return await answerWithin(USAGE_ANSWER_MS, (async () => {
      const estimate = await storage.estimate();
      const persisted = typeof storage.persisted === 'function' ? await storage.persisted() : null;
      return { usageBytes: estimate.usage ?? 0, quotaBytes: estimate.quota ?? 0, persisted };
    })());
  } catch {
    return null;
  }
}

/** How long the usage figures may take before a message goes without them. */
const USAGE_ANSWER_MS = 10_000;
/**
 * How long one write (a batch of vectors, a checkpoint: milliseconds when storage works) may go unanswered
 * before it counts as failed. A browser whose profile disk is full can leave an IndexedDB write pending for
 * good (measured in Chromium on a full tmpfs: the extraction waited without end); the user then gets the
 * same message and way out as for a refused write instead of a page that waits forever.
 */
export const WRITE_ANSWER_MS = 60_000;

class NoAnswer extends Error {
  constructor(readonly waitedMs: number) {
    super(`no answer in ${waitedMs / 1000} s`);
    this.name = 'NoAnswer';
  }
}

function answerWithin<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new NoAnswer(ms)), ms);
  });
  return Promise.race([work, bound]).finally(() => clearTimeout(timer));
}

export function formatStorageBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

/** "uses 9.8 MiB of its 10.0 MiB quota" (or nothing where the browser does not say). */
export function describeUsage(usage: StorageUsage | null): string {
  return usage ? `uses ${formatStorageBytes(usage.usageBytes)} of its ${formatStorageBytes(usage.quotaBytes)} quota` : 'is full';
}

/**
 * Runs a write; a quota error becomes a StorageFullError saying what (`what`, `bytes`), the usage and the
 * way out (`remedy`). Other errors pass unchanged.
 */
/**
 * A read or an open of the browser's storage, bounded like a write: on a full profile disk Chromium can
 * leave these pending for good too. Unanswered, it fails with a StorageFullError naming `what`.
 */
export async function storageAnswer<T>(work: () => Promise<T>, what: string, answerMs = WRITE_ANSWER_MS): Promise<T> {
  try {
    return await answerWithin(answerMs, work());
  } catch (error) {
    const unanswered = error instanceof NoAnswer;
    if (!unanswered && !isQuotaExceeded(error)) throw error;
    const cause = unanswered
      ? `the browser's storage did not answer in ${error.waitedMs / 1000} s (its disk may be full)`
      : `the browser's storage failed (${(error as { name?: string }).name ?? 'Error'}: ${(error as Error).message}; its disk may be full)`;
    throw new StorageFullError(
      `${what}: ${cause}: this page's browser storage ${describeUsage(await storageUsage())}; free space on the disk or clear the feature cache (Features panel), then try again`,
    );
  }
}

export async function withinQuota<T>(write: () => Promise<T>, what: string, bytes: number, remedy: string, answerMs = WRITE_ANSWER_MS): Promise<T> {
  try {
    return await answerWithin(answerMs, write());
  } catch (error) {
    const unanswered = error instanceof NoAnswer;
    if (!unanswered && !isQuotaExceeded(error)) throw error;
    const usage = await storageUsage();
    const cause = unanswered
      ? `the browser's storage did not answer in ${error.waitedMs / 1000} s: its disk may be full`
      : `${(error as { name?: string }).name ?? 'Error'}: the browser's storage or its disk is full`;
    throw new StorageFullError(
      `${what} (${formatStorageBytes(bytes)}) could not be stored (${cause}): this page's browser storage ${describeUsage(usage)}; ${remedy}`,
    );
  }
}
