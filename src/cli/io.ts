/**
 * What a command may touch of the outside world, injectable so tests can run commands in-process.
 */
export interface CliIo {
  /** Writes to standard output (text is written as given: add the newline yourself). */
  out(text: string): void;
  /** Writes to standard error. */
  err(text: string): void;
  /** Directory that relative paths on the command line are resolved against. */
  cwd: string;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  cwd: process.cwd(),
};
