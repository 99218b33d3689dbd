/**
 * The page's backend choice (src/studio/pageBackend.ts): where auto starts, what the address and the tab's
 * setting do, the calibration before work (with fake candidates whose speeds are set), the store it writes,
 * and, with Node's real wasm and cpu backends, that a backbone made on one backend still extracts after a
 * calibration switched tfjs under it.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import type { PageCandidates, WebGpuFacts } from '../../../src/engine/platform/browserBackendCandidates.ts';
import { nodeBackendCandidates } from '../../../src/engine/platform/nodeBackendCandidates.ts';
import type { BackendCandidate, CalibrationWorkload } from '../../../src/model/backendCalibration.ts';
import { backboneWorkload } from '../../../src/model/backendCalibration.ts';
import { loadBackbone } from '../../../src/model/backbones/index.ts';
import { autoStart, bindPageBackend, PageBackendController, preferenceAtStart } from '../../../src/studio/pageBackend.ts';
import { testStore } from '../../support/studioStore.ts';

const swiftShader: WebGpuFacts = { adapter: 'google swiftshader (software, no-f16)', isSoftware: true, shaderF16: false, features: [], limits: {} };
const realGpu: WebGpuFacts = { adapter: 'nvidia ampere (hardware, f16)', isSoftware: false, shaderF16: true, features: ['shader-f16'], limits: {} };

/** Fake candidates: `active` is the backend last activated; `speeds` the units/s each one measures at. */
function fakePage(webgpu: WebGpuFacts | null, speeds: Record<string, number>) {
  const state = { active: 'none', activations: [] as string[] };
  const candidate = (backend: 'webgpu' | 'wasm' | 'cpu', software = false): BackendCandidate => ({
    backend,
    label: backend === 'webgpu' ? `webgpu (${webgpu!.adapter.split(' (')[0]}${software ? ', software' : ''})` : backend,
    software,
    activate: async () => {
      state.active = backend;
      state.activations.push(backend);
    },
  });
  const made: PageCandidates = {
    candidates: [candidate('wasm'), ...(webgpu ? [candidate('webgpu', webgpu.isSoftware)] : []), candidate('cpu')],
    unavailable: webgpu ? [] : ['webgpu: this browser has no WebGPU (navigator.gpu is missing)'],
    webgpu,
    activateOther: async (name) => {
      throw new Error(`${name} is not here`);
    },
  };
  const workload: CalibrationWorkload = {
    unit: 'tokens/s',
    // A full step processes 100 units; the probe 10, at the same rate.
    measure: async (size) => {
      const units = size === 'probe' ? 10 : 100;
      return { units, durationMs: (units / speeds[state.active]) * 1000 };
    },
  };
  return { state, made, workload };
}

function memoryStorage(initial: string | null = null) {
  let value = initial;
  return { get: () => value, set: (v: string) => void (value = v), read: () => value };
}

describe('preferenceAtStart', () => {
  it('takes the address first, then the tab\'s setting, else auto', () => {
    expect(preferenceAtStart('wasm', 'webgpu')).toEqual({ preference: 'wasm', preferenceFrom: 'address' });
    expect(preferenceAtStart(null, 'webgpu')).toEqual({ preference: 'webgpu', preferenceFrom: 'setting' });
    expect(preferenceAtStart('nonsense', null)).toEqual({ preference: 'auto', preferenceFrom: 'default' });
    expect(preferenceAtStart(null, null)).toEqual({ preference: 'auto', preferenceFrom: 'default' });
  });
});

describe('autoStart', () => {
  it('starts on a hardware GPU, on wasm beside a software adapter (naming it), on wasm without WebGPU', () => {
    expect(autoStart(fakePage(realGpu, {}).made).backend).toBe('webgpu');
    const software = autoStart(fakePage(swiftShader, {}).made);
    expect(software.backend).toBe('wasm');
    expect(software.because).toContain('google swiftshader (software, no-f16), a software emulation of a GPU');
    const none = autoStart(fakePage(null, {}).made);
    expect(none).toMatchObject({ backend: 'wasm' });
    expect(none.because).toContain('navigator.gpu is missing');
  });
});

