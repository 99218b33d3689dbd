/**
 * Flickr8K's official split files: `Flickr_8k.trainImages.txt` (6000 names), `Flickr_8k.devImages.txt`
 * (1000, read as 'val') and `Flickr_8k.testImages.txt` (1000), one image name a line.
 */
import type { Problem, Split } from '../types.ts';

/** Which split a file name holds, or null when it is not a split file. */
export function splitOfFileName(fileName: string): Split | null {
  const match = /^flickr_?8k\.(train|dev|val|test)images\.txt$/i.exec(fileName);
  if (!match) return null;
  const kind = match[1].toLowerCase();
  return kind === 'train' ? 'train' : kind === 'test' ? 'test' : 'val';
}

export interface SplitAssignment {
  split: Split;
  file: string;
  line: number;
}

/** Adds each named image of one split file to `into`; an image already in another split keeps the first. */
export function readSplitFile(
  text: string,
  file: string,
  split: Split,
  into: Map<string, SplitAssignment>,
  problems: Problem[],
): void {
  text.split(/\r\n|\r|\n/).forEach((lineText, index) => {
    const image = lineText.trim();
    if (image === '') return;
    const line = index + 1;
    const earlier = into.get(image);
    if (earlier) {
      if (earlier.split !== split || earlier.file !== file) {
        problems.push({
          file,
          line,
          code: 'split-conflict',
          message: `${image} is also in ${earlier.file} (line ${earlier.line}); kept in ${earlier.split}`,
        });
      }
      return;
    }
    into.set(image, { split, file, line });
  });
}
