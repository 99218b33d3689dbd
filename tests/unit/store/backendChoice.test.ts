/** The backend choice slice: the preference and where it came from, calibrations per kind of work, what the panel says. */
import { describe, expect, it } from 'vitest';
import { calibrationStatus, initialBackendChoice, type CalibrationRecord } from '../../../src/store/slices/backendChoice.ts';
import { testStore } from '../../support/studioStore.ts';

const record: CalibrationRecord = {
  unit: 'images/s',
  chosen: 'wasm',
  durationMs: 2100,
  line: 'wasm 19 images/s, webgpu (google swiftshader, software) 0.80 images/s: using wasm',
  figures: [
    { backend: 'wasm', label: 'wasm', software: false, perSecond: 19 },
    { backend: 'webgpu', label: 'webgpu (google swiftshader, software)', software: true, perSecond: 0.8 },
  ],
};

describe('backend choice slice', () => {
  it('starts on auto by default, records a calibration per kind and ends its "calibrating" state', () => {
    const { store } = testStore();
    expect(store.getState().backendChoice).toEqual(initialBackendChoice());
    store.getState().setCalibrating('extraction');
    expect(store.getState().backendChoice.calibrating).toBe('extraction');
    store.getState().setBackendChoiceError('an earlier failure');
    store.getState().recordCalibration('extraction', record);
    const d = store.getState().backendChoice;
    expect(d).toMatchObject({ calibrating: null, error: null, calibrations: { extraction: record } });
    expect(d.calibrations.training).toBeUndefined();
  });

  it('keeps the calibrations when the user names a backend, and says none runs then', () => {
    const { store } = testStore();
    store.getState().recordCalibration('extraction', record);
    store.getState().setBackendPreference('webgpu', 'setting');
    const d = store.getState().backendChoice;
    expect(d).toMatchObject({ preference: 'webgpu', preferenceFrom: 'setting' });
    expect(calibrationStatus(d, 'extraction')).toBe(`No calibration (webgpu chosen in this setting); the last one measured: ${record.line}`);
    expect(calibrationStatus(d, 'training')).toBe('No calibration: webgpu chosen in this setting.');
    expect(calibrationStatus({ ...d, preferenceFrom: 'address', preference: 'wasm' }, 'training')).toBe('No calibration: the address names wasm.');
  });

  it('under auto: the line once measured, what will happen before, and a running calibration', () => {
    const d = initialBackendChoice();
    expect(calibrationStatus(d, 'training')).toBe('Auto: before training, a warm step on each backend picks the faster.');
    expect(calibrationStatus({ ...d, calibrating: 'training' }, 'training')).toBe('Measuring each backend on a step of the training…');
    expect(calibrationStatus({ ...d, calibrations: { extraction: record } }, 'extraction')).toBe(record.line);
  });
});
