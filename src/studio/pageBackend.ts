/**
 * The page's tfjs backend: which one is in use, why, and the switches between them. Under 'auto' (the
 * default) the page starts on a hardware GPU where there is one and on wasm otherwise (a software adapter,
 * SwiftShader in headless Chromium, is never chosen silently), and before extraction and before training a
 * calibration (src/model/backendCalibration.ts: a warm step of the actual work on each backend) picks the
 * faster. A backend named by the user (the setting, persisted for the browser tab's session) or by the
 * address (`?backend=wasm`) is used as it is, without a calibration.
 *
 * Platform-free: the candidates come from the caller (the page: engine/platform/browserBackendCandidates.ts;
 * tests: fakes), so the choice logic runs in Node tests.
 */
import type { CalibrationWorkload } from '../model/backendCalibration.ts';
import { backendOrder, type BackendName } from '../gpu/backendSelect.ts';
import type { PageCandidates, WebGpuFacts } from '../engine/platform/browserBackendCandidates.ts';
import type { BackendChoiceData, BackendPreference, CalibrationKind, CalibrationRecord } from '../store/slices/backendChoice.ts';
import type { PageBackend } from '../store/slices/training/index.ts';
import type { StudioStore } from '../store/studioStore.ts';

const PREFERENCES: readonly BackendPreference[] = ['auto', ...backendOrder];

/** A `?backend=` or stored value that names a backend, else null. */
export function parsePreference(value: string | null | undefined): BackendPreference | null {
  return PREFERENCES.includes(value as BackendPreference) ? (value as BackendPreference) : null;
}

/** The address names a backend (explicit), else the tab's stored setting, else auto. */
export function preferenceAtStart(address: string | null | undefined, stored: string | null | undefined): Pick<BackendChoiceData, 'preference' | 'preferenceFrom'> {
  const fromAddress = parsePreference(address);
  if (fromAddress && fromAddress !== 'auto') return { preference: fromAddress, preferenceFrom: 'address' };
  const fromSetting = parsePreference(stored);
  if (fromSetting) return { preference: fromSetting, preferenceFrom: 'setting' };
  return { preference: 'auto', preferenceFrom: 'default' };
}

/**
 * Where 'auto' starts before any calibration: a hardware GPU, else wasm (a software adapter only by name),
 * and the reason, worded to follow "Chosen as".
 */
export function autoStart(c: Pick<PageCandidates, 'candidates' | 'unavailable' | 'webgpu'>): { backend: BackendName; because: string } {
  const has = (name: BackendName) => c.candidates.some((x) => x.backend === name);
  const after = 'the calibration before extraction and before training measures the backends';
  if (has('webgpu') && c.webgpu && !c.webgpu.isSoftware) {
    return { backend: 'webgpu', because: `the start of auto on a GPU adapter (${c.webgpu.adapter}); ${after}` };
  }
  const fallback: BackendName = has('wasm') ? 'wasm' : (c.candidates[0]?.backend ?? 'cpu');
  if (c.webgpu?.isSoftware) {
    return {
      backend: fallback,
      because: `the start of auto: WebGPU here is ${c.webgpu.adapter}, a software emulation of a GPU, never chosen unless named; ${after}`,
    };
  }
  const why = c.unavailable.find((u) => u.startsWith('webgpu:'))?.slice('webgpu: '.length) ?? 'no WebGPU here';
  return { backend: fallback, because: `the start of auto (${why}); ${after}` };
}

/** The page's backend as the store and the header show it. */
export function pageBackendOf(backend: BackendName, webgpu: WebGpuFacts | null, chosenBecause: string, fallbackReason?: string): PageBackend {
  const gpu = backend === 'webgpu' ? webgpu : null;
  return {
    backend,
    chosenBecause,
    shaderF16: gpu?.shaderF16 ?? false,
    ...(gpu ? { adapter: gpu.adapter, features: gpu.features, limits: gpu.limits, isSoftware: gpu.isSoftware } : {}),
    ...(fallbackReason ? { fallbackReason } : {}),
  };
}

export interface PageBackendEvents {
  backend(page: PageBackend): void;
  preference(preference: BackendPreference, from: BackendChoiceData['preferenceFrom']): void;
  calibrating(kind: CalibrationKind | null): void;
  calibrated(kind: CalibrationKind, record: CalibrationRecord): void;
  failed(message: string | null): void;
  /** The GPU device the page computes on now was lost (the browser's message); not said for one released on purpose. */
  deviceLost(message: string): void;
}

export interface PageBackendOptions {
  /** The candidates, made once on first use (they may open a GPU device). */
  candidates(): Promise<PageCandidates>;
  /** `?backend=` of the address. */
  address?: string | null;
  /** The setting kept for this tab (sessionStorage in the page). */
  storage?: { get(): string | null; set(value: string): void };
}

