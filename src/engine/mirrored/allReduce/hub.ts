/**
 * All-reduce through the page (or Node main thread) with transferred buffers, for pages that are not
 * cross-origin isolated (no SharedArrayBuffer). Each replica transfers its gradient sums to the hub; the hub
 * sums them in replica order 0..N-1 (one fixed order, so every replica receives the same bits) and transfers
 * a copy of the sum back to each replica.
 */
import type { SparseRowsWire } from '../../../protocol/replica.ts';
import { sumSparseRows } from './gradientLayout.ts';

export interface HubContribution {
  dense: Float32Array;
  sparse: SparseRowsWire[];
}

/** Sums contributions given in replica order. `sparseWidths` gives the row width of each sparse variable. */
export function reduceOnHub(contributions: readonly HubContribution[], sparseWidths: readonly number[]): HubContribution {
  const [first, ...rest] = contributions;
  const dense = first.dense.slice();
  for (const { dense: other } of rest) {
    if (other.length !== dense.length) throw new Error(`gradient length mismatch: ${other.length} vs ${dense.length}`);
    for (let i = 0; i < dense.length; i++) dense[i] += other[i];
  }
  const sparse = sparseWidths.map((width, k) => sumSparseRows(contributions.map((c) => c.sparse[k]), width));
  return { dense, sparse };
}

/** Collects one step's contributions from every replica, then answers each. */
export class HubRound {
  private readonly contributions: (HubContribution | undefined)[];
  private received = 0;

  constructor(
    readonly step: number,
    private readonly worldSize: number,
    private readonly sparseWidths: readonly number[],
  ) {
    this.contributions = new Array(worldSize).fill(undefined);
  }

  /** Returns the reduced result once the last replica has contributed, else null. */
  add(rank: number, contribution: HubContribution): HubContribution | null {
    if (this.contributions[rank]) throw new Error(`replica ${rank} contributed twice to step ${this.step}`);
    this.contributions[rank] = contribution;
    this.received += 1;
    if (this.received < this.worldSize) return null;
    return reduceOnHub(this.contributions as HubContribution[], this.sparseWidths);
  }
}