describe('PageBackendController', () => {
  it('auto on SwiftShader: starts on wasm; the calibration measures both and keeps wasm, with both figures', async () => {
    const { made, workload, state } = fakePage(swiftShader, { webgpu: 110, wasm: 720, cpu: 40 });
    const { store } = testStore();
    const controller = new PageBackendController({ candidates: async () => made });
    bindPageBackend(store, controller);
    expect((await controller.start()).backend).toBe('wasm');
    expect(state.active).toBe('wasm');
    expect(store.getState().training.pageBackend?.chosenBecause).toContain('start of auto');

    const record = await controller.calibrate('training', workload);
    expect(record?.chosen).toBe('wasm');
    expect(state.active).toBe('wasm');
    expect(record?.line).toBe("wasm 720 tokens/s, webgpu (google swiftshader, software) 110 tokens/s (on a small probe; a software emulation is not measured further), cpu 40 tokens/s (on a small probe, already slower per step than wasm's full step): using wasm");
    const s = store.getState();
    expect(s.backendChoice.calibrations.training?.line).toBe(record?.line);
    expect(s.backendChoice.calibrating).toBeNull();
    expect(s.training.pageBackend).toMatchObject({ backend: 'wasm', shaderF16: false });
    expect(s.training.pageBackend?.chosenBecause).toBe(`the faster in the calibration before training (${record?.line})`);
  });

  it('auto never picks a software adapter even when it measures faster, and says so', async () => {
    const { made, workload } = fakePage(swiftShader, { webgpu: 2000, wasm: 700, cpu: 40 });
    const controller = new PageBackendController({ candidates: async () => made });
    const record = await controller.calibrate('extraction', workload);
    expect(record?.chosen).toBe('wasm');
    expect(record?.line).toContain('measured faster, but it is a software emulation of a GPU');
  });

  it('auto on a hardware GPU picks it when it is faster, with its adapter facts', async () => {
    const { made, workload, state } = fakePage(realGpu, { webgpu: 9000, wasm: 700, cpu: 40 });
    const controller = new PageBackendController({ candidates: async () => made });
    expect((await controller.start()).backend).toBe('webgpu');
    await controller.calibrate('training', workload);
    expect(state.active).toBe('webgpu');
    expect(controller.page).toMatchObject({ backend: 'webgpu', shaderF16: true, adapter: realGpu.adapter, isSoftware: false });
  });

  it('a named backend (address or setting) is used as it is: no calibration; the setting is kept for the tab', async () => {
    const { made, workload, state } = fakePage(swiftShader, { webgpu: 110, wasm: 720, cpu: 40 });
    const storage = memoryStorage();
    const { store } = testStore();
    const controller = new PageBackendController({ candidates: async () => made, address: 'webgpu', storage });
    bindPageBackend(store, controller);
    expect((await controller.start()).backend).toBe('webgpu');
    expect(store.getState().backendChoice).toMatchObject({ preference: 'webgpu', preferenceFrom: 'address' });
    expect(store.getState().training.pageBackend?.chosenBecause).toBe('the address asks for webgpu (?backend=webgpu)');
    expect(await controller.calibrate('extraction', workload)).toBeNull();
    expect(state.active).toBe('webgpu');

    await controller.setPreference('wasm');
    expect(state.active).toBe('wasm');
    expect(storage.read()).toBe('wasm');
    expect(store.getState().backendChoice).toMatchObject({ preference: 'wasm', preferenceFrom: 'setting' });
    expect(store.getState().training.pageBackend?.chosenBecause).toBe('wasm is chosen in the backend setting (this tab keeps it)');

    // Back to auto: it calibrates again before the next work.
    await controller.setPreference('auto');
    expect(storage.read()).toBe('auto');
    expect((await controller.calibrate('extraction', workload))?.chosen).toBe('wasm');
    // A new page of the same tab (a reload) without ?backend starts from the kept setting.
    storage.set('webgpu');
    const reloaded = new PageBackendController({ candidates: async () => made, storage });
    expect(reloaded.choice).toEqual({ preference: 'webgpu', preferenceFrom: 'setting' });
    expect((await reloaded.start()).backend).toBe('webgpu');
  });

  it('a named backend that cannot start falls back in order, saying why', async () => {
    const { made } = fakePage(null, {});
    const controller = new PageBackendController({ candidates: async () => made, address: 'webgpu' });
    const page = await controller.start();
    expect(page.backend).toBe('wasm');
    expect(page.fallbackReason).toBe('webgpu: this browser has no WebGPU (navigator.gpu is missing); webgl: webgl is not here');
  });

  it('no switch while a run on the page holds the backend: the calibration is skipped, the setting waits', async () => {
    const { made, workload, state } = fakePage(swiftShader, { webgpu: 110, wasm: 720, cpu: 40 });
    const { store } = testStore();
    const controller = new PageBackendController({ candidates: async () => made });
    bindPageBackend(store, controller);
    await controller.start();
    let running = true;
    const release = controller.hold(() => running);
    const before = state.activations.length;
    expect(await controller.calibrate('extraction', workload)).toBeNull();
    await controller.setPreference('webgpu');
    expect(state.activations.length).toBe(before);
    expect(store.getState().backendChoice.error).toContain('stays until the training run on this page ends');
    running = false;
    release();
    await controller.setPreference('webgpu');
    expect(state.active).toBe('webgpu');
  });

  it('a failed calibration goes back to the backend it had and says why', async () => {
    const { made, state } = fakePage(swiftShader, { webgpu: 110, wasm: 720, cpu: 40 });
    const { store } = testStore();
    const controller = new PageBackendController({ candidates: async () => made });
    bindPageBackend(store, controller);
    await controller.start();
    const broken: CalibrationWorkload = { unit: 'images/s', measure: async () => Promise.reject(new Error('out of memory')) };
    await expect(controller.calibrate('extraction', broken)).rejects.toThrow('no backend could run the calibration step');
    expect(state.active).toBe('wasm');
    expect(store.getState().backendChoice.error).toContain('the calibration before extraction failed');
    expect(store.getState().backendChoice.calibrating).toBeNull();
  });

  it('real wasm and cpu backends: a backbone made before the calibration still extracts after it switched tfjs', async () => {
    const { candidates } = await nodeBackendCandidates({ webgpu: false });
    const made: PageCandidates = { candidates, unavailable: [], webgpu: null, activateOther: async () => undefined };
    const controller = new PageBackendController({ candidates: async () => made, address: 'cpu' });
    expect((await controller.start()).backend).toBe('cpu');
    const backbone = await loadBackbone({ name: 'demo', weights: { kind: 'random', seed: 3 } });
    try {
      const input = tf.randomUniform([2, backbone.inputSize, backbone.inputSize, 3], 0, 255, 'float32', 5) as tf.Tensor4D;
      const onCpu = await backbone.extract(input).data();
      await controller.setPreference('auto');
      const record = await controller.calibrate('extraction', backboneWorkload(backbone, 2));
      expect(record?.figures.map((f) => f.backend)).toEqual(['wasm', 'cpu']);
      expect(tf.getBackend()).toBe(record?.chosen);
      // The weights and the input were made on cpu; the ops now run on the chosen backend, same numbers.
      const after = await backbone.extract(input).data();
      expect(Array.from(after).map((x) => Number(x.toFixed(3)))).toEqual(Array.from(onCpu).map((x) => Number(x.toFixed(3))));
      // And back: switching again keeps them usable.
      await controller.setPreference(record?.chosen === 'wasm' ? 'cpu' : 'wasm');
      expect((await backbone.extract(input).data()).length).toBe(onCpu.length);
      input.dispose();
    } finally {
      backbone.dispose();
    }
  }, 120_000);
});

