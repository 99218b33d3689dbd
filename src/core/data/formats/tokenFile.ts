/**
 * The original Flickr8K `Flickr8k.token.txt`: one caption a line, `name.jpg#N<TAB>caption`.
 * The real file has one quirk: line 6731 reads `2258277193_586949ec62.jpg.1#0`, a stray `.1` after the image
 * name. That line is the missing `#0` caption of 2258277193_586949ec62.jpg (its #1..#4 follow), so the key is
 * repaired and reported rather than dropped: the file then holds 8092 images with 5 captions each.
 */
import type { Problem } from '../types.ts';
import { type CaptionRow, type ParsedCaptions, quoteForMessage, tidyCaption } from './textFile.ts';

/** `name#N`, then a tab (or, tolerated, spaces), then the caption. */
const TOKEN_LINE = /^([^\t]*?)#(\d+)(?:\t|\s+)(.*)$/;
const TOKEN_LINE_NO_CAPTION = /^([^\t]*?)#(\d+)\s*$/;
/** An image name followed by a stray suffix such as `.1`. */
const STRAY_SUFFIX = /^(.+\.(?:jpe?g|png|gif|bmp|webp))(\.[^.]+)$/i;

/** True when the first non-empty line looks like a token-file line. */
export function looksLikeTokenFile(text: string): boolean {
  const first = text.split(/\r\n|\r|\n/, 20).find((line) => line.trim() !== '');
  return first !== undefined && /^[^\t,]+#\d+\t/.test(first);
}

export function parseTokenFile(text: string, file: string): ParsedCaptions {
  const rows: CaptionRow[] = [];
  const problems: Problem[] = [];
  const lines = text.split(/\r\n|\r|\n/);
  for (let index = 0; index < lines.length; index++) {
    const lineText = lines[index];
    const line = index + 1;
    if (lineText.trim() === '') continue;
    const match = TOKEN_LINE.exec(lineText);
    if (!match) {
      const bare = TOKEN_LINE_NO_CAPTION.exec(lineText);
      problems.push(
        bare
          ? { file, line, code: 'empty-caption', message: `empty caption for ${bare[1]} on line ${line}` }
          : {
              file,
              line,
              code: 'unparsable-line',
              message: `line ${line} is not "name.jpg#N<TAB>caption": ${quoteForMessage(lineText)}`,
            },
      );
      continue;
    }
    let image = match[1].trim();
    const caption = tidyCaption(match[3]);
    const stray = STRAY_SUFFIX.exec(image);
    if (stray) {
      problems.push({
        file,
        line,
        code: 'malformed-key',
        message: `key "${image}#${match[2]}" on line ${line} has a stray "${stray[2]}" after the image name; read as ${stray[1]}#${match[2]}`,
      });
      image = stray[1];
    }
    if (image === '') {
      problems.push({ file, line, code: 'unparsable-line', message: `line ${line} names no image` });
      continue;
    }
    if (caption === '') {
      problems.push({ file, line, code: 'empty-caption', message: `empty caption for ${image} on line ${line}` });
      continue;
    }
    rows.push({ image, caption, line });
  }
  return { rows, problems };
}
