/**
 * Backend calibration: before extraction or training, run a warm step of the actual work on each backend
 * this environment offers and pick the faster one ("wasm 720 tokens/s, cpu 40 tokens/s: using wasm").
 * A first guess by name fails both ways here: WebGPU on SwiftShader or lavapipe (a GPU emulated on the CPU)
 * loses to wasm by 5 to 50 times, while a real GPU wins.
 *
 * Environment-agnostic: the caller lists the candidates and how to switch tfjs to each (Node: wasm, cpu and
 * Dawn's adapter, src/engine/platform/nodeBackendCandidates.ts; a page: navigator.gpu, wasm, cpu), the workload says
 * what one step is. A software adapter (CPU emulation) is measured and named as such but never chosen
 * automatically: its speed is not a GPU's, and a student would be misled into thinking it is.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../gpu/backendSelect.ts';
import type { Backbone } from './backbones/types.ts';
import { batchTokenCount, makeCaptionBatch, type CaptionBatch, type Layout } from './batches.ts';
import type { CaptionModelConfig } from './captionModel.ts';
import { prepareBatch } from './gradients.ts';
import { chooseModelKernels } from './kernelChoice.ts';
import { modelKernels, useModelKernels } from './kernels.ts';
import type { Precision } from './precision.ts';
import { CaptionReplicaModel } from './replicaStep.ts';

export interface BackendCandidate {
  backend: BackendName;
  /** How the figures name it: 'wasm', 'cpu', 'webgpu (mesa llvmpipe, software)'. */
  label: string;
  /** A CPU emulation of a GPU (SwiftShader, lavapipe): measured, shown, never chosen automatically. */
  software: boolean;
  /** Makes this backend tfjs' current one. */
  activate(): Promise<void>;
  /** Frees what activate() set up (a GPU device), after the calibration. */
  release?(): void;
}

export interface CalibrationWorkload {
  /** 'tokens/s' or 'images/s'. */
  unit: string;
  /**
   * On tfjs' current backend: builds the work, runs it once untimed (shader compilation, first allocations),
   * then once timed; frees every tensor it made. `units` is what the timed run processed (tokens, images).
   * 'probe': a small version (a couple of images); 'full': the size the real work runs at (its batch).
   */
  measure(size: 'probe' | 'full'): Promise<{ units: number; durationMs: number }>;
}

export interface BackendFigure {
  backend: BackendName;
  label: string;
  software: boolean;
  /** Units per second of the timed run; null when the backend failed. */
  perSecond: number | null;
  /** Measured on the probe only (its small step already took longer than a full step elsewhere): the probe's figure. */
  probeOnly?: boolean;
  /** Why only the probe: 'slower' (above) or 'software' (a software adapter, with `softwareFullSize: false`). */
  probeOnlyBecause?: 'slower' | 'software';
  /** Why it failed. */
  error?: string;
}

export interface Calibration {
  unit: string;
  figures: BackendFigure[];
  chosen: BackendFigure;
  /** The chosen candidate, left active (its release() frees it, e.g. before the caller sets the backend up its own way). */
  candidate: BackendCandidate;
  /** "wasm 720 tokens/s, cpu 40 tokens/s: using wasm", plus why a faster software adapter was passed over. */
  line: string;
  durationMs: number;
}

// Two significant digits below 10 (0.80, 3.1); whole numbers above (99.6 read '1.0e+2' with toPrecision).
const rate = (perSecond: number): string => (perSecond >= 10 ? perSecond.toFixed(0) : perSecond.toPrecision(2));

