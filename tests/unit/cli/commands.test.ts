/**
 * The CLI as a user runs it: `node src/cli/caption-studio.mjs …` spawned, exit statuses 0/1/2, JSON fields,
 * and one-line messages (no stack trace) for a user's mistakes. The entry only turns what main() returns into
 * the exit status, so each status is seen from a spawned process once; the other cases call the same main()
 * in this process (a spawn costs a second of CPU to start Node and compile the CLI).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main';
import { repoRoot } from '../../paths';
import { skipUnlessPresent } from '../../prerequisites.ts';

const cli = join(repoRoot, 'src', 'cli', 'caption-studio.mjs');
const flickr8k = resolve(repoRoot, '..', 'shared', 'datasets', 'flickr8k');
const hasFlickr8k = existsSync(join(flickr8k, 'captions.txt'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [cli, ...args], { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** What `run` gives, from main() in this process: the exit status it returns, and what it wrote. */
async function runHere(args: string[]): Promise<Run> {
  const result = { code: -1, stdout: '', stderr: '' };
  const io = { cwd: repoRoot, out: (text: string) => void (result.stdout += text), err: (text: string) => void (result.stderr += text) };
  result.code = await main(args, io);
  return result;
}

/** A user's mistake: exactly one line on stderr, naming `mention`, and no stack trace. */
function expectOneLineError(result: Run, mention: string): void {
  expect(result.code).toBe(1);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toContain(mention);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stdout).toBe('');
}

let work: string;
let demoDir: string;
const DEMO_IMAGES = 24;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'caption-studio-cli-'));
  demoDir = join(work, 'demo');
  const demo = await run(['demo', demoDir, '--images', String(DEMO_IMAGES), '--seed', '7']);
  expect(demo.stderr).toBe('');
  expect(demo.code).toBe(0);
});

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

