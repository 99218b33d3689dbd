/**
 * One-line messages for a user's mistakes, and readers that raise them for the files a command is given.
 */
import { readFile, stat } from 'node:fs/promises';
import { UserError } from '../core/errors.ts';

/**
 * `file:line: message` on one line. The file is left out when the message already names it (core messages
 * often do), and newlines in the message are folded so the output stays one line.
 */
export function formatUserError(error: UserError): string {
  const message = error.message.replace(/\s*\n\s*/g, ' ').trim();
  if (!error.file) return message;
  const where = error.line === undefined ? error.file : `${error.file}:${error.line}`;
  if (message.includes(where)) return message;
  if (error.line === undefined && message.includes(error.file)) return message;
  return `${where}: ${message}`;
}

/** Reads a text file the user named; a missing or unreadable file is a UserError naming it. */
export async function readUserTextFile(path: string, shownAs: string): Promise<string> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new UserError('file not found', { file: shownAs });
  if (!info.isFile()) throw new UserError('not a file', { file: shownAs });
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { file: shownAs });
  }
}

/** 1-based line of a character offset. */
export function lineOfOffset(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * JSON.parse with a syntax error turned into a UserError naming the file and line. V8's messages carry the
 * offending offset ("… in JSON at position 12"), which is turned into a line number.
 */
export function parseUserJson(text: string, shownAs: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(message);
    const reason = message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
    const line = position ? lineOfOffset(text, Number(position[1])) : undefined;
    throw new UserError(`not valid JSON: ${reason}`, { file: shownAs, line });
  }
}

/** Line of the first occurrence of a JSON object key in the raw text (for messages about one entry). */
export function lineOfJsonKey(text: string, key: string): number | undefined {
  const at = text.indexOf(`${JSON.stringify(key)}`);
  return at < 0 ? undefined : lineOfOffset(text, at);
}
