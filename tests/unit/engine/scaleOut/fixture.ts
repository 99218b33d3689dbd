/**
 * Running an exported run's train_ddp.py from tests: a python3 that imports torch and numpy (Debian's
 * python3-torch lives under /usr/bin/python3, which a pyenv or venv python3 on PATH may hide), launched as
 * one process, as N ranks with the env:// contract (what torchrun sets up; torchrun itself is broken on
 * Debian's torch 1.13 + Python 3.11), or through the script's own --nproc.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

const candidates = [process.env.CAPTION_STUDIO_PYTHON, 'python3', '/usr/bin/python3'].filter((c): c is string => Boolean(c));

/** The first python with torch and numpy, or null. */
export const torchPython: string | null =
  candidates.find((python) => spawnSync(python, ['-c', 'import torch, numpy, torch.distributed'], { stdio: 'ignore', timeout: 60_000 }).status === 0) ?? null;

export const torchMissing = torchPython
  ? ''
  : `no python3 with torch and numpy (tried ${candidates.join(', ')}): apt-get install python3-torch libopenblas0-pthread`;

export interface PythonRun {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<PythonRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(torchPython!, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** One process: no process group (plain `python3 train_ddp.py`). */
export function runSingle(script: string, args: string[], cwd: string): Promise<PythonRun> {
  return run([script, ...args], { cwd, env: { OMP_NUM_THREADS: '1' } });
}

/** `ranks` processes joined through the env:// variables, as torchrun starts them; rank 0's output first. */
export async function runRanks(script: string, args: string[], cwd: string, ranks: number): Promise<PythonRun[]> {
  const port = String(await freePort());
  return Promise.all(
    Array.from({ length: ranks }, (_, rank) =>
      run([script, ...args], {
        cwd,
        env: { MASTER_ADDR: '127.0.0.1', MASTER_PORT: port, WORLD_SIZE: String(ranks), RANK: String(rank), LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: String(ranks), OMP_NUM_THREADS: '1' },
      }),
    ),
  );
}

/** The script's `--nproc N` (it starts its own ranks). */
export function runNproc(script: string, args: string[], cwd: string, ranks: number): Promise<PythonRun> {
  return run([script, ...args, '--nproc', String(ranks)], { cwd, env: { OMP_NUM_THREADS: '1' } });
}

/** The JSON records of a run's stdout. */
export function records(stdout: string): Record<string, unknown>[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
}

export function stepLosses(stdout: string): number[] {
  return records(stdout)
    .filter((r) => r.event === 'step')
    .map((r) => r.loss as number);
}
