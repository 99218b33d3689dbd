/**
 * What must agree across mirrored replicas, checked after the fact: weight checksums, each step's
 * mixed-precision outcome (all replicas apply the same reduced gradients, so all skip or none does), and the
 * kernels each replica installed. Pure functions over per-rank values and the replicas' stable ids; a
 * disagreement comes back as the warning the trainer shows, naming the replicas that differ from rank 0.
 */
import type { ReplicaKernelChoice } from '../../protocol/replica.ts';
import type { StepOutcome } from '../../model/replicaModel.ts';

export interface Disagreement {
  message: string;
  /** Set when exactly one replica differs. */
  replica?: number;
}

/** Ranks whose value differs from rank 0's, by `same`, mapped to replica ids. */
function oddReplicas<T>(values: T[], ids: number[], same: (a: T, b: T) => boolean): number[] {
  return values.flatMap((value, rank) => (rank > 0 && !same(value, values[0]) ? [ids[rank]] : []));
}

function disagreement(odd: number[], describe: (list: string) => string): Disagreement | null {
  if (odd.length === 0) return null;
  return { message: describe(odd.join(', ')), ...(odd.length === 1 ? { replica: odd[0] } : {}) };
}

export function checksumDisagreement(step: number, checksums: string[], ids: number[]): Disagreement | null {
  const odd = oddReplicas(checksums, ids, (a, b) => a === b);
  return disagreement(odd, (list) => `Replicas are no longer identical after step ${step}: replica ${list} differ from replica ${ids[0]}.`);
}

function describeOutcome(outcome: StepOutcome | undefined): string {
  if (!outcome) return 'no loss-scale outcome (float32)';
  return `${outcome.skipped ? 'skipped' : 'applied'} at loss scale ${outcome.lossScale}`;
}

/** Mixed precision: every replica saw the same reduced gradients, so each must skip (or apply) alike. */
export function outcomeDisagreement(step: number, outcomes: (StepOutcome | undefined)[], ids: number[]): Disagreement | null {
  const same = (a: StepOutcome | undefined, b: StepOutcome | undefined) =>
    a === b || (a !== undefined && b !== undefined && a.skipped === b.skipped && a.lossScale === b.lossScale);
  const odd = oddReplicas(outcomes, ids, same);
  return disagreement(odd, (list) => {
    const details = odd.map((id) => `replica ${id}: ${describeOutcome(outcomes[ids.indexOf(id)])}`).join('; ');
    return `Replicas disagree on step ${step}'s loss-scale outcome: replica ${ids[0]} ${describeOutcome(outcomes[0])}, but ${details} (replica ${list} will diverge).`;
  });
}

/** Replicas that train on other kernels or another precision than rank 0 (e.g. an adapter without shader-f16). */
export function kernelDisagreement(choices: (ReplicaKernelChoice | undefined)[], ids: number[]): Disagreement | null {
  const label = (c: ReplicaKernelChoice | undefined) => (c ? `${c.kernels}, ${c.precision}` : 'unknown kernels');
  const odd = oddReplicas(choices, ids, (a, b) => label(a) === label(b));
  return disagreement(odd, (list) => {
    const details = odd.map((id) => `replica ${id}: ${label(choices[ids.indexOf(id)])}`).join('; ');
    return `Replicas train on different kernels: replica ${ids[0]}: ${label(choices[0])}; ${details}. Replica ${list} will not stay identical.`;
  });
}