export class PageBackendController {
  private preference: BackendPreference;
  private preferenceFrom: BackendChoiceData['preferenceFrom'];
  private current: PageBackend | null = null;
  private started: Promise<PageBackend> | null = null;
  private made: Promise<PageCandidates> | null = null;
  /** The candidates `made` resolved to (their WebGPU device's loss is watched). */
  private madeNow: PageCandidates | null = null;
  /** The backend the last calibration chose: where 'auto' goes back to after a named backend. */
  private calibrated: BackendName | null = null;
  /** The last calibration of each kind of work, with the key of the work it measured. */
  private readonly measured = new Map<CalibrationKind, { key: string | undefined; record: CalibrationRecord }>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<Partial<PageBackendEvents>>();
  /** Work that uses the page's backend now (a training run on this thread): no switch while one is busy. */
  private readonly holds = new Set<() => boolean>();

  constructor(private readonly options: PageBackendOptions) {
    const start = preferenceAtStart(options.address, options.storage?.get());
    this.preference = start.preference;
    this.preferenceFrom = start.preferenceFrom;
  }

  get choice(): Pick<BackendChoiceData, 'preference' | 'preferenceFrom'> {
    return { preference: this.preference, preferenceFrom: this.preferenceFrom };
  }

  /** The backend in use; null before start() resolved. */
  get page(): PageBackend | null {
    return this.current;
  }

  on(listener: Partial<PageBackendEvents>): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The page's first backend (made once); later calls wait for any switch under way. */
  start(): Promise<PageBackend> {
    this.started ??= this.serial(() => this.apply());
    return this.started.then(() => this.serial(async () => this.current!));
  }

  /**
   * Resolves with an error when the GPU device the page computes on now is lost; null when the page is not
   * on WebGPU. A run on the page's thread races its waits on the device against it (a read on a lost device
   * may never settle).
   */
  deviceLost(): Promise<Error> | null {
    const lost = this.current?.backend === 'webgpu' ? this.madeNow?.webgpuLost : undefined;
    return lost ? lost.then((message) => new Error(`GPU device lost: ${message}`)) : null;
  }

  /**
   * After the page's GPU device was lost: new candidates (a new device from the browser), and the backend
   * the preference says on them. Under 'auto' with a hardware GPU, or with webgpu named, that is the new device.
   */
  async renewDevice(): Promise<PageBackend> {
    await this.start();
    return this.serial(async () => {
      this.made = null;
      this.madeNow = null;
      const page = await this.apply();
      if (page.backend !== 'webgpu') return page;
      return this.setCurrent({ ...page, chosenBecause: `${page.chosenBecause}; a new GPU device, after the previous one was lost` });
    });
  }

  /** `busy()` true: work on the page's thread is using its backend (a training run); no switch meanwhile. */
  hold(busy: () => boolean): () => void {
    this.holds.add(busy);
    return () => this.holds.delete(busy);
  }

  /** The user's choice in the setting: kept for the tab's session and applied now. */
  async setPreference(preference: BackendPreference): Promise<PageBackend> {
    await this.start();
    return this.serial(async () => {
      this.preference = preference;
      this.preferenceFrom = 'setting';
      this.options.storage?.set(preference);
      this.emit('preference', preference, 'setting');
      if (this.busy()) {
        this.emit('failed', `${this.current!.backend} stays until the training run on this page ends; the choice applies to the next work`);
        return this.current!;
      }
      try {
        return await this.apply();
      } catch (error) {
        this.emit('failed', (error as Error).message);
        return this.current!;
      }
    });
  }

  /**
   * Under 'auto', measures `workload` on every candidate, leaves tfjs on the faster and returns the record;
   * null when a backend is named (nothing measured) or a run on this page holds the backend. `key` names the
   * work (backbone and weights; the run's model and batch): the same work again reuses the last figures.
   */
  async calibrate(kind: CalibrationKind, workload: CalibrationWorkload, key?: string): Promise<CalibrationRecord | null> {
    await this.start();
    return this.serial(async () => {
      if (this.preference !== 'auto' || this.busy()) return null;
      const made = await this.candidates();
      const last = this.measured.get(kind);
      if (key !== undefined && last?.key === key) {
        const { backend } = await this.activateNamed(last.record.chosen, made);
        this.calibrated = backend;
        this.setCurrent(pageBackendOf(backend, made.webgpu, `the faster in the calibration before ${kind} (${last.record.line})`));
        return last.record;
      }
      const before = this.current!.backend;
      this.emit('calibrating', kind);
      try {
        // Loaded on first use: the calibration's model code stays out of the page's first chunk.
        const { calibrateBackends } = await import('../model/backendCalibration.ts');
        // A software adapter is never chosen by auto: its probe is shown, its full step (minutes on SwiftShader) spared.
        const calibration = await calibrateBackends(made.candidates, workload, { softwareFullSize: false });
        const record: CalibrationRecord = {
          unit: calibration.unit,
          figures: calibration.figures.map((f) => ({ ...f })),
          chosen: calibration.chosen.backend,
          line: calibration.line,
          durationMs: Math.round(calibration.durationMs),
        };
        this.calibrated = record.chosen;
        this.measured.set(kind, { key, record });
        this.setCurrent(pageBackendOf(record.chosen, made.webgpu, `the faster in the calibration before ${kind} (${record.line})`));
        this.emit('calibrated', kind, record);
        return record;
      } catch (error) {
        this.emit('calibrating', null);
        this.emit('failed', `the calibration before ${kind} failed: ${(error as Error).message}`);
        await this.activateNamed(before, made).catch(() => undefined);
        throw error;
      }
    });
  }

