/** Caption formats, content detection, folder layouts and the browser folder adapters. */
import { describe, expect, it } from 'vitest';
import { memoryFolder } from '../../../../src/core/data/folders.ts';
import { directoryHandleFolder, fileListFolder } from '../../../../src/ui/browser/folders.ts';
import { loadDataset } from '../../../../src/core/data/load.ts';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 0xff, 0xd9]);

describe('Kaggle captions.txt', () => {
  it('reads a BOM, CRLF, quoted commas and "" escapes, with the right line numbers', async () => {
    const csv =
      '\ufeffimage,caption\r\n' +
      'a.jpg,"A dog , a ball and a ""stick"" ."\r\n' +
      '\r\n' +
      'a.jpg,Plain caption\r\n' +
      'b.jpg,"Two lines\r\nin one quoted field"\r\n' +
      'b.jpg,A "quoted" word inside\r\n';
    const ds = await loadDataset(memoryFolder('k', { 'captions.txt': csv, 'a.jpg': JPEG, 'b.jpg': JPEG }));
    expect(ds.format).toBe('kaggle-csv');
    expect(ds.images.map((r) => [r.name, r.captions, r.captionLines])).toEqual([
      ['a.jpg', ['A dog , a ball and a "stick" .', 'Plain caption'], [2, 4]],
      ['b.jpg', ['Two lines in one quoted field', 'A "quoted" word inside'], [5, 7]],
    ]);
    expect(ds.problems).toEqual([]);
    // The notebook's view: physical lines after the header, verbatim (BOM-free, line ends removed).
    expect(ds.rawCsvLines?.slice(0, 2)).toEqual([
      { line: 2, text: 'a.jpg,"A dog , a ball and a ""stick"" ."', recordLine: 2 },
      { line: 3, text: '', recordLine: 3 },
    ]);
    // The second line of the quoted caption that starts on line 5 belongs to that record.
    expect(ds.rawCsvLines?.find((l) => l.line === 6)).toEqual({ line: 6, text: 'in one quoted field"', recordLine: 5 });
  });

  it('recovers from an unclosed quote on the next line and reads unquoted commas as part of the caption', async () => {
    const csv = 'image,caption\na.jpg,"broken\na.jpg,fine one\na.jpg,dog, cat, cow\n';
    const ds = await loadDataset(memoryFolder('k', { 'captions.txt': csv, 'a.jpg': JPEG }));
    expect(ds.images[0].captions).toEqual(['fine one', 'dog, cat, cow']);
    expect(ds.problems.map((p) => [p.code, p.line])).toEqual([
      ['unparsable-line', 2],
      ['unquoted-comma', 4],
    ]);
  });

  it('detects the format from content, whatever the file is called', async () => {
    const ds = await loadDataset(memoryFolder('k', { 'my captions.csv': 'image,caption\na.jpg,A dog .\n', 'a.jpg': JPEG }));
    expect(ds.format).toBe('kaggle-csv');
    const tokenInside = await loadDataset(memoryFolder('k', { 'captions.txt': 'a.jpg#0\tA dog .\n', 'a.jpg': JPEG }));
    expect(tokenInside.format).toBe('flickr8k-token');
  });
});

describe('token file and split files', () => {
  it('reads the original download layout (Flickr8k_text/ beside Flicker8k_Dataset/), dev → val', async () => {
    const ds = await loadDataset(
      memoryFolder('download', {
        'Flickr8k_text/Flickr8k.token.txt': 'a.jpg#0\tA dog .\nb.jpg#0\tA cat .\nc.jpg#0\tA cow .\n',
        'Flickr8k_text/Flickr8k.lemma.token.txt': 'a.jpg#0\tA dog .\n',
        'Flickr8k_text/Flickr_8k.trainImages.txt': 'a.jpg\n',
        'Flickr8k_text/Flickr_8k.devImages.txt': 'b.jpg\n',
        'Flickr8k_text/Flickr_8k.testImages.txt': 'c.jpg\n',
        'Flicker8k_Dataset/a.jpg': JPEG,
        'Flicker8k_Dataset/b.jpg': JPEG,
        'Flicker8k_Dataset/c.jpg': JPEG,
      }),
    );
    expect(ds.captionFile).toBe('Flickr8k_text/Flickr8k.token.txt');
    expect(ds.images.map((r) => [r.name, r.split, r.file])).toEqual([
      ['a.jpg', 'train', 'Flicker8k_Dataset/a.jpg'],
      ['b.jpg', 'val', 'Flicker8k_Dataset/b.jpg'],
      ['c.jpg', 'test', 'Flicker8k_Dataset/c.jpg'],
    ]);
    expect(ds.problems).toEqual([]);
  });

  it('prefers captions.txt when both formats are present, and reads the other on request', async () => {
    const files = {
      'captions.txt': 'image,caption\na.jpg,From the CSV .\n',
      'Flickr8k.token.txt': 'a.jpg#0\tFrom the token file .\n',
      'images/a.jpg': JPEG,
    };
    expect((await loadDataset(memoryFolder('both', files))).images[0].captions).toEqual(['From the CSV .']);
    const token = await loadDataset(memoryFolder('both', files), { format: 'flickr8k-token' });
    expect(token.images[0]).toMatchObject({ captions: ['From the token file .'], file: 'images/a.jpg' });
  });
});

