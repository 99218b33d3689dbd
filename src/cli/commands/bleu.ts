/**
 * `caption-studio bleu --refs R.json --hyps H.json [--json]`: corpus BLEU-1..4 (nltk corpus_bleu semantics,
 * no smoothing, closest reference length) of one hypothesis per image against its references.
 * Tokenization: lowercase, then split on runs of whitespace (Python's `str.lower().split()`); nothing else is
 * removed, so punctuation stays attached to words and start/end markers count if present.
 */
import { isAbsolute, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { bleu1to4, whitespaceTokens } from '../../core/metrics/bleu.ts';
import { parseCommandArgs } from '../args.ts';
import type { Command } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { lineOfJsonKey, parseUserJson, readUserTextFile } from '../userErrors.ts';

const usage = `Usage: caption-studio bleu --refs R.json --hyps H.json [--json]

Corpus BLEU-1..4 (as nltk's corpus_bleu: no smoothing, closest reference length).
  --refs R.json   {"<image id>": ["reference caption", ...], ...}
  --hyps H.json   {"<image id>": "generated caption", ...}  (every id must be in R.json)
  --json          print {"bleu1":…,"bleu2":…,"bleu3":…,"bleu4":…,"images":N} instead of a table
Tokenization: lowercase, split on whitespace; punctuation and markers are kept as written.
`;

export interface BleuReport {
  bleu1: number;
  bleu2: number;
  bleu3: number;
  bleu4: number;
  /** Number of hypotheses scored. */
  images: number;
  tokenization: 'lowercase+whitespace';
}

function tokens(caption: string): string[] {
  return whitespaceTokens(caption.toLowerCase());
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks R.json's shape; each problem is a UserError naming the file and the entry's line. */
function readReferences(text: string, shownAs: string): Map<string, string[][]> {
  const parsed = parseUserJson(text, shownAs);
  if (!isPlainObject(parsed)) {
    throw new UserError('expected a JSON object mapping image id to a list of reference captions', {
      file: shownAs,
      line: 1,
    });
  }
  const references = new Map<string, string[][]>();
  for (const [id, value] of Object.entries(parsed)) {
    const line = lineOfJsonKey(text, id);
    if (!Array.isArray(value) || value.length === 0 || !value.every((caption) => typeof caption === 'string')) {
      throw new UserError(`references of '${id}' must be a non-empty list of strings`, { file: shownAs, line });
    }
    references.set(id, value.map(tokens));
  }
  if (references.size === 0) throw new UserError('no references in the file', { file: shownAs, line: 1 });
  return references;
}

function readHypotheses(text: string, shownAs: string): Map<string, string[]> {
  const parsed = parseUserJson(text, shownAs);
  if (!isPlainObject(parsed)) {
    throw new UserError('expected a JSON object mapping image id to one caption', { file: shownAs, line: 1 });
  }
  const hypotheses = new Map<string, string[]>();
  for (const [id, value] of Object.entries(parsed)) {
    if (typeof value !== 'string') {
      throw new UserError(`hypothesis of '${id}' must be a string`, { file: shownAs, line: lineOfJsonKey(text, id) });
    }
    hypotheses.set(id, tokens(value));
  }
  if (hypotheses.size === 0) throw new UserError('no hypotheses in the file', { file: shownAs, line: 1 });
  return hypotheses;
}

export function scoreFiles(refsText: string, refsName: string, hypsText: string, hypsName: string): BleuReport {
  const references = readReferences(refsText, refsName);
  const hypotheses = readHypotheses(hypsText, hypsName);
  const refs: string[][][] = [];
  const hyps: string[][] = [];
  for (const [id, hypothesis] of hypotheses) {
    const imageRefs = references.get(id);
    if (!imageRefs) {
      throw new UserError(`image '${id}' has no references in ${refsName}`, {
        file: hypsName,
        line: lineOfJsonKey(hypsText, id),
      });
    }
    refs.push(imageRefs);
    hyps.push(hypothesis);
  }
  return { ...bleu1to4(refs, hyps), images: hyps.length, tokenization: 'lowercase+whitespace' };
}

async function run(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    refs: { type: 'string' },
    hyps: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (values.refs === undefined) throw new UsageError('missing --refs R.json');
  if (values.hyps === undefined) throw new UsageError('missing --hyps H.json');
  const at = (path: string) => (isAbsolute(path) ? path : resolve(io.cwd, path));
  const refsText = await readUserTextFile(at(values.refs), values.refs);
  const hypsText = await readUserTextFile(at(values.hyps), values.hyps);
  const report = scoreFiles(refsText, values.refs, hypsText, values.hyps);
  if (values.json) {
    io.out(`${JSON.stringify(report)}\n`);
  } else {
    io.out(
      [
        `BLEU-1  ${report.bleu1.toFixed(4)}`,
        `BLEU-2  ${report.bleu2.toFixed(4)}`,
        `BLEU-3  ${report.bleu3.toFixed(4)}`,
        `BLEU-4  ${report.bleu4.toFixed(4)}`,
        `${report.images} images scored; tokenization: lowercase, split on whitespace`,
        '',
      ].join('\n'),
    );
  }
  return EXIT.ok;
}

export const bleuCommand: Command = {
  name: 'bleu',
  summary: 'BLEU-1..4 of generated captions against references (JSON files)',
  usage,
  run,
};
