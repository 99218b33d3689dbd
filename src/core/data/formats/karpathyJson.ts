/**
 * Karpathy's `dataset_flickr8k.json`: `{images: [{filename, split, sentences: [{raw, tokens}]}]}` with split
 * 'train' | 'val' | 'test' | 'restval' ('restval' is training data Karpathy set aside; read as train).
 */
import type { Problem, Split } from '../types.ts';
import { lineOfOffset, lineStarts, tidyCaption } from './textFile.ts';

export interface KarpathyRow {
  image: string;
  caption: string;
  line: number;
  split: Split | null;
}

export type ParsedKarpathy =
  | { ok: true; rows: KarpathyRow[]; problems: Problem[] }
  | { ok: false; message: string; line?: number };

const SPLITS: Record<string, Split> = { train: 'train', restval: 'train', val: 'val', test: 'test' };

export function looksLikeKarpathyJson(text: string): boolean {
  return /^\s*\{/.test(text) && /"images"\s*:/.test(text) && /"sentences"\s*:/.test(text);
}

interface KarpathyImage {
  filename?: unknown;
  split?: unknown;
  sentences?: unknown;
}

/** Line of the n-th `"raw":` key in the text: JSON.parse keeps no positions, and sentences come in order. */
function rawKeyLines(text: string): number[] {
  const starts = lineStarts(text);
  return [...text.matchAll(/"raw"\s*:/g)].map((match) => lineOfOffset(starts, match.index));
}

export function parseKarpathyJson(text: string, file: string): ParsedKarpathy {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    const position = /position (\d+)/.exec(detail);
    const line = position ? lineOfOffset(lineStarts(text), Number(position[1])) : undefined;
    return { ok: false, message: `${file} is not valid JSON: ${detail}`, line };
  }
  const images = (data as { images?: unknown } | null)?.images;
  if (!Array.isArray(images)) return { ok: false, message: `${file} has no "images" list`, line: 1 };
  const rawLines = rawKeyLines(text);
  let sentenceIndex = 0;
  const rows: KarpathyRow[] = [];
  const problems: Problem[] = [];
  images.forEach((entry: KarpathyImage, imageIndex) => {
    const sentences = Array.isArray(entry?.sentences) ? (entry.sentences as unknown[]) : [];
    const firstLine = rawLines[sentenceIndex] ?? 1;
    if (typeof entry?.filename !== 'string' || entry.filename.trim() === '') {
      problems.push({
        file,
        line: firstLine,
        code: 'unparsable-line',
        message: `images[${imageIndex}] has no "filename"; its ${sentences.length} sentences are skipped`,
      });
      sentenceIndex += sentences.filter((s) => typeof (s as { raw?: unknown })?.raw === 'string').length;
      return;
    }
    const image = entry.filename.trim();
    const split = typeof entry.split === 'string' ? (SPLITS[entry.split] ?? null) : null;
    if (typeof entry.split === 'string' && !(entry.split in SPLITS)) {
      problems.push({
        file,
        line: firstLine,
        code: 'unknown-split',
        message: `${image} has split "${entry.split}"; expected train, restval, val or test; left without a split`,
      });
    }
    sentences.forEach((sentence, index) => {
      const raw = (sentence as { raw?: unknown; tokens?: unknown })?.raw;
      const tokens = (sentence as { tokens?: unknown })?.tokens;
      const line = typeof raw === 'string' ? (rawLines[sentenceIndex++] ?? firstLine) : firstLine;
      const text =
        typeof raw === 'string' ? raw : Array.isArray(tokens) ? tokens.filter((t) => typeof t === 'string').join(' ') : null;
      if (text === null) {
        problems.push({
          file,
          line,
          code: 'unparsable-line',
          message: `${image} sentence ${index} has neither "raw" nor "tokens"`,
        });
        return;
      }
      const caption = tidyCaption(text);
      if (caption === '') {
        problems.push({ file, line, code: 'empty-caption', message: `empty caption for ${image} (sentence ${index})` });
        return;
      }
      rows.push({ image, caption, line, split });
    });
  });
  return { ok: true, rows, problems };
}
