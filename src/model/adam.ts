/**
 * Adam with Keras' update rule, on tf.Variables, with its state exposed as plain arrays (checkpoints,
 * mirrored replicas): m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
 * w ← w − lr·√(1−β2^t)/(1−β1^t) · m / (√v + ε), ε = 1e-7 as in Keras.
 */
import * as tf from '@tensorflow/tfjs';

export interface AdamOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

export class Adam {
  readonly firstMoments: tf.Variable[];
  readonly secondMoments: tf.Variable[];
  step = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(
    private readonly weights: readonly tf.Variable[],
    public learningRate: number,
    options: Omit<AdamOptions, 'learningRate'> = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-7;
    // In tidy: the zeros each variable starts from are freed with the scope (the variable keeps its own data).
    this.firstMoments = tf.tidy(() => weights.map((w) => tf.variable(tf.zerosLike(w), false)));
    this.secondMoments = tf.tidy(() => weights.map((w) => tf.variable(tf.zerosLike(w), false)));
  }

  /** One update from mean gradients, in the weights' order. */
  apply(gradients: readonly tf.Tensor[]): void {
    this.step += 1;
    const t = this.step;
    const rate = (this.learningRate * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
    tf.tidy(() => {
      this.weights.forEach((w, i) => {
        const g = gradients[i];
        const m = this.firstMoments[i].mul(this.beta1).add(g.mul(1 - this.beta1));
        const v = this.secondMoments[i].mul(this.beta2).add(g.square().mul(1 - this.beta2));
        this.firstMoments[i].assign(m);
        this.secondMoments[i].assign(v);
        w.assign(w.sub(m.mul(rate).div(v.sqrt().add(this.epsilon))));
      });
    });
  }

  async getState(): Promise<{ step: number; firstMoments: Float32Array[]; secondMoments: Float32Array[] }> {
    const read = (vars: tf.Variable[]) => Promise.all(vars.map(async (v) => (await v.data()) as Float32Array));
    return { step: this.step, firstMoments: await read(this.firstMoments), secondMoments: await read(this.secondMoments) };
  }

  setState(state: { step: number; firstMoments: Float32Array[]; secondMoments: Float32Array[] }): void {
    this.step = state.step;
    tf.tidy(() => {
      this.firstMoments.forEach((m, i) => m.assign(tf.tensor(state.firstMoments[i], m.shape)));
      this.secondMoments.forEach((v, i) => v.assign(tf.tensor(state.secondMoments[i], v.shape)));
    });
  }

  dispose(): void {
    this.firstMoments.forEach((m) => m.dispose());
    this.secondMoments.forEach((v) => v.dispose());
  }
}
