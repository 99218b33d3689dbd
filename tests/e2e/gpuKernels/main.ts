import { runCheck, type CheckResult } from './check';

declare global {
  interface Window {
    gpuCheck?: { page: CheckResult; worker: CheckResult };
  }
}

async function main(): Promise<void> {
  const page = await runCheck('page');
  const worker = await new Promise<CheckResult>((resolve) => {
    const w = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (event: MessageEvent<CheckResult>) => resolve(event.data);
    w.onerror = (event) => resolve({ where: 'worker', adapter: '', shaderF16: false, stockLosses: [], fusedLosses: [], captionStockLosses: [], captionFusedLosses: [], gpuErrors: [], error: event.message });
  });
  window.gpuCheck = { page, worker };
  document.getElementById('out')!.textContent = JSON.stringify(window.gpuCheck, null, 2);
}

void main();
