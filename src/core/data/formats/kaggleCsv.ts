/**
 * Kaggle's Flickr8K `captions.txt`: CSV with the header `image,caption`, RFC 4180 quoting (`""` escapes a
 * quote inside a quoted field), LF or CRLF line ends, maybe a byte-order mark.
 *
 * Parsed with csv-parse's browser ESM build: its Node build (`csv-parse/sync`) calls Buffer, which a page or
 * worker lacks, while the browser build bundles what it needs and runs unchanged in Node.
 */
import { parse } from 'csv-parse/browser/esm/sync';
import type { Problem } from '../types.ts';
import {
  type CaptionRow,
  IMAGE_EXTENSION,
  lineOfOffset,
  lineStarts,
  quoteForMessage,
  splitLines,
  tidyCaption,
} from './textFile.ts';

export interface ParsedKaggleCsv {
  rows: CaptionRow[];
  /** Lines after the first one, verbatim, as the Kaggle notebook reads them (for the kaggle protocol). */
  rawLines: RawCsvLine[];
  problems: Problem[];
}

/** One line of captions.txt as the notebook reads it. */
export interface RawCsvLine {
  line: number;
  text: string;
  /**
   * The line where the CSV record holding this line starts: differs from `line` on the continuation lines of
   * a quoted caption that runs over several lines (the notebook reads each as a record of its own).
   */
  recordLine: number;
}

interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts. */
  line: number;
}

