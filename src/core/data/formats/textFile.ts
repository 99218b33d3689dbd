/** Decoding and line bookkeeping shared by the caption-file parsers. */
import type { Problem } from '../types.ts';

/** UTF-8 without the byte-order mark (TextDecoder drops it); invalid bytes become U+FFFD. */
export function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

/** Lines split on CRLF, CR or LF, as Python's universal newlines read them. */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

/** Char offsets where each line starts (index 0 is line 1), for mapping offsets back to line numbers. */
export function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10) starts.push(i + 1);
    else if (code === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** 1-based line of a char offset, by binary search over `lineStarts(text)`. */
export function lineOfOffset(starts: number[], offset: number): number {
  let low = 0;
  let high = starts.length - 1;
  while (low < high) {
    const mid = (low + high + 1) >> 1;
    if (starts[mid] <= offset) low = mid;
    else high = mid - 1;
  }
  return low + 1;
}

export const IMAGE_EXTENSION = /\.(jpe?g|png|gif|bmp|webp)$/i;

/** A caption as it will be stored: surrounding whitespace trimmed, inner line breaks turned into spaces. */
export function tidyCaption(caption: string): string {
  return caption.replace(/[\r\n]+/g, ' ').trim();
}

/** One parsed caption: image name as written, caption text, 1-based line. */
export interface CaptionRow {
  image: string;
  caption: string;
  line: number;
}

export interface ParsedCaptions {
  rows: CaptionRow[];
  problems: Problem[];
}

/** Shortens a line for a message so a 10 kB garbage line does not flood the UI. */
export function quoteForMessage(text: string, maxChars = 60): string {
  const oneLine = text.replace(/[\r\n\t]+/g, ' ');
  return JSON.stringify(oneLine.length > maxChars ? `${oneLine.slice(0, maxChars)}…` : oneLine);
}