  private busy(): boolean {
    return [...this.holds].some((busy) => busy());
  }

  private candidates(): Promise<PageCandidates> {
    if (!this.made) {
      const made = this.options.candidates();
      this.made = made;
      void made.then((candidates) => {
        if (this.made !== made) return;
        this.madeNow = candidates;
        // Only the loss of the device in use now matters to the page's work (an idle adapter's loss only
        // takes webgpu out of these candidates: its activate() then fails with why).
        void candidates.webgpuLost?.then((message) => {
          if (this.madeNow === candidates && this.current?.backend === 'webgpu') this.emit('deviceLost', message);
        });
      }, () => undefined);
    }
    return this.made;
  }

  /** Puts tfjs on the backend the preference says (or 'auto' starts at / last calibrated). */
  private async apply(): Promise<PageBackend> {
    const made = await this.candidates();
    if (this.preference === 'auto') {
      const start = autoStart(made);
      if (this.calibrated) {
        await this.activateNamed(this.calibrated, made);
        return this.setCurrent(pageBackendOf(this.calibrated, made.webgpu, 'the faster in the last calibration (auto)'));
      }
      const { backend, fallbackReason } = await this.activateNamed(start.backend, made);
      return this.setCurrent(pageBackendOf(backend, made.webgpu, start.because, fallbackReason));
    }
    const named = this.preference;
    const because =
      this.preferenceFrom === 'address' ? `the address asks for ${named} (?backend=${named})` : `${named} is chosen in the backend setting (this tab keeps it)`;
    const { backend, fallbackReason } = await this.activateNamed(named, made);
    return this.setCurrent(pageBackendOf(backend, made.webgpu, because, fallbackReason));
  }

  /** The named backend, else the next in webgpu → webgl → wasm → cpu that starts, with why each was passed over. */
  private async activateNamed(name: BackendName, made: PageCandidates): Promise<{ backend: BackendName; fallbackReason?: string }> {
    const reasons: string[] = [];
    for (const backend of backendOrder.slice(backendOrder.indexOf(name))) {
      const candidate = made.candidates.find((c) => c.backend === backend);
      try {
        if (candidate) await candidate.activate();
        else if (backend === 'webgl') await made.activateOther('webgl');
        else {
          reasons.push(made.unavailable.find((u) => u.startsWith(`${backend}:`)) ?? `${backend}: not offered here`);
          continue;
        }
        return { backend, ...(reasons.length ? { fallbackReason: reasons.join('; ') } : {}) };
      } catch (error) {
        reasons.push(`${backend}: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    throw new Error(`No tfjs backend could start: ${reasons.join('; ')}`);
  }

  private setCurrent(page: PageBackend): PageBackend {
    this.current = page;
    this.emit('backend', page);
    return page;
  }

  private emit<K extends keyof PageBackendEvents>(event: K, ...args: Parameters<PageBackendEvents[K]>): void {
    for (const listener of this.listeners) (listener[event] as ((...a: Parameters<PageBackendEvents[K]>) => void) | undefined)?.(...args);
  }

  /** One switch or calibration at a time (a calibration switches tfjs under anything else running). */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const next = this.queue.then(work, work);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

/** Writes the controller's choice, calibrations and backend into the store's slices. */
export function bindPageBackend(store: StudioStore, controller: PageBackendController): () => void {
  const { preference, preferenceFrom } = controller.choice;
  store.getState().setBackendPreference(preference, preferenceFrom);
  if (controller.page) store.getState().setPageBackend(controller.page);
  return controller.on({
    backend: (page) => store.getState().setPageBackend(page),
    preference: (p, from) => store.getState().setBackendPreference(p, from),
    calibrating: (kind) => store.getState().setCalibrating(kind),
    calibrated: (kind, record) => store.getState().recordCalibration(kind, record),
    failed: (message) => store.getState().setBackendChoiceError(message),
  });
}
