/**
 * Problem codes of the data core, and capping the list so it stays readable.
 *
 * loadDataset (file, line where it has one):
 *   unparsable-line          a caption line that does not parse (no comma / no `#N<TAB>`, unclosed quote)
 *   empty-caption            a caption with no text (dropped)
 *   unquoted-comma           CSV line with commas outside quotes (everything after the first kept as caption)
 *   missing-header           captions.txt without its `image,caption` header (line 1 read as data)
 *   unexpected-header        captions.txt header other than `image,caption` (skipped as a header)
 *   duplicate-caption        same image, same caption text again (kept, so counts match the file)
 *   malformed-key            token-file key like `2258277193_586949ec62.jpg.1#0` (repaired, caption kept)
 *   unknown-split            Karpathy split other than train/restval/val/test (image left without split)
 *   split-conflict           an image named by two split files (first kept)
 *   split-image-uncaptioned  a split file names an image with no caption
 *   image-missing            a captioned image not in the folder (captions kept, file: null)
 *   no-images                the folder has no image at all (one problem instead of one per image)
 *   image-uncaptioned        an image file no caption names
 *   not-an-image             a file in an image folder that is not an image (by extension or magic bytes)
 *   image-empty              a 0-byte image file
 *   image-truncated          an image whose end is missing
 *   links-not-followed       no images in a browser folder, which does not follow symbolic links (the likely why)
 * Folder listing (Folder.listProblems, Node folders):
 *   link-dangling            a symbolic link whose target does not exist (skipped)
 *   link-loop                a link to a folder that contains it (reported once, not walked)
 * buildCorpus (Corpus.problems):
 *   derived-split            standard protocol, dataset names no split: seeded 80/10/10
 *   not-in-split             standard protocol: images in no split file, left out (one problem)
 *   no-words                 standard protocol: a caption with no letters, left out
 *   kaggle-unmatched-id      kaggle protocol: the notebook's comma split made ids that name no image
 */
import type { Problem } from './types.ts';

/** Individual problems kept per code by default; the rest of that code become one summarizing problem. */
export const DEFAULT_MAX_PROBLEMS_PER_CODE = 20;

const DESCRIPTIONS: Record<string, string> = {
  'image-missing': 'captioned images that are not in the folder',
  'image-uncaptioned': 'images without a caption',
  'unparsable-line': 'lines that do not parse',
  'empty-caption': 'empty captions',
  'duplicate-caption': 'duplicate captions',
  'not-an-image': 'files that are not images',
  'image-empty': 'empty image files',
  'image-truncated': 'truncated images',
  'split-image-uncaptioned': 'split-file entries without captions',
  'unquoted-comma': 'lines with commas outside quotes',
};

/**
 * The first `maxPerCode` problems of each code, in order; where a code has more, one extra problem of the
 * same code (no line) stands where the next one would be and says how many were left out. On the real
 * Flickr8K folder (100 of 8091 images present) this turns 7991 'image-missing' problems into 21.
 */
export function capProblems(problems: Problem[], maxPerCode = DEFAULT_MAX_PROBLEMS_PER_CODE): Problem[] {
  const counts = new Map<string, number>();
  for (const problem of problems) counts.set(problem.code, (counts.get(problem.code) ?? 0) + 1);
  const seen = new Map<string, number>();
  const kept: Problem[] = [];
  for (const problem of problems) {
    const index = seen.get(problem.code) ?? 0;
    seen.set(problem.code, index + 1);
    if (index < maxPerCode) {
      kept.push(problem);
    } else if (index === maxPerCode) {
      const total = counts.get(problem.code) ?? 0;
      const more = total - maxPerCode;
      const what = DESCRIPTIONS[problem.code] ?? `"${problem.code}" problems`;
      kept.push({
        file: problem.file,
        code: problem.code,
        omitted: more,
        message: `…and ${more} more ${what} (${total} in all; only the first ${maxPerCode} are listed)`,
      });
    }
  }
  return kept;
}
