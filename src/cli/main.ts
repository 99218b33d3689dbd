/**
 * `caption-studio` dispatch: picks the command, runs it, and turns errors into exit statuses.
 *   0 success · 1 bad input (one line naming the file and line) · 2 usage error (with usage) · 3 a bug
 *   (train also: 4 a mirrored replica failed, 130 stopped by Ctrl-C)
 * A user's mistake never prints a stack trace; only errors that are not UserError/UsageError (bugs) do.
 */
import { isUserError } from '../core/errors.ts';
import type { Command } from './command.ts';
import { EXIT, UsageError } from './errors.ts';
import { processIo, type CliIo } from './io.ts';
import { formatUserError } from './userErrors.ts';

/**
 * A command as the dispatcher knows it: name and summary for the overview, and its module imported only when
 * it runs, so `stats` does not pay for loading tfjs that `extract` and `train` need.
 */
export interface CommandEntry {
  name: string;
  /** One line for the overview of `caption-studio --help`. */
  summary: string;
  load(): Promise<Command>;
}

/** Every command, in the order `--help` lists them. Later commands (train, caption, …) slot in here. */
export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'stats',
    summary: 'statistics of a caption dataset folder (counts, lengths, vocabulary, splits, warnings)',
    load: async () => (await import('./commands/stats.ts')).statsCommand,
  },
  {
    name: 'bleu',
    summary: 'BLEU-1..4 of generated captions against references (JSON files)',
    load: async () => (await import('./commands/bleu.ts')).bleuCommand,
  },
  {
    name: 'demo',
    summary: 'write the generated demo dataset as a Flickr8K-style folder',
    load: async () => (await import('./commands/demo.ts')).demoCommand,
  },
  {
    name: 'extract',
    summary: 'image features (VGG16 fc2, MobileNet or the demo CNN) of a dataset folder into a feature file, resumable',
    load: async () => (await import('./commands/extract.ts')).extractCommand,
  },
  {
    name: 'train',
    summary: 'train the caption model on a dataset folder and its extracted features',
    load: async () => (await import('./commands/train.ts')).trainCommand,
  },
  {
    name: 'export-run',
    summary: 'write a training run as a folder for PyTorch DistributedDataParallel (data, initial weights, train_ddp.py)',
    load: async () => (await import('./commands/exportRun.ts')).exportRunCommand,
  },
  {
    name: 'import-run',
    summary: 'turn a train_ddp.py checkpoint of an exported run into a studio model folder',
    load: async () => (await import('./commands/importRun.ts')).importRunCommand,
  },
  {
    name: 'caption',
    summary: 'caption images with a trained model (greedy or beam search)',
    load: async () => (await import('./commands/caption.ts')).captionCommand,
  },
  {
    name: 'evaluate',
    summary: 'BLEU-1..4 of a trained model on the test split of a dataset folder',
    load: async () => (await import('./commands/evaluate.ts')).evaluateCommand,
  },
  {
    name: 'import-keras',
    summary: "the notebook's trained Keras model (.h5 or .keras) as a model folder, without TensorFlow",
    load: async () => (await import('./commands/importKeras.ts')).importKerasCommand,
  },
  {
    name: 'info',
    summary: 'the backends this machine offers (WebGPU adapter and features where present)',
    load: async () => (await import('./commands/info.ts')).infoCommand,
  },
];

export function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    'Usage: caption-studio <command> [options]',
    '',
    'Commands:',
    ...lines,
    '',
    "Run 'caption-studio <command> --help' for a command's options.",
    'Exit status: 0 success, 1 bad input, 2 usage error, 3 internal error (a bug), 4 a training replica failed,',
    '130 stopped by Ctrl-C (train keeps the last finished epoch).',
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined) {
    io.err(`caption-studio: missing command\n\n${overview()}`);
    return EXIT.usage;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return EXIT.ok;
  }
  const entry = COMMANDS.find((candidate) => candidate.name === name);
  if (!entry) {
    io.err(`caption-studio: unknown command '${name}'\n\n${overview()}`);
    return EXIT.usage;
  }
  const command = await entry.load();
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`caption-studio ${command.name}: ${error.message}\n\n${command.usage}`);
      return EXIT.usage;
    }
    if (isUserError(error)) {
      io.err(`caption-studio ${command.name}: ${formatUserError(error)}\n`);
      return EXIT.badInput;
    }
    io.err(`caption-studio ${command.name}: internal error (a bug, please report it):\n`);
    io.err(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.internal;
  }
}
