/**
 * Precision policy and dynamic loss scaling, with the semantics of Keras' mixed precision:
 * variables and optimizer state stay float32; under `mixed_float16` the heavy matmuls run in f16 WGSL
 * kernels (src/gpu/kernels) and the loss is multiplied by a scale so small f16 gradients do not flush to zero.
 * LossScaler follows Keras' LossScaleOptimizer (dynamic): start at 2^15; a step with any non-finite gradient
 * is skipped and the scale halved (never below 1, as TF's DynamicLossScale); after 2000 consecutive finite
 * steps the scale doubles. No NaN or Inf ever reaches the weights because a skipped step applies nothing.
 */
import * as tf from '@tensorflow/tfjs';
/** Keras' policy names: all float32, or f16 compute with float32 variables. */
export type Precision = 'float32' | 'mixed_float16';

export interface ResolvedKernels {
  precision: Precision;
  /** True: the studio's fused WGSL kernels; false: stock tfjs ops. */
  fused: boolean;
  /** Why a requested setting was refused (fused kernels off webgpu, f16 without shader-f16 or fused kernels). */
  fallbackReason?: string;
}

/**
 * What a run gets from what it asked for and what the backend offers. Fused kernels need webgpu;
 * mixed_float16 needs the fused kernels (stock tfjs ops have no f16: tfjs has no float16 dtype), hence
 * webgpu, and an adapter with shader-f16. Anything refused falls back to float32 / stock ops and says why.
 */
export function resolveKernels(
  requested: { precision: Precision; fusedKernels: boolean },
  backend: string,
  shaderF16: boolean,
): ResolvedKernels {
  const reasons: string[] = [];
  const fused = requested.fusedKernels && backend === 'webgpu';
  if (requested.fusedKernels && !fused) reasons.push(`fused kernels need the webgpu backend; running stock tfjs ops on ${backend}`);
  let precision = requested.precision;
  if (precision === 'mixed_float16') {
    if (backend !== 'webgpu') reasons.push(`mixed_float16 needs the webgpu backend; running float32 on ${backend}`);
    else if (!requested.fusedKernels) reasons.push('mixed_float16 runs in the fused WGSL kernels (stock tfjs ops have no f16); running float32');
    else if (!shaderF16) reasons.push('this WebGPU adapter does not offer shader-f16; running float32');
    if (!fused || !shaderF16) precision = 'float32';
  }
  return { precision, fused, ...(reasons.length ? { fallbackReason: reasons.join('; ') } : {}) };
}

export type LossScaleEvent =
  | { type: 'stepSkipped'; step: number; scaleBefore: number; scaleAfter: number }
  | { type: 'scaleGrew'; step: number; scaleBefore: number; scaleAfter: number };

export interface LossScalerOptions {
  /** Keras default 2^15. */
  initialScale?: number;
  /** Consecutive finite steps before the scale doubles (Keras default 2000). */
  growthSteps?: number;
  /** Floor for the scale (TF's DynamicLossScale keeps it >= 1). */
  minScale?: number;
}

export interface LossScalerState {
  scale: number;
  goodSteps: number;
  step: number;
  skippedSteps: number;
}

export interface LossScaleUpdate {
  /** True when the step must not be applied. */
  skipped: boolean;
  /** The scale to use for the next step. */
  scale: number;
  event?: LossScaleEvent;
}

export class LossScaler {
  private state: LossScalerState;
  private readonly growthSteps: number;
  private readonly minScale: number;
  private readonly listeners = new Set<(event: LossScaleEvent) => void>();

  constructor(options: LossScalerOptions = {}) {
    this.growthSteps = options.growthSteps ?? 2000;
    this.minScale = options.minScale ?? 1;
    this.state = { scale: options.initialScale ?? 2 ** 15, goodSteps: 0, step: 0, skippedSteps: 0 };
  }

  get scale(): number {
    return this.state.scale;
  }

  get goodSteps(): number {
    return this.state.goodSteps;
  }

  get skippedSteps(): number {
    return this.state.skippedSteps;
  }

