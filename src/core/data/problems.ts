/**
 * Problem codes of the data core, and grouping them so a long list stays readable.
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
 *   not-in-split             standard protocol: an image in no split file, left out
 *   no-words                 standard protocol: a caption with no letters, left out
 *   kaggle-unmatched-id      kaggle protocol: the notebook's comma split made an id that names no image
 *
 * The loader and the protocols report every problem, one per image or line (the full list is what a
 * download holds); groupProblems turns many of one kind into one line for people to read.
 */
import type { Problem } from './types.ts';

/** A kind with at least this many problems is shown as one line; fewer are listed one by one. */
export const GROUP_FROM = 4;
/** Examples named in a group's line. */
export const GROUP_EXAMPLES = 3;

/** One line of the warnings list: a single problem, or every problem of one kind (code) summarized. */
export interface ProblemGroup {
  code: string;
  /** The file the problems are in; for problems in several files, their common folder ('Images/') or ''. */
  file: string;
  /** The line, for a group of one problem that has one. */
  line?: number;
  count: number;
  /** The problem's own message, or for many: how many, what, and a few examples. */
  message: string;
  /** Every problem of the group, in order. */
  problems: Problem[];
}

const count = (n: number): string => n.toLocaleString('en-US');

/** The line for many problems of one kind (without the examples); `file` is where they are. */
const SUMMARIES: Record<string, (n: string, file: string) => string> = {
  'image-missing': (n, file) => `${n} images named in ${file} are not in the folder (their captions count in statistics, not in training)`,
  'image-uncaptioned': (n) => `${n} image files have no caption; not used`,
  'unparsable-line': (n, file) => `${n} lines of ${file} do not parse; skipped`,
  'empty-caption': (n, file) => `${n} empty captions in ${file}; dropped`,
  'duplicate-caption': (n, file) => `${n} captions in ${file} repeat an earlier caption of the same image; kept`,
  'unquoted-comma': (n, file) => `${n} lines of ${file} have commas outside quotes; everything after the first comma read as the caption`,
  'malformed-key': (n, file) => `${n} keys in ${file} are malformed (repaired, captions kept)`,
  'not-an-image': (n) => `${n} files in the image folder are not images; skipped`,
  'image-empty': (n) => `${n} image files are empty (0 bytes); skipped`,
  'image-truncated': (n) => `${n} image files are truncated; skipped`,
  'split-image-uncaptioned': (n, file) => `${n} images named in ${file} have no caption; left out`,
  'split-conflict': (n, file) => `${n} images in ${file} are also in another split file; the first split kept`,
  'not-in-split': (n, file) => `${n} images in ${file} are in no split file: left out of the standard protocol`,
  'no-words': (n, file) => `${n} captions in ${file} have no letters; left out of the standard protocol`,
  'kaggle-unmatched-id': (n, file) =>
    `${n} image ids that the notebook's line.split(',') reading makes from ${file} name no image; kept, as the notebook keeps them`,
  'unknown-split': (n, file) => `${n} images in ${file} have a split other than train/restval/val/test; left without a split`,
};

function commonFile(problems: readonly Problem[]): string {
  const first = problems[0].file;
  if (problems.every((problem) => problem.file === first)) return first;
  let prefix = first.slice(0, first.lastIndexOf('/') + 1);
  while (prefix !== '' && !problems.every((problem) => problem.file.startsWith(prefix))) {
    prefix = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
  }
  return prefix;
}

function example(problem: Problem): string {
  if (problem.subject !== undefined) return problem.subject;
  return problem.line !== undefined ? `line ${problem.line}` : problem.file;
}

/**
 * The warnings as people read them: problems of a kind that has fewer than `groupFrom` stay one line each;
 * a kind with more becomes one line, where its first problem was, with the count and the first few examples
 * ("7,991 images named in captions.txt are not in the folder …: 1000268201_693b08cb0e.jpg, …"). Every
 * problem stays in its group's `problems`, so nothing is lost by summarizing.
 */
export function groupProblems(
  problems: readonly Problem[],
  options: { groupFrom?: number; examples?: number } = {},
): ProblemGroup[] {
  const groupFrom = options.groupFrom ?? GROUP_FROM;
  const examples = options.examples ?? GROUP_EXAMPLES;
  const byCode = new Map<string, Problem[]>();
  for (const problem of problems) {
    const list = byCode.get(problem.code);
    if (list) list.push(problem);
    else byCode.set(problem.code, [problem]);
  }
  const groups: ProblemGroup[] = [];
  const summarized = new Set<string>();
  for (const problem of problems) {
    const kind = byCode.get(problem.code) as Problem[];
    if (kind.length < groupFrom) {
      groups.push({ code: problem.code, file: problem.file, line: problem.line, count: 1, message: problem.message, problems: [problem] });
      continue;
    }
    if (summarized.has(problem.code)) continue;
    summarized.add(problem.code);
    const file = commonFile(kind);
    const what = SUMMARIES[problem.code]?.(count(kind.length), file || 'several files') ?? `${count(kind.length)} "${problem.code}" problems`;
    const named = kind.slice(0, examples).map(example);
    groups.push({
      code: problem.code,
      file,
      count: kind.length,
      message: `${what}: ${named.join(', ')}${kind.length > named.length ? ', …' : ''}`,
      problems: kind,
    });
  }
  return groups;
}
