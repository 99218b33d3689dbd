/**
 * Backend choice slice: which tfjs backend the user wants the page to compute on ('auto', the default, or one
 * named), where that wish came from (the default, the address's `?backend=`, the setting), and the last
 * calibration before extraction and before training (each backend's figure and the choice), as plain data.
 * The backend in use itself is `training.pageBackend` (the header, the precision knobs read it there).
 */
import type { BackendName } from '../../protocol/training.ts';
import type { SliceSet } from './sliceTypes.ts';

/** 'auto' calibrates before extraction and training and takes the faster; a name is used as it is. */
export type BackendPreference = 'auto' | BackendName;
/** The choices the setting offers (the address may also name webgl or cpu). */
export const BACKEND_PREFERENCES: readonly BackendPreference[] = ['auto', 'webgpu', 'wasm'];

export type CalibrationKind = 'extraction' | 'training';

export interface CalibrationFigure {
  backend: BackendName;
  label: string;
  software: boolean;
  /** Units per second; null when the backend failed the step. */
  perSecond: number | null;
  /** Measured on the small probe only (already slower per step than the chosen one's full step). */
  probeOnly?: boolean;
  probeOnlyBecause?: 'slower' | 'software';
  error?: string;
}

export interface CalibrationRecord {
  /** 'images/s' (extraction) or 'tokens/s' (training). */
  unit: string;
  figures: CalibrationFigure[];
  chosen: BackendName;
  /** "wasm 720 tokens/s, webgpu (google swiftshader, software) 110 tokens/s: using wasm" */
  line: string;
  durationMs: number;
}

export interface BackendChoiceData {
  preference: BackendPreference;
  /** 'default' (auto, nothing asked), 'address' (`?backend=` in the URL), 'setting' (chosen on the page). */
  preferenceFrom: 'default' | 'address' | 'setting';
  /** A calibration running now, before which work. */
  calibrating: CalibrationKind | null;
  /** The last calibration before each kind of work (kept when the preference changes: it is what was measured). */
  calibrations: Partial<Record<CalibrationKind, CalibrationRecord>>;
  /** Why the last calibration or switch failed (the page stays on the backend it had). */
  error: string | null;
}

export interface BackendChoiceSlice {
  backendChoice: BackendChoiceData;
  setBackendPreference(preference: BackendPreference, from: BackendChoiceData['preferenceFrom']): void;
  setCalibrating(kind: CalibrationKind | null): void;
  recordCalibration(kind: CalibrationKind, record: CalibrationRecord): void;
  setBackendChoiceError(error: string | null): void;
}

export function initialBackendChoice(): BackendChoiceData {
  return { preference: 'auto', preferenceFrom: 'default', calibrating: null, calibrations: {}, error: null };
}

/** What the panel says of a kind of work: the calibration line, or why none runs. */
export function calibrationStatus(data: BackendChoiceData, kind: CalibrationKind): string {
  if (data.calibrating === kind) return `Measuring each backend on a step of the ${kind === 'extraction' ? 'extraction' : 'training'}…`;
  const record = data.calibrations[kind];
  if (data.preference !== 'auto') {
    const named = data.preferenceFrom === 'address' ? `the address names ${data.preference}` : `${data.preference} chosen in this setting`;
    return record ? `No calibration (${named}); the last one measured: ${record.line}` : `No calibration: ${named}.`;
  }
  return record ? record.line : `Auto: before ${kind === 'extraction' ? 'extracting' : 'training'}, a warm step on each backend picks the faster.`;
}

export function createBackendChoiceSlice<T extends BackendChoiceSlice>(set: SliceSet<T>): BackendChoiceSlice {
  const update = (f: (d: BackendChoiceData) => BackendChoiceData) => set((s) => ({ backendChoice: f(s.backendChoice) }) as Partial<T>);
  return {
    backendChoice: initialBackendChoice(),
    setBackendPreference: (preference, from) => update((d) => ({ ...d, preference, preferenceFrom: from, error: null })),
    setCalibrating: (kind) => update((d) => ({ ...d, calibrating: kind })),
    recordCalibration: (kind, record) => update((d) => ({ ...d, calibrating: null, error: null, calibrations: { ...d.calibrations, [kind]: record } })),
    setBackendChoiceError: (error) => update((d) => ({ ...d, error })),
  };
}
