/**
 * Errors caused by a user's input (a bad folder, a bad file). They carry the file and line so the UI and the
 * CLI can print one clear line without a stack trace; anything that is not a UserError is a bug.
 */
export class UserError extends Error {
  /** Path of the offending file (relative to the folder the user picked), when there is one. */
  readonly file?: string;
  /** 1-based line in `file`, when there is one. */
  readonly line?: number;

  constructor(message: string, options: { file?: string; line?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.file = options.file;
    this.line = options.line;
  }
}

/** A folder or file that cannot be used as a caption dataset at all (nothing usable in it). */
export class DatasetError extends UserError {
  constructor(message: string, options: { file?: string; line?: number; cause?: unknown } = {}) {
    super(message, options);
    this.name = 'DatasetError';
  }
}

/** True for errors that describe a user's mistake (print the message only, exit status 1). */
export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}