/** A line that starts like a captions.txt record: `name.jpg,` (`name.jpg#0,` also seen in the wild). */
const RECORD_START = /^[^,"\r\n]+\.(jpe?g|png|gif|bmp|webp)(#\d+)?,/i;
const LINE_BREAK_THEN_RECORD = /[\r\n]+([^\r\n]*)/g;

/** True when a quoted field ran over following lines that look like records of their own. */
function swallowedRecords(fields: string[]): boolean {
  for (const field of fields) {
    for (const match of field.matchAll(LINE_BREAK_THEN_RECORD)) {
      if (RECORD_START.test(match[1])) return true;
    }
  }
  return false;
}

/** Up to this many restarts after an unbalanced quote; each one re-parses the rest of the file. */
const MAX_RECOVERIES = 200;

/**
 * Records with their start lines. A stray opening quote makes RFC 4180 read everything up to the next quote
 * (often the rest of the file) as one field; such a record is reported and parsing restarts on the next line.
 */
function readRecords(text: string, file: string, problems: Problem[]): CsvRecord[] {
  const starts = lineStarts(text);
  // csv-parse reports where each record ends in UTF-8 bytes (`info.bytes`), so lines are found by byte offset.
  const byteStarts = utf8Offsets(text, starts);
  const records: CsvRecord[] = [];
  // parse() takes a Uint8Array too: the UTF-8 bytes, made once by the native encoder. Given a string, the browser
  // build converts it with its Buffer polyfill's JavaScript encoder, ~3 s for Flickr8K's 3.3 MB captions.txt,
  // and again for the rest of the file after each recovery.
  const bytes = new TextEncoder().encode(text);
  let segmentLine = 1;
  for (let recoveries = 0; segmentLine <= starts.length; recoveries++) {
    let parsedCount = 0;
    let failedAfter = -1;
    const segmentByte = byteStarts[segmentLine - 1];
    const parsed = parse(bytes.subarray(segmentByte), {
      info: true,
      relax_column_count: true,
      // A quote inside an unquoted field (`a "big" dog`) is kept as a character, as most writers mean it.
      relax_quotes: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      on_record: (record: string[]) => {
        parsedCount++;
        return record;
      },
      on_skip: () => {
        if (failedAfter < 0) failedAfter = parsedCount;
        return undefined;
      },
    }) as unknown as { record: string[]; info: { bytes: number } }[];
    const usable = failedAfter < 0 ? parsed : parsed.slice(0, failedAfter);
    let endByte = segmentByte;
    let badLine = -1;
    for (const { record, info } of usable) {
      const line = firstLineAtOrAfter(text, starts, byteStarts, endByte);
      endByte = segmentByte + info.bytes;
      if (swallowedRecords(record)) {
        badLine = line;
        break;
      }
      records.push({ fields: record, line });
    }
    if (badLine < 0 && failedAfter >= 0) badLine = firstLineAtOrAfter(text, starts, byteStarts, endByte);
    if (badLine < 0 || badLine > starts.length) break;
    const lineText = text.slice(starts[badLine - 1], starts[badLine] ?? text.length).replace(/[\r\n]+$/, '');
    problems.push({
      file,
      line: badLine,
      code: 'unparsable-line',
      message: `line ${badLine} opens a quote that is not closed on that line, skipped: ${quoteForMessage(lineText)}`,
    });
    if (recoveries >= MAX_RECOVERIES) {
      if (badLine < starts.length) {
        problems.push({
          file,
          line: badLine + 1,
          code: 'unparsable-line',
          message: `too many unbalanced quotes: lines ${badLine + 1} and after were not read`,
        });
      }
      break;
    }
    segmentLine = badLine + 1;
  }
  return records;
}

/** UTF-8 byte offset of each line start (what TextEncoder, and so csv-parse, makes of `text`). */
function utf8Offsets(text: string, starts: number[]): number[] {
  const offsets = new Array<number>(starts.length);
  let bytes = 0;
  let lineIndex = 0;
  for (let i = 0; i <= text.length; i++) {
    while (lineIndex < starts.length && starts[lineIndex] === i) offsets[lineIndex++] = bytes;
    if (i === text.length) break;
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return offsets;
}

/**
 * The line of the first character at or after byte `offset` that is not a line break (records start after
 * the previous record's end, past any empty lines); lines past the end give starts.length + 1.
 */
function firstLineAtOrAfter(text: string, starts: number[], byteStarts: number[], offset: number): number {
  let line = lineOfOffset(byteStarts, offset);
  // A record always ends right after a line break (or at the end), so `offset` is a line start.
  while (line <= starts.length) {
    const from = starts[line - 1];
    const to = starts[line] ?? text.length;
    if (/[^\r\n]/.test(text.slice(from, to))) return line;
    line++;
  }
  return line;
}

function isHeader(fields: string[]): boolean {
  return fields.length === 2 && fields[0].trim().toLowerCase() === 'image' && fields[1].trim().toLowerCase() === 'caption';
}

/** Parses a captions.txt; `text` is already decoded (no byte-order mark). Never throws on bad content. */
export function parseKaggleCsv(text: string, file: string): ParsedKaggleCsv {
  const problems: Problem[] = [];
  const records = readRecords(text, file, problems);
  const rows: CaptionRow[] = [];
  records.forEach((record, index) => {
    const { fields, line } = record;
    if (index === 0 && line === 1) {
      if (isHeader(fields)) return;
      if (!IMAGE_EXTENSION.test(fields[0]?.trim() ?? '')) {
        problems.push({
          file,
          line,
          code: 'unexpected-header',
          message: `header is ${quoteForMessage(fields.join(','))}, expected "image,caption"; read as a header anyway`,
        });
        return;
      }
      problems.push({
        file,
        line,
        code: 'missing-header',
        message: 'no "image,caption" header: line 1 is read as a caption (the Kaggle notebook skips it)',
      });
    }
    const image = (fields[0] ?? '').trim();
    if (fields.length < 2 || image === '') {
      problems.push({
        file,
        line,
        code: 'unparsable-line',
        message: `line ${line} is not "image,caption": ${quoteForMessage(fields.join(','))}`,
      });
      return;
    }
    let captionText = fields[1];
    if (fields.length > 2) {
      captionText = fields.slice(1).join(',');
      problems.push({
        file,
        line,
        code: 'unquoted-comma',
        message: `line ${line} has ${fields.length - 1} commas outside quotes; read everything after the first as the caption`,
      });
    }
    const caption = tidyCaption(captionText);
    if (caption === '') {
      problems.push({ file, line, code: 'empty-caption', message: `empty caption for ${image} on line ${line}` });
      return;
    }
    rows.push({ image, caption, line });
  });
  // Line breaks occur only inside quoted fields, so a record spans one line more than it holds breaks.
  const recordStart = new Map<number, number>();
  for (const { fields, line } of records) {
    const breaks = fields.reduce((sum, field) => sum + (field.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
    for (let continuation = 1; continuation <= breaks; continuation++) recordStart.set(line + continuation, line);
  }
  const rawLines = splitLines(text)
    .slice(1)
    .map((lineText, index) => ({ line: index + 2, text: lineText, recordLine: recordStart.get(index + 2) ?? index + 2 }));
  return { rows, rawLines, problems };
}