describe('PageBackendController: the same work again', () => {
  it('reuses the last figures for the same key (no new measurement), measures again for another', async () => {
    const { made, workload } = fakePage(swiftShader, { webgpu: 110, wasm: 720, cpu: 40 });
    let measured = 0;
    const counting: CalibrationWorkload = { unit: workload.unit, measure: (size) => ((measured += 1), workload.measure(size)) };
    const controller = new PageBackendController({ candidates: async () => made });
    const first = await controller.calibrate('training', counting, 'model A');
    const afterFirst = measured;
    expect(afterFirst).toBeGreaterThan(0);
    expect(await controller.calibrate('training', counting, 'model A')).toEqual(first);
    expect(measured).toBe(afterFirst);
    await controller.calibrate('training', counting, 'model B');
    expect(measured).toBeGreaterThan(afterFirst);
  });
});

/** Fake candidates whose WebGPU device can be lost: `lose(message)` settles their webgpuLost. */
function losablePage(webgpu: WebGpuFacts) {
  const page = fakePage(webgpu, {});
  let lose: (message: string) => void = () => undefined;
  const made: PageCandidates = { ...page.made, webgpuLost: new Promise<string>((resolve) => (lose = resolve)) };
  return { ...page, made, lose: (message: string) => lose(message) };
}

