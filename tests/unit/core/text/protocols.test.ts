/** The two text protocols on small hand-made datasets (the real-data numbers are in data-flickr8k.test.ts). */
import { describe, expect, it } from 'vitest';
import { memoryFolder } from '../../../../src/core/data/folders.ts';
import { loadDataset } from '../../../../src/core/data/load.ts';
import { allCaptions, buildCorpus, kaggleCleanCaption, standardCleanCaption } from '../../../../src/core/text/protocols.ts';
import { pySplitWhitespace } from '../../../../src/core/text/python.ts';

const options = { checkImages: false } as const;

describe('kaggle protocol (the notebook, bugs included)', () => {
  it('cleans like the notebook: lowercase, no regex, words of one character dropped', () => {
    expect(kaggleCleanCaption('A child in a pink dress .')).toBe('startseq child in pink dress endseq');
    // The notebook's replace('[^A-Za-z]', '') is literal, so digits and punctuation of two chars survive.
    expect(kaggleCleanCaption('Two dogs , 3 balls ... "big" ones')).toBe('startseq two dogs balls ... "big" ones endseq');
    // replace('\\s+', ' ') is literal too: it only ever removes a typed "\s+".
    expect(kaggleCleanCaption('x\\s+yz')).toBe('startseq yz endseq');
    expect(kaggleCleanCaption('')).toBe('startseq  endseq');
  });

  it('splits quoted commas like line.split(","), keeps the quote characters, 90/10 split in file order', async () => {
    const lines = ['image,caption'];
    for (let i = 0; i < 10; i++) lines.push(`img${i}.jpg,A dog number ${i} runs .`);
    lines.push('img0.jpg,"A dog , a ball ""red"" ."');
    const ds = await loadDataset(memoryFolder('k', { 'captions.txt': lines.join('\r\n') }), options);
    const corpus = buildCorpus(ds, 'kaggle');
    expect(corpus.images.map((image) => image.split)).toEqual([...Array(9).fill('train'), 'test']);
    expect(corpus.images[0].name).toBe('img0.jpg');
    expect(corpus.images[0].captions[1]).toBe('startseq "a dog ball ""red"" ." endseq');
    expect(corpus.maxLength).toBe(Math.max(...allCaptions(corpus).map((c) => pySplitWhitespace(c).length)));
    expect(corpus.startToken).toBe('startseq');
  });

  it('names the line of each id that names no image: the first line of a multi-line quoted caption', async () => {
    const csv = [
      'image,caption',
      'a.jpg,A dog runs .',
      'b.jpg,"A cat sits',
      ',on a mat"',
      'c.jpg,"A cow',
      'grazes ."',
      '"d.jpg",A hen .',
    ].join('\n');
    const ds = await loadDataset(memoryFolder('k', { 'captions.txt': csv }), options);
    const problems = buildCorpus(ds, 'kaggle').problems;
    expect(problems.map((p) => [p.code, p.line, p.subject])).toEqual([
      ['kaggle-unmatched-id', 3, '""'],
      ['kaggle-unmatched-id', 5, '"grazes "'],
      ['kaggle-unmatched-id', 7, '"\\"d"'],
    ]);
    expect(problems[0].message).toContain('the image id "" on line 4, inside the quoted caption that starts on line 3');
    expect(problems[2].message).toContain('on line 7,');
  });

  it('applies the same cleaning to token files (commas become spaces)', async () => {
    const token = ['a.jpg#0\tA man , a dog .', 'b.jpg#0\tTwo cats'].join('\n');
    const ds = await loadDataset(memoryFolder('t', { 'Flickr8k.token.txt': token }), options);
    const corpus = buildCorpus(ds, 'kaggle');
    expect(corpus.images.map((image) => image.captions)).toEqual([['startseq man dog endseq'], ['startseq two cats endseq']]);
    expect(corpus.images.map((image) => image.split)).toEqual(['train', 'test']); // int(2 * 0.9) = 1
  });
});

describe('standard protocol', () => {
  it('keeps letters only, one-letter words included', () => {
    expect(standardCleanCaption('A dog\'s 2 balls, "red".')).toBe('a dog s balls red');
    expect(standardCleanCaption('Café!')).toBe('café');
    expect(standardCleanCaption('123 ...')).toBe('');
  });

  it('uses split files, leaves out images in no split, and reports it', async () => {
    const folder = memoryFolder('s', {
      'captions.txt': 'image,caption\na.jpg,A dog .\nb.jpg,A cat .\nc.jpg,A cow .\nd.jpg,123\n',
      'Flickr_8k.trainImages.txt': 'a.jpg\nd.jpg\n',
      'Flickr_8k.devImages.txt': 'b.jpg\n',
    });
    const corpus = buildCorpus(await loadDataset(folder, options), 'standard');
    expect(corpus.images.map((image) => [image.name, image.split, image.captions])).toEqual([
      ['a.jpg', 'train', ['startseq a dog endseq']],
      ['b.jpg', 'val', ['startseq a cat endseq']],
    ]);
    expect(corpus.problems.map((p) => p.code).sort()).toEqual(['no-words', 'not-in-split']);
    expect(corpus.problems.find((p) => p.code === 'no-words')?.line).toBe(5);
    expect(corpus.problems.find((p) => p.code === 'not-in-split')).toMatchObject({ line: 4, subject: 'c.jpg' });
    expect(corpus.maxLength).toBe(4);
  });

  it('derives a seeded 80/10/10 split when the dataset names none, and says so', async () => {
    const lines = ['image,caption', ...Array.from({ length: 50 }, (_, i) => `i${i}.jpg,Caption ${i}`)];
    const ds = await loadDataset(memoryFolder('d', { 'captions.txt': lines.join('\n') }), options);
    const first = buildCorpus(ds, 'standard', { seed: 7 });
    const again = buildCorpus(ds, 'standard', { seed: 7 });
    const other = buildCorpus(ds, 'standard', { seed: 8 });
    const count = (split: string) => first.images.filter((image) => image.split === split).length;
    expect([count('train'), count('val'), count('test')]).toEqual([40, 5, 5]);
    expect(again.images.map((i) => i.split)).toEqual(first.images.map((i) => i.split));
    expect(other.images.map((i) => i.split)).not.toEqual(first.images.map((i) => i.split));
    expect(first.problems.map((p) => p.code)).toEqual(['derived-split']);
  });
});
