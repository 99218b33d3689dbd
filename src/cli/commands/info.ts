/**
 * `caption-studio info [--json]`: the tfjs backends this machine offers for training and captioning, with
 * the WebGPU adapter (Dawn in Node), its features and main limits where there is one.
 */
import * as tf from '@tensorflow/tfjs';
import { parseCommandArgs, positionals } from '../args.ts';
import type { Command } from '../command.ts';
import { EXIT } from '../errors.ts';
import type { CliIo } from '../io.ts';

const usage = `Usage: caption-studio info [--json]

Lists the backends this machine offers (wasm, cpu, webgpu through Dawn) and, for WebGPU, the adapter,
its features (shader-f16 enables mixed precision) and main limits.
`;

export interface BackendInfo {
  name: 'wasm' | 'cpu' | 'webgpu';
  available: boolean;
  /** Why not, when unavailable. */
  reason?: string;
  details?: Record<string, unknown>;
}

export interface InfoSummary {
  node: string;
  platform: string;
  cpus: number;
  tfjs: string;
  backends: BackendInfo[];
}

async function wasmInfo(): Promise<BackendInfo> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) return { name: 'wasm', available: false, reason: 'tfjs could not start it' };
    await tf.ready();
    return {
      name: 'wasm',
      available: true,
      details: { simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') },
    };
  } catch (error) {
    return { name: 'wasm', available: false, reason: (error as Error).message };
  }
}

async function webgpuInfo(): Promise<BackendInfo> {
  try {
    const { nodeGpu } = await import('../../gpu/nodeGpu.ts');
    const gpu = await nodeGpu();
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { name: 'webgpu', available: false, reason: 'Dawn found no WebGPU adapter (no GPU, no Vulkan driver such as Mesa lavapipe)' };
    const info = adapter.info ?? ({} as GPUAdapterInfo);
    const limits: Record<string, number> = {};
    for (const key of ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup']) {
      limits[key] = (adapter.limits as unknown as Record<string, number>)[key];
    }
    return {
      name: 'webgpu',
      available: true,
      details: {
        adapter: { vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description },
        features: [...adapter.features].sort(),
        shaderF16: adapter.features.has('shader-f16'),
        limits,
      },
    };
  } catch (error) {
    return { name: 'webgpu', available: false, reason: (error as Error).message };
  }
}

export async function info(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parseCommandArgs(args, { json: { type: 'boolean' } });
  positionals(rest, []);
  const { cpus } = await import('node:os');
  const backends = [await wasmInfo(), { name: 'cpu', available: true } as BackendInfo, await webgpuInfo()];
  const summary: InfoSummary = { node: process.version, platform: `${process.platform} ${process.arch}`, cpus: cpus().length, tfjs: tf.version.tfjs, backends };
  if (values.json) {
    io.out(`${JSON.stringify(summary, null, 1)}\n`);
    return EXIT.ok;
  }
  const lines = [`Node ${summary.node} on ${summary.platform}, ${summary.cpus} CPUs, tfjs ${summary.tfjs}`, 'Backends:'];
  for (const b of backends) {
    if (!b.available) {
      lines.push(`  ${b.name.padEnd(7)} unavailable: ${b.reason}`);
      continue;
    }
    if (b.name === 'webgpu') {
      const d = b.details as { adapter: Record<string, string>; features: string[]; shaderF16: boolean; limits: Record<string, number> };
      const name = [d.adapter.vendor, d.adapter.architecture, d.adapter.device || d.adapter.description].filter(Boolean).join(' / ');
      lines.push(`  webgpu  ${name} (shader-f16: ${d.shaderF16 ? 'yes' : 'no'})`);
      lines.push(`          features: ${d.features.join(', ') || 'none'}`);
      lines.push(`          limits: ${Object.entries(d.limits).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    } else if (b.name === 'wasm') {
      lines.push(`  wasm    available (SIMD: ${b.details?.simd ? 'yes' : 'no'}, threads: ${b.details?.threads ? 'yes' : 'no'})`);
    } else lines.push(`  ${b.name.padEnd(7)} available`);
  }
  io.out(`${lines.join('\n')}\n`);
  return EXIT.ok;
}

export const infoCommand: Command = {
  name: 'info',
  summary: 'list the backends this machine offers (WebGPU adapter and features where present)',
  usage,
  run: info,
};
