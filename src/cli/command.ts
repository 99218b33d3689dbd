import type { CliIo } from './io.ts';

/**
 * One CLI command. Commands live one per file under commands/ and are listed (name, summary, lazy import)
 * in main.ts; a new command (train, caption, evaluate, info, bench) is a new file plus one entry there.
 */
export interface Command {
  name: string;
  /** One line saying what it does (the same as its entry in main.ts's COMMANDS). */
  summary: string;
  /** Full usage text shown by `caption-studio <name> --help` and after a usage error. */
  usage: string;
  /**
   * Runs the command with the arguments after its name. Throws UsageError for a wrong command line and
   * UserError (src/core/errors.ts) for bad input; returns the exit status otherwise (normally 0).
   */
  run(args: string[], io: CliIo): Promise<number>;
}