/** The figures and the choice in one line. */
export function describeCalibration(unit: string, figures: readonly BackendFigure[], chosen: BackendFigure): string {
  const parts = figures.map((f) =>
    f.perSecond === null
      ? `${f.label} failed (${f.error})`
      : `${f.label} ${rate(f.perSecond)} ${unit}${
          !f.probeOnly
            ? ''
            : f.probeOnlyBecause === 'software'
              ? ' (on a small probe; a software emulation is not measured further)'
              : ` (on a small probe, already slower per step than ${chosen.label}'s full step)`
        }`,
  );
  let line = `${parts.join(', ')}: using ${chosen.label}`;
  const fasterSoftware = figures.find((f) => f.software && f.perSecond !== null && chosen.perSecond !== null && f.perSecond > chosen.perSecond);
  if (fasterSoftware && !chosen.software) {
    line += ` (${fasterSoftware.label} measured faster, but it is a software emulation of a GPU: choose it by name to use it)`;
  }
  if (chosen.software) line += ' (a software emulation of a GPU: no other backend ran)';
  return line;
}

/** The fastest hardware or CPU backend; a software adapter only when nothing else ran. */
export function chooseFastest(figures: readonly BackendFigure[]): BackendFigure | null {
  const full = figures.filter((f) => f.perSecond !== null && !f.probeOnly);
  const ran = full.length ? full : figures.filter((f) => f.perSecond !== null);
  const eligible = ran.some((f) => !f.software) ? ran.filter((f) => !f.software) : ran;
  return eligible.reduce<BackendFigure | null>((best, f) => (best === null || f.perSecond! > best.perSecond! ? f : best), null);
}

/**
 * Measures the workload on every candidate and leaves tfjs on the chosen backend, releasing the others.
 * Each runs a small probe first; then, the CPU backends before software adapters and the fastest probes
 * first, each is measured at full size unless its probe step alone took longer than the quickest full step
 * so far: a bigger step takes no less time, so it cannot win (this spares the cpu backend a full batch, a
 * minute on this project's machine). The probe is not used to rank: per step, wasm has little fixed cost and
 * WebGPU much, so one image can rank them the other way round. Throws when no candidate could run it.
 */
export async function calibrateBackends(
  candidates: readonly BackendCandidate[],
  workload: CalibrationWorkload,
  /**
   * `softwareFullSize: false`: a software adapter gets the probe only once another backend has a full figure
   * (it is never chosen on its own; the page's full training batch on SwiftShader took minutes). Default true.
   */
  options: { softwareFullSize?: boolean } = {},
): Promise<Calibration> {
  const started = performance.now();
  const figures: BackendFigure[] = candidates.map((c) => ({ backend: c.backend, label: c.label, software: c.software, perSecond: null }));
  const stepMs: (number | null)[] = candidates.map(() => null);
  const run = async (index: number, size: 'probe' | 'full'): Promise<void> => {
    const figure = figures[index];
    try {
      await candidates[index].activate();
      const { units, durationMs } = await workload.measure(size);
      figure.perSecond = units / Math.max(durationMs / 1000, 1e-6);
      stepMs[index] = durationMs;
    } catch (error) {
      figure.perSecond = null;
      stepMs[index] = null;
      figure.error = (error as Error).message.split('\n')[0];
    }
  };
  for (let i = 0; i < candidates.length; i++) await run(i, 'probe');
  const order = candidates
    .map((_, i) => i)
    .filter((i) => figures[i].perSecond !== null)
    .sort((a, b) => Number(figures[a].software) - Number(figures[b].software) || figures[b].perSecond! - figures[a].perSecond!);
  let quickestFullMs = Infinity;
  for (const i of order) {
    if (stepMs[i]! >= quickestFullMs) {
      figures[i].probeOnly = true;
      figures[i].probeOnlyBecause = 'slower';
      continue;
    }
    if (figures[i].software && options.softwareFullSize === false && quickestFullMs < Infinity) {
      figures[i].probeOnly = true;
      figures[i].probeOnlyBecause = 'software';
      continue;
    }
    await run(i, 'full');
    if (stepMs[i] !== null && !figures[i].software) quickestFullMs = Math.min(quickestFullMs, stepMs[i]!);
  }
  const chosen = chooseFastest(figures);
  if (!chosen) {
    for (const candidate of candidates) candidate.release?.();
    throw new Error(`no backend could run the calibration step: ${figures.map((f) => `${f.label}: ${f.error}`).join('; ')}`);
  }
  const winner = candidates[figures.indexOf(chosen)];
  for (const candidate of candidates) if (candidate !== winner) candidate.release?.();
  await winner.activate();
  return {
    unit: workload.unit,
    figures,
    chosen,
    candidate: winner,
    line: describeCalibration(workload.unit, figures, chosen),
    durationMs: performance.now() - started,
  };
}

export interface CaptionWorkloadOptions {
  config: CaptionModelConfig;
  layout: Layout;
  /** Training images of the run (their features and token-id captions): one batch of it, the full size. */
  images: { features: Float32Array; captions: number[][] }[];
  /** Images of the probe (default 1). */
  probeImages?: number;
  fusedKernels: boolean;
  precision: Precision;
  learningRate?: number;
  seed?: number;
}

/**
 * One training step of the caption model the run will train (its vocabulary, lengths and widths, this run's
 * layout and kernels) on one batch of its images, in tokens/s. The batch size matters: per step, wasm has
 * little fixed cost and WebGPU much (dispatches, readbacks), so 2 images can rank them the other way round.
 */
export function captionTrainingWorkload(options: CaptionWorkloadOptions): CalibrationWorkload {
  return {
    unit: 'tokens/s',
    async measure(size) {
      const images = size === 'probe' ? options.images.slice(0, options.probeImages ?? 1) : options.images;
      const { config, layout } = options;
      // The step installs its backend's kernels on this thread; they go back after it. Left in place, the
      // fused WGSL kernels of a WebGPU probe outlived the calibration on this thread: a mirrored run on wasm
      // (`train --replicas 2`, backend auto) then failed its first validation here.
      const kernelsBefore = modelKernels();
      const choice = await chooseModelKernels({ fusedKernels: options.fusedKernels, precision: options.precision });
      const replica = new CaptionReplicaModel({
        config,
        layout,
        learningRate: options.learningRate ?? 1e-3,
        seed: options.seed ?? 1,
        precision: choice.precision,
      });
      try {
        const batch: CaptionBatch = makeCaptionBatch(images, config.featureDim);
        const prepared = prepareBatch(batch, config, layout);
        await replica.trainStep(prepared, 0);
        const t0 = performance.now();
        await replica.trainStep(prepared, 1);
        return { units: batchTokenCount(batch), durationMs: performance.now() - t0 };
      } finally {
        replica.dispose();
        useModelKernels(kernelsBefore);
      }
    },
  };
}

/**
 * One batch through the backbone the extraction will use, in images/s. The backbone is loaded once by the
 * caller (a VGG16 folder is 528 MB): tfjs moves its weights to each backend as it is measured there.
 */
export function backboneWorkload(backbone: Backbone, images: number): CalibrationWorkload {
  return {
    unit: 'images/s',
    async measure(scale) {
      const count = scale === 'probe' ? 1 : images;
      const size = backbone.inputSize;
      const input = tf.tidy(() => tf.randomUniform([count, size, size, 3], 0, 255, 'float32', 1) as tf.Tensor4D);
      try {
        const run = async (): Promise<void> => {
          const features = backbone.extract(input);
          await features.data();
          features.dispose();
        };
        await run();
        const t0 = performance.now();
        await run();
        return { units: count, durationMs: performance.now() - t0 };
      } finally {
        input.dispose();
      }
    },
  };
}
