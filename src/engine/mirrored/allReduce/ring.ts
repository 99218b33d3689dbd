/**
 * Ring all-reduce over one SharedArrayBuffer, Atomics for signalling (worker side).
 *
 * Dense part: the flat gradient is cut into N chunks; N-1 reduce-scatter steps (each replica sends one chunk
 * to its right neighbour, which adds it to its own), then N-1 all-gather steps (the fully reduced chunks go
 * round once more), so each replica sends 2(N-1)/N of the gradient. Every chunk is summed in one fixed
 * order and then copied, so all replicas end with the same bits.
 *
 * Sparse part (embedding rows): each replica writes its rows into its own segment, a barrier, then every
 * replica sums all segments in replica order 0..N-1. Segments alternate between two sets by call parity, so a
 * fast replica starting the next step cannot overwrite rows a slow one is still reading (it would first
 * need the slow one to pass the next barrier).
 *
 * Waits poll an abort word every 50 ms: when a peer dies the trainer sets it and survivors give up the step
 * instead of blocking forever. Blocking Atomics.wait is allowed in workers (not on a page's main thread).
 */
import type { GradientLayout, SparseRows } from './gradientLayout.ts';
import { sumSparseRows } from './gradientLayout.ts';

const abortWord = 0;
const barrierWord = 1;
const headerWords = 2;
const waitSliceMs = 50;

export class AllReduceAbortedError extends Error {
  override name = 'AllReduceAbortedError';
  constructor() {
    super('all-reduce aborted: a peer replica failed');
  }
}

interface RingGeometry {
  worldSize: number;
  chunkLength: number;
  controlWords: number;
  mailboxOffsetWords: number;
  mailboxWords: number;
  sparseOffsetWords: number;
  /** Words per replica per parity: per sparse variable, a count, rowCount indices and rowCount*width values. */
  sparseSegmentWords: number;
  totalWords: number;
}

function geometry(layout: GradientLayout, worldSize: number): RingGeometry {
  const chunkLength = Math.ceil(layout.denseLength / worldSize);
  const controlWords = headerWords + 2 * worldSize;
  const mailboxOffsetWords = controlWords;
  const mailboxWords = 2 * chunkLength;
  const sparseOffsetWords = mailboxOffsetWords + worldSize * mailboxWords;
  const sparseSegmentWords = layout.sparse.reduce((sum, s) => sum + 1 + s.rowCount + s.rowCount * s.width, 0);
  const totalWords = sparseOffsetWords + 2 * worldSize * sparseSegmentWords;
  return { worldSize, chunkLength, controlWords, mailboxOffsetWords, mailboxWords, sparseOffsetWords, sparseSegmentWords, totalWords };
}

/** Allocates the group's shared buffer (trainer side). */
export function createRingBuffer(layout: GradientLayout, worldSize: number): SharedArrayBuffer {
  return new SharedArrayBuffer(geometry(layout, worldSize).totalWords * 4);
}

/** Tells every replica blocked in the ring to give up the current step (callable from any thread). */
export function abortRing(shared: SharedArrayBuffer): void {
  const control = new Int32Array(shared);
  Atomics.store(control, abortWord, 1);
  const words = Math.min(control.length, 2 + 2 * 64);
  for (let i = 0; i < words; i++) Atomics.notify(control, i);
}

export interface RingResult {
  sparseSums: SparseRows[];
  bytesSent: number;
  sparseBytesSent: number;
}

export class RingAllReduce {
  private readonly geo: RingGeometry;
  private readonly control: Int32Array;
  private readonly floats: Float32Array;
  private messagesSent = 0;
  private messagesReceived = 0;
  private barriersPassed = 0;
  private calls = 0;

  constructor(
    shared: SharedArrayBuffer,
    private readonly layout: GradientLayout,
    private readonly rank: number,
    private readonly worldSize: number,
  ) {
    this.geo = geometry(layout, worldSize);
    if (shared.byteLength < this.geo.totalWords * 4) throw new Error('ring buffer too small for this model');
    this.control = new Int32Array(shared);
    this.floats = new Float32Array(shared);
  }

  /** Sums `dense` in place across the group and returns the summed sparse rows. */
  reduce(dense: Float32Array, sparse: readonly SparseRows[]): RingResult {
    const parity = this.calls++ % 2;
    const sparseSums = this.reduceSparse(sparse, parity);
    const sparseBytesSent = (this.worldSize - 1) * sparse.reduce((s, p) => s + 4 + p.indices.byteLength + p.rows.byteLength, 0);
    const denseBytesSent = this.reduceDense(dense);
    return { sparseSums, bytesSent: denseBytesSent + sparseBytesSent, sparseBytesSent };
  }

