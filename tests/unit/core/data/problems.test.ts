/** Many problems of one kind read as one line; a few stay one line each; nothing is lost by grouping. */
import { describe, expect, it } from 'vitest';
import { groupProblems } from '../../../../src/core/data/problems.ts';
import type { Problem } from '../../../../src/core/data/types.ts';

const missing = (index: number): Problem => ({
  file: 'captions.txt',
  line: 2 + index * 5,
  subject: `img${index}.jpg`,
  code: 'image-missing',
  message: `img${index}.jpg (line ${2 + index * 5}) is not in the folder`,
});

describe('groupProblems', () => {
  it('summarizes a kind with many problems in one line: count, file, the first examples', () => {
    const problems: Problem[] = [
      { file: 'captions.txt', line: 9, code: 'empty-caption', message: 'empty caption for x.jpg on line 9' },
      ...Array.from({ length: 1234 }, (_, index) => missing(index)),
    ];
    const groups = groupProblems(problems);
    expect(groups.map((g) => [g.code, g.count])).toEqual([['empty-caption', 1], ['image-missing', 1234]]);
    expect(groups[0]).toMatchObject({ file: 'captions.txt', line: 9, message: 'empty caption for x.jpg on line 9' });
    expect(groups[1].message).toBe(
      '1,234 images named in captions.txt are not in the folder (their captions count in statistics, not in training): img0.jpg, img1.jpg, img2.jpg, …',
    );
    expect(groups[1].file).toBe('captions.txt');
    expect(groups[1].line).toBeUndefined();
    expect(groups[1].problems).toEqual(problems.slice(1));
  });

  it('keeps a kind with fewer than four problems as single lines, in their order', () => {
    const problems = [missing(0), missing(1), missing(2)];
    expect(groupProblems(problems).map((g) => [g.count, g.line])).toEqual([[1, 2], [1, 7], [1, 12]]);
    expect(groupProblems([...problems, missing(3)]).map((g) => g.count)).toEqual([4]);
  });

  it('names the common folder of problems in several files, and lines where a problem has no subject', () => {
    const files = ['Images/a.png', 'Images/b.png', 'Images/sub/c.png', 'Images/d.png'].map(
      (file): Problem => ({ file, code: 'image-uncaptioned', message: `${file} has no caption` }),
    );
    const [group] = groupProblems(files);
    expect(group.file).toBe('Images/');
    expect(group.message).toBe('4 image files have no caption; not used: Images/a.png, Images/b.png, Images/sub/c.png, …');
    const lines = [3, 5, 8, 13].map((line): Problem => ({ file: 't.txt', line, code: 'unparsable-line', message: `line ${line}` }));
    expect(groupProblems(lines)[0].message).toBe('4 lines of t.txt do not parse; skipped: line 3, line 5, line 8, …');
    expect(groupProblems(lines, { examples: 4 })[0].message).toBe('4 lines of t.txt do not parse; skipped: line 3, line 5, line 8, line 13');
  });
});