const settled = () => new Promise((done) => setTimeout(done, 0));

describe('PageBackendController: a lost GPU device', () => {
  it('says the loss of the device in use, and renewDevice makes new candidates whose new device the page goes on', async () => {
    const first = losablePage(swiftShader);
    const second = losablePage(swiftShader);
    const made = [first.made, second.made];
    let calls = 0;
    const { store } = testStore();
    const controller = new PageBackendController({ candidates: async () => made[calls++], address: 'webgpu' });
    bindPageBackend(store, controller);
    const heard: string[] = [];
    controller.on({ deviceLost: (message) => heard.push(message) });
    expect((await controller.start()).backend).toBe('webgpu');
    const lost = controller.deviceLost();
    expect(lost).not.toBeNull();

    first.lose('Device was destroyed.');
    expect((await lost!).message).toBe('GPU device lost: Device was destroyed.');
    await settled();
    expect(heard).toEqual(['Device was destroyed.']);

    const page = await controller.renewDevice();
    expect(calls).toBe(2);
    expect(second.state.activations).toEqual(['webgpu']);
    expect(page.chosenBecause).toBe('the address asks for webgpu (?backend=webgpu); a new GPU device, after the previous one was lost');
    expect(store.getState().training.pageBackend?.chosenBecause).toBe(page.chosenBecause);
    // The loss watched now is the new device's.
    const lostAgain = controller.deviceLost();
    second.lose('Device was destroyed again.');
    expect((await lostAgain!).message).toBe('GPU device lost: Device was destroyed again.');
    await settled();
    expect(heard).toEqual(['Device was destroyed.', 'Device was destroyed again.']);
  });

  it('wasm after a loss is the setting\'s named backend; a loss of a WebGPU device the page is not on is not said', async () => {
    const page = losablePage(swiftShader);
    const storage = memoryStorage();
    const controller = new PageBackendController({ candidates: async () => page.made, address: 'webgpu', storage });
    const heard: string[] = [];
    controller.on({ deviceLost: (message) => heard.push(message) });
    await controller.start();
    expect((await controller.setPreference('wasm')).backend).toBe('wasm');
    expect(page.state.active).toBe('wasm');
    expect(storage.read()).toBe('wasm');
    expect(controller.deviceLost()).toBeNull();
    page.lose('Device was destroyed.');
    await settled();
    expect(heard).toEqual([]);
  });
});