  private reduceDense(dense: Float32Array): number {
    const n = this.worldSize;
    if (n === 1 || dense.length === 0) return 0;
    const r = this.rank;
    const chunk = (c: number) => {
      const start = Math.min(c * this.geo.chunkLength, dense.length);
      return dense.subarray(start, Math.min(start + this.geo.chunkLength, dense.length));
    };
    let bytes = 0;
    for (let k = 0; k < n - 1; k++) {
      const outgoing = chunk((r - k + n) % n);
      this.send(outgoing);
      bytes += outgoing.byteLength;
      const target = chunk((r - k - 1 + 2 * n) % n);
      this.receive((incoming) => {
        for (let i = 0; i < target.length; i++) target[i] += incoming[i];
      });
    }
    for (let k = 0; k < n - 1; k++) {
      const outgoing = chunk((r + 1 - k + n) % n);
      this.send(outgoing);
      bytes += outgoing.byteLength;
      const target = chunk((r - k + n) % n);
      this.receive((incoming) => target.set(incoming.subarray(0, target.length)));
    }
    return bytes;
  }

  private reduceSparse(parts: readonly SparseRows[], parity: number): SparseRows[] {
    if (this.layout.sparse.length === 0) return [];
    if (this.worldSize === 1) return parts.map((p) => ({ indices: p.indices.slice(), rows: p.rows.slice() }));
    this.writeSegment(this.rank, parity, parts);
    this.barrier();
    const all: SparseRows[][] = [];
    for (let replica = 0; replica < this.worldSize; replica++) all.push(this.readSegment(replica, parity));
    return this.layout.sparse.map(({ width }, k) => sumSparseRows(all.map((segment) => segment[k]), width));
  }

  private segmentBase(replica: number, parity: number): number {
    return this.geo.sparseOffsetWords + (parity * this.worldSize + replica) * this.geo.sparseSegmentWords;
  }

  private writeSegment(replica: number, parity: number, parts: readonly SparseRows[]): void {
    let base = this.segmentBase(replica, parity);
    this.layout.sparse.forEach(({ rowCount, width }, k) => {
      const { indices, rows } = parts[k];
      this.control[base] = indices.length;
      this.control.set(indices, base + 1);
      this.floats.set(rows, base + 1 + rowCount);
      base += 1 + rowCount + rowCount * width;
    });
  }

  private readSegment(replica: number, parity: number): SparseRows[] {
    let base = this.segmentBase(replica, parity);
    return this.layout.sparse.map(({ rowCount, width }) => {
      const count = this.control[base];
      const indices = this.control.slice(base + 1, base + 1 + count);
      const rows = this.floats.slice(base + 1 + rowCount, base + 1 + rowCount + count * width);
      base += 1 + rowCount + rowCount * width;
      return { indices, rows };
    });
  }

  private seqWord(replica: number): number {
    return headerWords + replica;
  }

  private ackWord(replica: number): number {
    return headerWords + this.worldSize + replica;
  }

  private mailbox(replica: number, slot: number): Float32Array {
    const start = this.geo.mailboxOffsetWords + replica * this.geo.mailboxWords + slot * this.geo.chunkLength;
    return this.floats.subarray(start, start + this.geo.chunkLength);
  }

  /** Writes into the right neighbour's inbox; waits only while both of its slots are unread. */
  private send(data: Float32Array): void {
    const next = (this.rank + 1) % this.worldSize;
    const m = this.messagesSent++;
    if (m >= 2) this.waitAtLeast(this.ackWord(next), m - 1);
    this.mailbox(next, m % 2).set(data);
    Atomics.store(this.control, this.seqWord(next), m + 1);
    Atomics.notify(this.control, this.seqWord(next));
  }

  private receive(consume: (incoming: Float32Array) => void): void {
    const m = this.messagesReceived++;
    this.waitAtLeast(this.seqWord(this.rank), m + 1);
    consume(this.mailbox(this.rank, m % 2));
    Atomics.store(this.control, this.ackWord(this.rank), m + 1);
    Atomics.notify(this.control, this.ackWord(this.rank));
  }

  private barrier(): void {
    this.barriersPassed += 1;
    Atomics.add(this.control, barrierWord, 1);
    Atomics.notify(this.control, barrierWord);
    this.waitAtLeast(barrierWord, this.barriersPassed * this.worldSize);
  }

  private waitAtLeast(word: number, target: number): void {
    for (;;) {
      const current = Atomics.load(this.control, word);
      if (current >= target) return;
      if (Atomics.load(this.control, abortWord) !== 0) throw new AllReduceAbortedError();
      Atomics.wait(this.control, word, current, waitSliceMs);
    }
  }
}
