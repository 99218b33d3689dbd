/**
 * Smoothing for the loss chart: the exponential moving average TensorBoard draws, with its debiasing so the
 * first points are not pulled towards zero.
 */

/**
 * EMA with weight `alpha` on the past (0 = no smoothing, 0.99 = very smooth), debiased like TensorBoard:
 * smoothed[i] = ema[i] / (1 - alpha^(i+1)). Non-finite inputs (a skipped f16 step) are carried over: the
 * smoothed value at that index repeats the previous one (NaN if there is none yet).
 */
export function emaSmooth(values: ArrayLike<number>, alpha: number): number[] {
  if (!(alpha >= 0 && alpha < 1)) throw new RangeError(`EMA weight must be in [0, 1), got ${alpha}`);
  const out = new Array<number>(values.length);
  let ema = 0;
  let count = 0;
  let last = Number.NaN;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      ema = alpha * ema + (1 - alpha) * v;
      count++;
      last = alpha === 0 ? v : ema / (1 - Math.pow(alpha, count));
    }
    out[i] = last;
  }
  return out;
}

/** Incremental EMA for a series that only grows: feed new points, read the smoothed tail. */
export class RunningEma {
  private ema = 0;
  private count = 0;
  constructor(readonly alpha: number) {
    if (!(alpha >= 0 && alpha < 1)) throw new RangeError(`EMA weight must be in [0, 1), got ${alpha}`);
  }
  push(value: number): number {
    if (Number.isFinite(value)) {
      this.ema = this.alpha * this.ema + (1 - this.alpha) * value;
      this.count++;
    }
    return this.value;
  }
  get value(): number {
    if (this.count === 0) return Number.NaN;
    return this.alpha === 0 ? this.ema : this.ema / (1 - Math.pow(this.alpha, this.count));
  }
}