  on(listener: (event: LossScaleEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records one step's outcome: were all (scaled) gradients finite? */
  update(gradientsFinite: boolean): LossScaleUpdate {
    const s = this.state;
    s.step += 1;
    const scaleBefore = s.scale;
    let event: LossScaleEvent | undefined;
    if (!gradientsFinite) {
      s.scale = Math.max(s.scale / 2, this.minScale);
      s.goodSteps = 0;
      s.skippedSteps += 1;
      event = { type: 'stepSkipped', step: s.step, scaleBefore, scaleAfter: s.scale };
    } else {
      s.goodSteps += 1;
      if (s.goodSteps >= this.growthSteps) {
        const grown = s.scale * 2;
        // Keras only grows while the doubled scale is itself finite.
        if (Number.isFinite(grown)) s.scale = grown;
        s.goodSteps = 0;
        event = { type: 'scaleGrew', step: s.step, scaleBefore, scaleAfter: s.scale };
      }
    }
    if (event) for (const listener of this.listeners) listener(event);
    return { skipped: !gradientsFinite, scale: s.scale, event };
  }

  toJSON(): LossScalerState {
    return { ...this.state };
  }

  restore(state: LossScalerState): void {
    this.state = { ...state };
  }
}

/**
 * A replica's step counters as one f32 array (the last array of its state): [adamStep], or with a loss
 * scaler [adamStep, scale, goodSteps, skippedSteps, scalerStep]. Exact in f32: the scale is a power of two
 * and the counts stay below 2^24.
 */
export function stepCounters(adamStep: number, scaler: LossScalerState | null | undefined): Float32Array {
  return scaler ? Float32Array.of(adamStep, scaler.scale, scaler.goodSteps, scaler.skippedSteps, scaler.step) : Float32Array.of(adamStep);
}

export function readStepCounters(counters: Float32Array): { adamStep: number; lossScaler: LossScalerState | null } {
  const lossScaler = counters.length >= 5 ? { scale: counters[1], goodSteps: counters[2], skippedSteps: counters[3], step: counters[4] } : null;
  return { adamStep: counters[0], lossScaler };
}

/** One readback for all gradients: true when every element of every tensor is finite. */
export async function allFinite(tensors: tf.Tensor[]): Promise<boolean> {
  if (tensors.length === 0) return true;
  const flag = tf.tidy(() => {
    // Sum of (x - x) is 0 for finite x and NaN for ±Inf/NaN: one reduction per tensor, then one scalar.
    const sums = tensors.map((t) => tf.sum(tf.sub(t, t)));
    return tf.isFinite(tf.addN(sums));
  });
  try {
    return (await flag.data())[0] === 1;
  } finally {
    flag.dispose();
  }
}

export interface ScaledStepResult {
  /** Unscaled loss of the step (may be non-finite on an overflow). */
  loss: number;
  skipped: boolean;
  scale: number;
  event?: LossScaleEvent;
}

/**
 * One mixed-precision optimizer step: gradients of loss·scale, unscaled in f32, applied only when all are
 * finite (otherwise skipped and the scale halved). `lossFn` must return a scalar.
 */
export async function scaledStep(
  lossFn: () => tf.Scalar,
  variables: tf.Variable[],
  optimizer: tf.Optimizer,
  scaler: LossScaler,
): Promise<ScaledStepResult> {
  const scale = scaler.scale;
  const { value, grads } = tf.variableGrads(() => tf.mul(lossFn(), scale) as tf.Scalar, variables);
  const names = Object.keys(grads);
  const unscaled: tf.NamedTensorMap = {};
  try {
    for (const name of names) unscaled[name] = tf.div(grads[name], scale);
    const finite = await allFinite(names.map((n) => unscaled[n]));
    const loss = (await value.data())[0] / scale;
    const update = scaler.update(finite);
    if (finite) optimizer.applyGradients(unscaled);
    return { loss, skipped: update.skipped, scale: update.scale, event: update.event };
  } finally {
    value.dispose();
    tf.dispose(grads);
    tf.dispose(unscaled);
  }
}