describe('caption-studio demo and stats', () => {
  it('writes a demo folder that stats reads back (--json fields)', async () => {
    expect(existsSync(join(demoDir, 'captions.txt'))).toBe(true);
    expect(existsSync(join(demoDir, 'Images'))).toBe(true);
    const result = await run(['stats', demoDir, '--json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.format).toBe('kaggle-csv');
    expect(report.protocol).toBe('standard');
    expect(report.images).toBe(DEMO_IMAGES);
    expect(report.captions).toBe(DEMO_IMAGES * 5);
    expect(report.splits.train + report.splits.val + report.splits.test).toBe(DEMO_IMAGES);
    expect(report.splits.train).toBeGreaterThan(report.splits.test);
    expect(report.vocabSize).toBeGreaterThan(10);
    expect(report.maxLength).toBeGreaterThan(4);
    expect(report.warnings).toEqual([]);
    expect(report.stats.imageDimensions.measured).toBe(DEMO_IMAGES);
  });

  it('prints a readable summary without --json, and kaggle differs from standard', async () => {
    const result = await runHere(['stats', demoDir, '--protocol', 'kaggle']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`images\\s+${DEMO_IMAGES}\\n`));
    expect(result.stdout).toContain('protocol     kaggle');
    expect(result.stdout).toMatch(/val 0/); // the notebook's split: 90% train, 10% test, no validation
  });

  it('exits 1 with one line naming the folder when it is missing or has no caption file', async () => {
    expectOneLineError(await run(['stats', join(work, 'nowhere')]), join(work, 'nowhere'));
    const empty = join(work, 'no-captions');
    await mkdir(empty);
    await writeFile(join(empty, 'notes.txt'), 'nothing here');
    expectOneLineError(await runHere(['stats', empty]), 'captions.txt');
  });

  it('exits 2 with the usage for a wrong command line', async () => {
    const cases = [[], ['nonsense'], ['stats'], ['stats', demoDir, '--protocol', 'fancy'], ['stats', demoDir, '--bogus'], ['demo', join(work, 'x'), '--images', 'many']];
    // The first from a spawned process (its exit status), the others from main() here.
    const results = await Promise.all(cases.map((args, index) => (index === 0 ? run(args) : runHere(args))));
    for (const [index, result] of results.entries()) {
      const args = cases[index];
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toContain('Usage: caption-studio');
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
    const help = await runHere(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/stats[\s\S]*bleu[\s\S]*demo/);
  });
});

describe.skipIf(skipUnlessPresent(hasFlickr8k ? '' : `${flickr8k}/captions.txt is absent`, '../shared Flickr8K'))('caption-studio stats on the real Flickr8K folder (../shared/datasets/flickr8k)', () => {
  it('kaggle protocol: the notebook numbers', async () => {
    const result = await runHere(['stats', flickr8k, '--protocol', 'kaggle', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.images).toBe(8091);
    expect(report.captions).toBe(40455);
    expect(report.maxLength).toBe(35);
    expect(report.splits).toEqual({ train: 7281, val: 0, test: 810 });
    expect(report.warnings.length).toBeGreaterThan(0);
    for (const warning of report.warnings) {
      expect(typeof warning.file).toBe('string');
      expect(typeof warning.message).toBe('string');
    }
    // The 100 real JPEGs in the folder, measured from their headers.
    expect(report.stats.imageDimensions.measured).toBe(100);
  });

  it('standard protocol: the official 6000/1000/1000 split', async () => {
    const report = JSON.parse((await runHere(['stats', flickr8k, '--json'])).stdout);
    expect(report.splits).toEqual({ train: 6000, val: 1000, test: 1000 });
  });
});
if (!hasFlickr8k) console.warn(`skipping the real-data CLI tests: ${flickr8k} is absent`);

describe('caption-studio bleu', () => {
  const references = {
    img1: ['A red circle above a blue square', 'a red circle', 'the circle is red'],
    img2: ['a green triangle on the left', 'A small green triangle'],
    img3: ['two shapes: a yellow star and a blue square'],
  };
  const hypotheses = { img1: 'a red circle above a square', img2: 'a green triangle', img3: 'a yellow star and a Blue square' };

  it('matches nltk corpus_bleu (golden values from nltk 3.8, lowercase + whitespace tokens)', async () => {
    const refs = join(work, 'refs.json');
    const hyps = join(work, 'hyps.json');
    await writeFile(refs, JSON.stringify(references, null, 1));
    await writeFile(hyps, JSON.stringify(hypotheses, null, 1));
    const result = await runHere(['bleu', '--refs', refs, '--hyps', hyps, '--json']);
    expect(result.code).toBe(0);
    const scores = JSON.parse(result.stdout);
    // /usr/bin/python3: corpus_bleu([[r.lower().split() …]], [h.lower().split() …], weights) per order.
    expect(scores.bleu1).toBeCloseTo(0.7788007830714049, 12);
    expect(scores.bleu2).toBeCloseTo(0.7482475894510814, 12);
    expect(scores.bleu3).toBeCloseTo(0.7321271525446715, 12);
    expect(scores.bleu4).toBeCloseTo(0.6919294191974303, 12);
    expect(scores.images).toBe(3);
    const table = await runHere(['bleu', '--refs', refs, '--hyps', hyps]);
    expect(table.stdout).toContain('BLEU-4  0.6919');
  });

  it('exits 1 naming the file and line for bad input', async () => {
    const refs = join(work, 'refs-ok.json');
    await writeFile(refs, JSON.stringify(references, null, 1));
    const unknownId = join(work, 'hyps-unknown.json');
    await writeFile(unknownId, '{\n  "img1": "a red circle",\n  "img9": "a blue square"\n}\n');
    expectOneLineError(await runHere(['bleu', '--refs', refs, '--hyps', unknownId]), `${unknownId}:3`);

    const notJson = join(work, 'hyps-broken.json');
    await writeFile(notJson, '{\n  "img1": "a red circle",\n  "img2": oops\n}\n');
    expectOneLineError(await runHere(['bleu', '--refs', refs, '--hyps', notJson]), notJson);

    const badShape = join(work, 'refs-bad.json');
    await writeFile(badShape, '{\n  "img1": "just one string"\n}\n');
    expectOneLineError(await runHere(['bleu', '--refs', badShape, '--hyps', unknownId]), `${badShape}:2`);

    expectOneLineError(await runHere(['bleu', '--refs', join(work, 'missing.json'), '--hyps', unknownId]), 'missing.json');
  });

  it('exits 2 when --refs or --hyps is missing', async () => {
    const result = await runHere(['bleu', '--refs', 'r.json']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('missing --hyps');
  });
});
