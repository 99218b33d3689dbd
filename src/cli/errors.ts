/**
 * A mistake in how the command was called (unknown option, missing argument): exit status 2, printed with
 * the command's usage text.
 */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit statuses of the CLI, documented in the README. */
export const EXIT = {
  ok: 0,
  /** Bad input: a file or folder that cannot be used; one line naming the file (and line). */
  badInput: 1,
  /** The command line itself is wrong; the usage text follows. */
  usage: 2,
  /** A bug in the studio (not the user's fault): the stack trace is printed. */
  internal: 3,
  /** `train --replicas N`: a replica failed (crash, exit, GPU error); it is named, the last checkpoint kept. */
  replicaFault: 4,
} as const;
