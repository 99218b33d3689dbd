/**
 * train_ddp.py's JSON-lines log (stdout, and train_log.jsonl in the run folder) read back: the steps and
 * epochs of its last session (a `start` line opens each launch; a resumed run appends a new session),
 * and the row it makes in the studio's run comparison table.
 */
import { UserError } from '../../core/errors.ts';
import type { DdpLogRecord } from './runFormat.ts';

type Start = Extract<DdpLogRecord, { event: 'start' }>;
type Step = Extract<DdpLogRecord, { event: 'step' }>;
type Epoch = Extract<DdpLogRecord, { event: 'epoch' }>;

export interface DdpRunLog {
  start: Start;
  steps: Step[];
  epochs: Epoch[];
  /** The session wrote its `end` line (false: stopped or crashed). */
  finished: boolean;
  /** Sessions in the file (launches, resumes included). */
  sessions: number;
}

/**
 * Parses the log; a torn last line (a crash mid-write) is ignored, any other line that is not one of the
 * script's records is a UserError naming `file` and the line.
 */
export function parseDdpLog(text: string, file: string): DdpRunLog {
  const lines = text.split('\n');
  let current: DdpRunLog | null = null;
  let sessions = 0;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let record: DdpLogRecord;
    try {
      record = JSON.parse(line);
    } catch {
      if (i === lines.length - 1) return;
      throw new UserError(`not a JSON line of train_ddp.py's log`, { file, line: i + 1 });
    }
    if (record.event === 'start') {
      sessions += 1;
      current = { start: record, steps: [], epochs: [], finished: false, sessions };
    } else if (!current) {
      throw new UserError(`a ${String((record as { event?: unknown }).event)} record before any start record`, { file, line: i + 1 });
    } else if (record.event === 'step') (current as DdpRunLog).steps.push(record);
    else if (record.event === 'epoch') (current as DdpRunLog).epochs.push(record);
    else if (record.event === 'end') (current as DdpRunLog).finished = true;
    else throw new UserError(`unknown record ${JSON.stringify((record as { event?: unknown }).event)}`, { file, line: i + 1 });
  });
  if (!current) throw new UserError('no start record: not a log of train_ddp.py', { file });
  return { ...(current as DdpRunLog), sessions };
}

/** The run comparison table's fields (the store's RunSummary, less placement, which the studio adds). */
export interface DdpRunSummary {
  backend: string;
  precision: string;
  kernels: string;
  replicas: number;
  batchSize: number;
  steps: number;
  skippedSteps: number;
  medianTokensPerSecond: number | null;
  finalLoss: number | null;
  ended: string;
}

/** As the studio summarizes its own runs: median tokens/s after the first step, mean of the last 10 losses. */
export function summarizeDdpLog(log: DdpRunLog): DdpRunSummary {
  const rates = log.steps.slice(1).map((s) => s.tokensPerSecond).filter(Number.isFinite).sort((a, b) => a - b);
  const mid = rates.length >> 1;
  const median = rates.length === 0 ? null : rates.length % 2 ? rates[mid] : (rates[mid - 1] + rates[mid]) / 2;
  const losses = log.steps.map((s) => s.loss).filter(Number.isFinite).slice(-10);
  return {
    backend: `PyTorch DDP (${log.start.backend}, ${log.start.device})`,
    precision: log.start.precision,
    kernels: `torch ${log.start.torch}`,
    replicas: log.start.worldSize,
    batchSize: log.start.batchSize,
    steps: log.steps.length,
    skippedSteps: log.steps.filter((s) => s.skipped).length,
    medianTokensPerSecond: median,
    finalLoss: losses.length ? losses.reduce((a, b) => a + b, 0) / losses.length : null,
    ended: log.finished ? 'finished' : 'stopped',
  };
}
