import { BACKEND_PREFERENCES, calibrationStatus, type BackendPreference, type CalibrationKind } from '../../store/slices/backendChoice.ts';
import { usePageBackend } from '../panelKit/hooks.ts';
import { Choice, Setting } from '../panelKit/Setting.tsx';
import { useStudio } from '../storeContext.tsx';

const LABELS: Record<BackendPreference, string> = {
  auto: 'Auto (measure, use the faster)',
  webgpu: 'WebGPU',
  wasm: 'wasm (CPU)',
  webgl: 'WebGL',
  cpu: 'cpu (plain JavaScript)',
};

/**
 * Where the work of this panel computes: auto (a calibration before the work measures each backend and
 * takes the faster) or a backend named by the user, kept for this tab. Shows the last calibration's figures
 * and choice for this kind of work.
 */
export function BackendSetting({ kind }: { kind: CalibrationKind }) {
  const controller = usePageBackend();
  const choice = useStudio((s) => s.backendChoice);
  const busy = useStudio(
    (s) =>
      s.features.status === 'running' ||
      s.features.status === 'loading-weights' ||
      s.training.state === 'running' ||
      s.training.state === 'paused' ||
      s.backendChoice.calibrating !== null,
  );
  // The address may name a backend the setting does not offer (webgl, cpu): shown as it is.
  const options = (BACKEND_PREFERENCES.includes(choice.preference) ? BACKEND_PREFERENCES : [...BACKEND_PREFERENCES, choice.preference]).map((value) => ({
    value,
    label: LABELS[value],
  }));
  const record = choice.calibrations[kind];
  return (
    <Setting
      label="Backend"
      explain="Auto measures a warm step of this work on each backend before it starts and uses the faster; a software emulation of a GPU (SwiftShader) is measured but only used when named. Kept for this tab."
    >
      {(p) => (
        <div data-testid={`backend-setting-${kind}`} data-preference={choice.preference} data-from={choice.preferenceFrom}>
          <Choice
            labelledBy={p['aria-labelledby']}
            describedBy={p['aria-describedby']}
            name={`backend-${kind}`}
            value={choice.preference}
            disabled={busy}
            onChange={(preference) => void controller.setPreference(preference)}
            options={options}
          />
          <p
            className="sp-status"
            data-testid={`backend-calibration-${kind}`}
            data-calibrating={String(choice.calibrating === kind)}
            data-chosen={record?.chosen ?? ''}
            data-figures={record ? JSON.stringify(record.figures.map((f) => ({ backend: f.backend, label: f.label, software: f.software, perSecond: f.perSecond }))) : ''}
            aria-live="polite"
          >
            {calibrationStatus(choice, kind)}
            {record && choice.calibrating !== kind ? ` (calibration ${(record.durationMs / 1000).toFixed(1)} s)` : ''}
          </p>
          {choice.error ? (
            <p className="sp-notice" role="status" data-testid={`backend-error-${kind}`}>
              {choice.error}
            </p>
          ) : null}
        </div>
      )}
    </Setting>
  );
}
