/**
 * Splitting a global batch into one contiguous shard per replica with near-equal token counts (the work of a
 * step grows with tokens, not examples, so this balances replicas better than equal example counts).
 */

export interface ShardRange {
  start: number;
  end: number;
  tokenCount: number;
}

/**
 * @param exampleTokens real tokens of each example, in batch order
 * @returns `shardCount` contiguous ranges covering the batch; a range may be empty when examples run out
 */
export function shardByTokens(exampleTokens: readonly number[], shardCount: number): ShardRange[] {
  if (shardCount < 1) throw new Error('shardCount must be at least 1');
  const cumulative = [0];
  for (const tokens of exampleTokens) cumulative.push(cumulative[cumulative.length - 1] + tokens);
  const total = cumulative[cumulative.length - 1];
  const boundaries = [0];
  for (let k = 1; k < shardCount; k++) {
    const target = (total * k) / shardCount;
    let best = boundaries[k - 1];
    for (let i = best; i <= exampleTokens.length; i++) {
      if (Math.abs(cumulative[i] - target) < Math.abs(cumulative[best] - target)) best = i;
      if (cumulative[i] > target) break;
    }
    boundaries.push(best);
  }
  boundaries.push(exampleTokens.length);
  const ranges: ShardRange[] = [];
  for (let k = 0; k < shardCount; k++) {
    const start = boundaries[k];
    const end = boundaries[k + 1];
    ranges.push({ start, end, tokenCount: cumulative[end] - cumulative[start] });
  }
  return ranges;
}
