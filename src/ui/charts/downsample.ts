/**
 * Downsampling long series for charts: a run of thousands of steps is drawn with a few hundred points, so
 * recharts re-renders in a frame however long the run gets. Pure functions (no DOM), unit-tested in Node.
 */

export interface XY {
  x: number;
  y: number;
}

/**
 * Largest-Triangle-Three-Buckets (Steinarsson 2013): keeps the points that shape the line (peaks, drops),
 * unlike taking every n-th point, which can miss a loss spike entirely.
 * Returns the indices of the kept points (first and last always kept), in increasing order, so callers can
 * pick matching values from parallel columns (raw and smoothed loss share the indices).
 */
export function lttbIndices(xs: ArrayLike<number>, ys: ArrayLike<number>, threshold: number): number[] {
  const n = Math.min(xs.length, ys.length);
  if (threshold >= n || threshold <= 2) {
    if (threshold <= 2 && n > 2) return threshold <= 0 ? [] : threshold === 1 ? [n - 1] : [0, n - 1];
    return Array.from({ length: n }, (_, i) => i);
  }
  const kept: number[] = [0];
  // Buckets between the fixed first and last points.
  const bucketSize = (n - 2) / (threshold - 2);
  let a = 0;
  for (let bucket = 0; bucket < threshold - 2; bucket++) {
    // The average of the next bucket is the third corner of the triangle.
    const nextStart = Math.floor((bucket + 1) * bucketSize) + 1;
    const nextEnd = Math.min(Math.floor((bucket + 2) * bucketSize) + 1, n);
    let avgX = 0;
    let avgY = 0;
    const nextCount = Math.max(nextEnd - nextStart, 1);
    for (let j = nextStart; j < nextEnd; j++) {
      avgX += xs[j];
      avgY += ys[j];
    }
    if (nextEnd <= nextStart) {
      avgX = xs[n - 1];
      avgY = ys[n - 1];
    } else {
      avgX /= nextCount;
      avgY /= nextCount;
    }
    const start = Math.floor(bucket * bucketSize) + 1;
    const end = Math.floor((bucket + 1) * bucketSize) + 1;
    let maxArea = -1;
    let chosen = start;
    for (let j = start; j < end; j++) {
      const area = Math.abs((xs[a] - avgX) * (ys[j] - ys[a]) - (xs[a] - xs[j]) * (avgY - ys[a]));
      // NaN y (a skipped step) never wins a bucket unless the whole bucket is NaN.
      if (area > maxArea) {
        maxArea = area;
        chosen = j;
      }
    }
    kept.push(chosen);
    a = chosen;
  }
  kept.push(n - 1);
  return kept;
}

/** LTTB over points; returns at most `threshold` points. */
export function lttb(points: readonly XY[], threshold: number): XY[] {
  const xs = points.map((p) => p.x);
  const ys = points.map((p) => p.y);
  return lttbIndices(xs, ys, threshold).map((i) => points[i]);
}

/**
 * Min/max buckets: each bucket of the series keeps its lowest and highest point (in x order), so the
 * envelope of a noisy series survives exactly. Used for the throughput chart, where extremes matter.
 * Returns indices in increasing order, at most 2 × buckets.
 */
export function minMaxIndices(ys: ArrayLike<number>, buckets: number): number[] {
  const n = ys.length;
  if (buckets <= 0 || n === 0) return [];
  if (n <= buckets * 2) return Array.from({ length: n }, (_, i) => i);
  const kept: number[] = [];
  for (let b = 0; b < buckets; b++) {
    const start = Math.floor((b * n) / buckets);
    const end = Math.floor(((b + 1) * n) / buckets);
    let minI = start;
    let maxI = start;
    for (let j = start; j < end; j++) {
      if (ys[j] < ys[minI]) minI = j;
      if (ys[j] > ys[maxI]) maxI = j;
    }
    if (minI === maxI) kept.push(minI);
    else kept.push(Math.min(minI, maxI), Math.max(minI, maxI));
  }
  return kept;
}
