/**
 * `--backend auto` (the default of `extract` and `train`): a calibration of the actual work on every backend
 * this machine offers (src/model/backendCalibration.ts), one line with the figures and the choice on stderr.
 * The chosen backend is then set up as if it had been named (useNodeBackend), so what follows is the same as
 * for `--backend <name>`.
 */
import { useNodeBackend, type BackendReady } from '../engine/platform/nodeBackend.ts';
import { nodeBackendCandidates } from '../engine/platform/nodeBackendCandidates.ts';
import { calibrateBackends, type CalibrationWorkload } from '../model/backendCalibration.ts';
import type { BackendName } from '../protocol/training.ts';
import type { CliIo } from './io.ts';

export const BACKEND_CHOICES = ['auto', 'wasm', 'cpu', 'webgpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/**
 * Calibrates, prints "<command>: backend: wasm 720 tokens/s, cpu 40 tokens/s: using wasm" and sets the
 * chosen backend up. `webgpu: false` measures only wasm and cpu.
 */
export async function autoBackend(io: CliIo, command: string, workload: CalibrationWorkload, options: { webgpu: boolean }): Promise<BackendReady> {
  const { candidates, unavailable } = await nodeBackendCandidates({ webgpu: options.webgpu });
  const calibration = await calibrateBackends(candidates, workload);
  const left = unavailable.length ? ` (${unavailable.join('; ')})` : '';
  io.err(`${command}: backend: ${calibration.line}; calibration ${(calibration.durationMs / 1000).toFixed(1)} s${left}\n`);
  // The chosen device (webgpu) is set up again by useNodeBackend, as for a named backend: free this one.
  calibration.candidate.release?.();
  return useNodeBackend(calibration.chosen.backend as BackendName);
}
