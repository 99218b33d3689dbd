/**
 * `caption-studio import-run <dir> --out <model-dir> [--epoch N]`: the checkpoint train_ddp.py wrote in an
 * exported run folder → the studio's model folder (for caption, evaluate, the studio, train --resume).
 * Every file is checked before the model folder is written, atomically.
 */
import { isAbsolute, resolve } from 'node:path';
import { nodeFolder } from '../../engine/platform/nodeFolder.ts';
import { importRunCheckpoint } from '../../engine/scaleOut/importRun.ts';
import { writeFolderAtomically } from '../../engine/scaleOut/nodeFiles.ts';
import { summarizeDdpLog } from '../../engine/scaleOut/runLog.ts';
import { integerOption, parseCommandArgs, positionals } from '../args.ts';
import type { Command } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';

const usage = `Usage: caption-studio import-run <run-dir> --out <model-dir> [options]

Turns the checkpoint that train_ddp.py wrote in a run folder from \`caption-studio export-run\`
(checkpoints/epoch_NNNN: plain .npy weights, Adam state, state.json) into a studio model folder that
\`caption\`, \`evaluate\`, the studio's Model panel and \`train --resume\` use.
  --out D           model folder to write (must not exist or be empty, unless --force)
  --epoch N         the checkpoint of epoch N (default: the last one)
  --force           replace an existing --out folder
  --json            print a JSON summary (with the run's log summary, when train_log.jsonl is there)
`;

export async function importRun(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parseCommandArgs(args, {
    out: { type: 'string' },
    epoch: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const [runArg] = positionals(rest, ['run-dir']);
  if (values.out === undefined) throw new UsageError('missing --out <model-dir>');
  const epoch = values.epoch === undefined ? undefined : integerOption(values.epoch, 'epoch', 1, 1, 1e9);
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(io.cwd, path));
  const imported = await importRunCheckpoint(nodeFolder(at(runArg)), { epoch });
  await writeFolderAtomically(at(values.out), imported.files, { replace: values.force === true, shownAs: values.out });
  const log = imported.log ? summarizeDdpLog(imported.log) : null;
  if (values.json) {
    io.out(`${JSON.stringify({ out: at(values.out), runId: imported.run.runId, epoch: imported.epoch, step: imported.step, worldSize: imported.worldSize, log })}\n`);
  } else {
    const speed = log?.medianTokensPerSecond ? `, median ${log.medianTokensPerSecond.toFixed(0)} tokens/s, last loss ${log.finalLoss?.toFixed(4)}` : '';
    io.out(`imported epoch ${imported.epoch} (step ${imported.step}, ${imported.worldSize} ranks${speed}) of run ${imported.run.runId} into ${values.out}\n`);
  }
  return EXIT.ok;
}

export const importRunCommand: Command = {
  name: 'import-run',
  summary: 'turn a train_ddp.py checkpoint of an exported run into a studio model folder',
  usage,
  run: (args, io) => importRun(args, io),
};
