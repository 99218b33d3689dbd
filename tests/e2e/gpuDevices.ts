/**
 * Test-side access to the page's real GPUDevices, so a test can lose one for real (device.destroy()) without
 * any hook in the app. An init script, run before the app's own scripts, records every device that
 * GPUAdapter.requestDevice returns in `self.__gpuDevices`; module workers the page starts (the mirrored
 * replicas) are started through a small module that installs the same recorder first and then imports the
 * worker's own script, so each worker's devices are recorded in that worker.
 */
import type { Page, Worker } from 'playwright-core';

/** Runs in the page and in each module worker before the app's code. */
function recordDevices(): void {
  const scope = self as unknown as { __gpuDevices?: GPUDevice[]; GPUAdapter?: { prototype: GPUAdapter } };
  if (scope.__gpuDevices || !scope.GPUAdapter) return;
  const devices: GPUDevice[] = (scope.__gpuDevices = []);
  const requestDevice = scope.GPUAdapter.prototype.requestDevice;
  scope.GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, descriptor?: GPUDeviceDescriptor) {
    const device = await requestDevice.call(this, descriptor);
    devices.push(device);
    return device;
  };
}

function wrapWorkers(recorder: string): void {
  const NativeWorker = self.Worker;
  if (!NativeWorker) return;
  self.Worker = class extends NativeWorker {
    constructor(url: string | URL, options?: WorkerOptions) {
      if (options?.type !== 'module') {
        super(url, options);
        return;
      }
      const blob = (text: string) => URL.createObjectURL(new Blob([text], { type: 'text/javascript' }));
      // Module evaluation order: the recorder's module runs before the worker's own script.
      const first = blob(`(${recorder})();`);
      super(blob(`import ${JSON.stringify(first)};\nimport ${JSON.stringify(new URL(url, location.href).href)};`), options);
    }
  } as typeof Worker;
}

export async function recordGpuDevices(page: Page): Promise<void> {
  await page.addInitScript(`(${recordDevices.toString()})(); (${wrapWorkers.toString()})(${JSON.stringify(recordDevices.toString())});`);
}

/** Destroys the newest device recorded in the page or in a worker; resolves once it reports itself lost. */
export async function destroyNewestDevice(where: Page | Worker): Promise<string> {
  return (where as Page).evaluate(async () => {
    const devices = (self as unknown as { __gpuDevices?: GPUDevice[] }).__gpuDevices ?? [];
    const device = devices.at(-1);
    if (!device) throw new Error('no GPU device was recorded here');
    device.destroy();
    const info = await device.lost;
    return `${info.reason}: ${info.message}`;
  });
}

/** The replica workers that hold a recorded GPU device. */
export async function workersWithDevices(page: Page): Promise<Worker[]> {
  const found: Worker[] = [];
  for (const worker of page.workers()) {
    const count = await worker.evaluate(() => ((self as unknown as { __gpuDevices?: GPUDevice[] }).__gpuDevices ?? []).length).catch(() => 0);
    if (count > 0) found.push(worker);
  }
  return found;
}
