/**
 * Running an exported run's train_ddp.py from tests: a python3 that imports torch and numpy (Debian's
 * python3-torch lives under /usr/bin/python3, which a pyenv or venv python3 on PATH may hide), launched as
 * one process, as N ranks with the env:// contract (what torchrun sets up; torchrun itself is broken on
 * Debian's torch 1.13 + Python 3.11), or through the script's own --nproc.
 */
import { spawn, spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';

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

/** A set of ranks still running after this long is hung (a healthy 2-rank epoch here takes seconds, 30 s on
 * a loaded machine): they are killed, and their output comes back with the reason, under the tests' 120 s
 * bound, so a hang fails with what each rank printed instead of a bare test timeout. */
const hangBoundMs = 90_000;

interface Launched {
  kill(): void;
  /** For a hang: each process prints its threads' stacks, then is killed. */
  abort(): void;
  done: Promise<PythonRun>;
}

function launch(args: string[], options: { cwd: string; env?: Record<string, string> }): Launched {
  // Its own process group: a kill reaches the ranks that `--nproc` starts too.
  const child = spawn(torchPython!, args, { cwd: options.cwd, env: { ...process.env, PYTHONFAULTHANDLER: '1', ...options.env }, detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<PythonRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? -1, stdout, stderr: signal ? `${stderr}\n[ended by ${signal}]` : stderr }));
  });
  const signal = (name: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid!, name);
    } catch {
      child.kill(name);
    }
  };
  const kill = () => signal('SIGKILL');
  // SIGABRT first: with PYTHONFAULTHANDLER set, each python prints where every thread of it stands.
  const abort = () => {
    signal('SIGABRT');
    setTimeout(kill, 3000).unref();
  };
  return { kill, abort, done };
}

/**
 * Waits for processes launched together under the hang bound: the first that fails ends the others (as
 * torchrun's local launcher does; a rank whose peer died would otherwise wait for it for torch's 30 minutes),
 * and past the bound each prints its stacks and is killed, its output then saying so.
 */
async function underBound(launched: Launched[], where: string): Promise<PythonRun[]> {
  launched.forEach(({ done }) => done.then((r) => r.code !== 0 && launched.forEach(({ kill }) => kill())));
  let hung = false;
  const bound = setTimeout(() => {
    hung = true;
    launched.forEach(({ abort }) => abort());
  }, hangBoundMs);
  try {
    const results = await Promise.all(launched.map((l) => l.done));
    if (hung) results.forEach((r) => (r.stderr += `\n[killed: still running after ${hangBoundMs / 1000} s${where}]`));
    return results;
  } finally {
    clearTimeout(bound);
  }
}

async function run(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<PythonRun> {
  const [result] = await underBound([launch(args, options)], '');
  return result;
}

/** One process: no process group (plain `python3 train_ddp.py`). */
export function runSingle(script: string, args: string[], cwd: string): Promise<PythonRun> {
  return run([script, ...args], { cwd, env: { OMP_NUM_THREADS: '1' } });
}

/** The script's own port picker (train_ddp.free_port): one implementation of where ranks meet. */
function meetingPort(script: string, cwd: string): string {
  const folder = resolve(cwd, dirname(script));
  const picked = spawnSync(torchPython!, ['-c', 'import sys; sys.path.insert(0, sys.argv[1]); from train_ddp import free_port; print(free_port())', folder], { encoding: 'utf8', timeout: 60_000 });
  if (picked.status !== 0) throw new Error(`train_ddp.free_port failed: ${picked.stderr}`);
  return picked.stdout.trim();
}

/** One start of `ranks` processes on one port. */
function startRanks(script: string, args: string[], cwd: string, ranks: number): Promise<PythonRun[]> {
  const port = meetingPort(script, cwd);
  const launched = Array.from({ length: ranks }, (_, rank) =>
    launch([script, ...args], {
      cwd,
      env: { MASTER_ADDR: '127.0.0.1', MASTER_PORT: port, WORLD_SIZE: String(ranks), RANK: String(rank), LOCAL_RANK: String(rank), LOCAL_WORLD_SIZE: String(ranks), OMP_NUM_THREADS: '1' },
    }),
  );
  return underBound(launched, ` on port ${port}`);
}

/** `ranks` processes joined through the env:// variables, as torchrun starts them; rank 0's output first.
 * Another program can still take the port between the pick and rank 0's bind; that start is retried on a
 * new port (rank 0 says 'Address already in use'), as one would rerun torchrun with another --master_port. */
export function runRanks(script: string, args: string[], cwd: string, ranks: number): Promise<PythonRun[]> {
  return onANewPortIfTaken(() => startRanks(script, args, cwd, ranks), (results) => results[0]);
}

/** A start of ranks, made again (up to 3 times in all, each picking a new port) while rank 0 says that
 * another program took its port before it bound it. */
async function onANewPortIfTaken<T>(start: () => Promise<T>, rank0: (result: T) => PythonRun): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const result = await start();
    if (attempt === 3 || !rank0(result).stderr.includes('Address already in use')) return result;
  }
}

/** The script's `--nproc N` (it starts its own ranks, on a port it picks with the same free_port): retried
 * as runRanks is, when another program took that port before rank 0 bound it. */
export function runNproc(script: string, args: string[], cwd: string, ranks: number): Promise<PythonRun> {
  return onANewPortIfTaken(() => run([script, ...args, '--nproc', String(ranks)], { cwd, env: { OMP_NUM_THREADS: '1' } }), (result) => result);
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