describe('Karpathy dataset_flickr8k.json', () => {
  it('reads filenames, raw sentences with their lines, and its split field (restval → train)', async () => {
    const json = JSON.stringify(
      {
        images: [
          { filename: 'a.jpg', split: 'train', sentences: [{ tokens: ['a', 'dog'], raw: 'A dog .' }, { raw: 'A brown dog .' }] },
          { filename: 'b.jpg', split: 'restval', sentences: [{ tokens: ['a', 'cat'] }] },
          { filename: 'c.jpg', split: 'val', sentences: [{ raw: '' }, { raw: 'A cow .' }] },
          { filename: 'd.jpg', split: 'test', sentences: [{ raw: 'A hen .' }] },
        ],
        dataset: 'flickr8k',
      },
      null,
      1,
    );
    const rawLine = (text: string): number => json.split('\n').findIndex((line) => line.includes(text)) + 1;
    const ds = await loadDataset(
      memoryFolder('karpathy', { 'dataset_flickr8k.json': json, 'Images/a.jpg': JPEG, 'Images/b.jpg': JPEG }),
    );
    expect(ds.format).toBe('karpathy-json');
    expect(ds.images.map((r) => [r.name, r.split, r.captions])).toEqual([
      ['a.jpg', 'train', ['A dog .', 'A brown dog .']],
      ['b.jpg', 'train', ['a cat']],
      ['c.jpg', 'val', ['A cow .']],
      ['d.jpg', 'test', ['A hen .']],
    ]);
    expect(ds.images[0].captionLines).toEqual([rawLine('"A dog ."'), rawLine('"A brown dog ."')]);
    expect(ds.images[2].captionLines).toEqual([rawLine('"A cow ."')]);
    const empty = ds.problems.find((p) => p.code === 'empty-caption');
    expect(empty).toMatchObject({ file: 'dataset_flickr8k.json', line: rawLine('"raw": ""') });
    expect(ds.problems.filter((p) => p.code === 'image-missing').map((p) => p.message)).toEqual([
      expect.stringContaining('c.jpg'),
      expect.stringContaining('d.jpg'),
    ]);
  });
});

describe('browser folder adapters', () => {
  it('fileListFolder strips the picked folder from webkitRelativePath', async () => {
    const file = (path: string, content: BlobPart): File => {
      const f = new File([content], path.split('/').pop()!);
      Object.defineProperty(f, 'webkitRelativePath', { value: path });
      return f;
    };
    const folder = fileListFolder([
      file('flickr8k/captions.txt', 'image,caption\na.jpg,A dog .\n'),
      file('flickr8k/Images/a.jpg', JPEG),
    ]);
    expect(folder.name).toBe('flickr8k');
    expect((await folder.list()).map((e) => e.path).sort()).toEqual(['Images/a.jpg', 'captions.txt']);
    expect(Array.from(await folder.readRange('Images/a.jpg', 12, 14))).toEqual([0xff, 0xd9]);
    const ds = await loadDataset(folder);
    expect(ds.images[0].file).toBe('Images/a.jpg');
  });

  it('directoryHandleFolder walks a handle recursively', async () => {
    type Node = { kind: 'file'; name: string; getFile(): Promise<File> } | Dir;
    type Dir = { kind: 'directory'; name: string; values(): AsyncIterable<Node> };
    const fileHandle = (name: string, content: BlobPart): Node => ({
      kind: 'file',
      name,
      getFile: async () => new File([content], name),
    });
    const dir = (name: string, children: Node[]): Dir => ({
      kind: 'directory',
      name,
      async *values() {
        yield* children;
      },
    });
    const root = dir('picked', [
      fileHandle('captions.txt', 'image,caption\na.jpg,A dog .\n'),
      dir('Images', [fileHandle('a.jpg', JPEG)]),
      dir('.git', [fileHandle('HEAD', 'ref')]),
    ]);
    const folder = directoryHandleFolder(root as unknown as FileSystemDirectoryHandle);
    expect((await folder.list()).map((e) => e.path).sort()).toEqual(['Images/a.jpg', 'captions.txt']);
    const ds = await loadDataset(folder);
    expect(ds.images[0]).toMatchObject({ name: 'a.jpg', file: 'Images/a.jpg' });
    expect(ds.problems).toEqual([]);
  });
});
