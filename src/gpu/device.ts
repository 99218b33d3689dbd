/**
 * The engine's GPUDevice: created from an injected `GPU` object (navigator.gpu in a page or worker, Dawn's
 * `create([])` in Node) so one code path serves both. Requests `shader-f16` and `timestamp-query` when the
 * adapter offers them, turns `device.lost` and `uncapturederror` into engine events (a validation error is a
 * failure, never a log line), and registers the device as the tfjs `webgpu` backend.
 */
import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/** Plain-data description of the adapter and device, for the UI and the CLI. */
export interface GpuDeviceReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for CPU emulations (SwiftShader, lavapipe/llvmpipe): speed numbers are not GPU numbers. */
  isSoftware: boolean;
  /** Features enabled on the device (not just offered by the adapter). */
  features: string[];
  limits: Record<string, number>;
  shaderF16: boolean;
  timestampQuery: boolean;
}

export type GpuEngineEvent =
  | { type: 'uncapturedError'; kind: 'validation' | 'out-of-memory' | 'internal' | 'unknown'; message: string }
  | { type: 'deviceLost'; reason: string; message: string; deliberate: boolean };

export type GpuEngineListener = (event: GpuEngineEvent) => void;

export interface CreateGpuEngineOptions {
  powerPreference?: GPUPowerPreference;
  /** Ask for shader-f16 when offered (default true). */
  wantF16?: boolean;
  /**
   * 'adapter' (default): raise the buffer and workgroup limits to what the adapter offers; 'default': keep
   * WebGPU's default limits, the smallest any device has (tests of sizes over a device's limits).
   */
  limits?: 'adapter' | 'default';
}

/** Limits copied from the adapter so big matmuls and workgroup tiles get what the hardware has. */
const raisedLimits = [
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
  'maxStorageBuffersPerShaderStage',
] as const;

const reportedLimits = [...raisedLimits, 'maxComputeWorkgroupSizeY', 'maxUniformBufferBindingSize'] as const;

export class GpuEngine {
  readonly errors: GpuEngineEvent[] = [];
  private readonly listeners = new Set<GpuEngineListener>();
  private destroying = false;

  constructor(
    /** Held so the GPU instance (Dawn's in Node) lives as long as its device. */
    readonly gpu: GPU,
    readonly device: GPUDevice,
    readonly adapterInfo: GPUAdapterInfo,
    readonly report: GpuDeviceReport,
  ) {
    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      const kind =
        error instanceof GPUValidationError ? 'validation'
        : error instanceof GPUOutOfMemoryError ? 'out-of-memory'
        : typeof GPUInternalError !== 'undefined' && error instanceof GPUInternalError ? 'internal'
        : 'unknown';
      this.emit({ type: 'uncapturedError', kind, message: error.message });
    });
    void device.lost.then((info) => {
      this.emit({ type: 'deviceLost', reason: info.reason, message: info.message, deliberate: this.destroying });
    });
  }

  get shaderF16(): boolean {
    return this.report.shaderF16;
  }

  on(listener: GpuEngineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Throws when any uncaptured error was seen: tests and the trainer call this after GPU work. */
  assertNoErrors(): void {
    const failures = this.errors.filter((e) => e.type === 'uncapturedError' || !e.deliberate);
    if (failures.length > 0) {
      throw new Error(`WebGPU reported ${failures.length} error(s): ${failures.map((e) => e.message).join(' | ')}`);
    }
  }

  /**
   * Registers this device as the tfjs backend `webgpu` (kernels are registered under that name, so another name
   * would find none) and makes it current. Returns the backend for kernels that record their own dispatches.
   */
  async useAsTfjsBackend(priority = 3): Promise<WebGPUBackend> {
    ensureNavigatorGpu();
    // Not tf.findBackend: it throws for a registered async factory that has not run yet (what importing
    // tfjs-backend-webgpu in a page registers).
    if (tf.engine().registryFactory['webgpu'] != null) tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', () => new WebGPUBackend(this.device, this.adapterInfo), priority);
    const ok = await tf.setBackend('webgpu');
    if (!ok) throw new Error('tfjs could not initialise the webgpu backend on this device');
    return tf.backend() as WebGPUBackend;
  }

  destroy(): void {
    this.destroying = true;
    this.device.destroy();
  }

  private emit(event: GpuEngineEvent): void {
    if (event.type === 'uncapturedError' || !event.deliberate) this.errors.push(event);
    for (const listener of this.listeners) listener(event);
  }
}

/**
 * tfjs-backend-webgpu refuses to construct unless globalThis.navigator.gpu exists (Node 20 has no navigator).
 * Its value is never used by the backend once a device is passed in, so any truthy stand-in works.
 */
function ensureNavigatorGpu(): void {
  const g = globalThis as { navigator?: { gpu?: unknown } };
  if (g.navigator?.gpu) return;
  if (g.navigator == null) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu: {} }, configurable: true, writable: true });
  } else {
    Object.defineProperty(g.navigator, 'gpu', { value: {}, configurable: true });
  }
}

/** CPU emulations (SwiftShader, lavapipe/llvmpipe, WARP): kernels pick CPU-shaped variants for them. */
export function isSoftwareAdapter(info: GPUAdapterInfo): boolean {
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software|warp/.test(text);
}

/** Null when the GPU object offers no adapter (the caller falls back and says why). */
export async function createGpuEngine(gpu: GPU, options: CreateGpuEngineOptions = {}): Promise<GpuEngine | null> {
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (adapter == null) return null;
  const requiredFeatures: GPUFeatureName[] = [];
  if ((options.wantF16 ?? true) && adapter.features.has('shader-f16')) requiredFeatures.push('shader-f16');
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  const requiredLimits: Record<string, number> = {};
  for (const name of options.limits === 'default' ? [] : raisedLimits) {
    const value = (adapter.limits as unknown as Record<string, number>)[name];
    if (typeof value === 'number') requiredLimits[name] = value;
  }
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  const info = adapter.info;
  const limits: Record<string, number> = {};
  for (const name of reportedLimits) limits[name] = (device.limits as unknown as Record<string, number>)[name];
  const report: GpuDeviceReport = {
    vendor: info.vendor,
    architecture: info.architecture,
    device: info.device,
    description: info.description,
    isSoftware: isSoftwareAdapter(info),
    features: [...device.features].map(String).sort(),
    limits,
    shaderF16: device.features.has('shader-f16'),
    timestampQuery: device.features.has('timestamp-query'),
  };
  return new GpuEngine(gpu, device, info, report);
}

/** One line naming the adapter, e.g. `mesa llvmpipe (software) f16 timestamp`. */
export function describeAdapter(report: GpuDeviceReport): string {
  const name = [report.vendor, report.architecture, report.device || report.description].filter(Boolean).join(' ');
  const tags = [report.isSoftware ? 'software' : 'hardware', report.shaderF16 ? 'f16' : 'no-f16'];
  return `${name || 'unknown adapter'} (${tags.join(', ')})`;
}
