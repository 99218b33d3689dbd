/**
 * `caption-studio demo <out-folder> [--images N] [--seed S]`: writes the generated demo dataset as a
 * Flickr8K-style folder (Images/*.png, captions.txt, split files) that `stats` and the studio read back.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { generateDemoDataset } from '../../core/data/demo.ts';
import { UserError } from '../../core/errors.ts';
import { integerOption, parseCommandArgs, positionals } from '../args.ts';
import type { Command } from '../command.ts';
import { EXIT } from '../errors.ts';
import type { CliIo } from '../io.ts';

export const DEMO_DEFAULT_IMAGES = 300;
export const DEMO_DEFAULT_SEED = 1;

const usage = `Usage: caption-studio demo <out-folder> [--images N] [--seed S]

Writes the demo dataset (drawn shapes with 5 captions each) as a Flickr8K-style folder:
Images/*.png, captions.txt and split files. The same seed always gives the same files.
  --images N   number of images, 10 to 20000 (default ${DEMO_DEFAULT_IMAGES})
  --seed S     seed of the generator, 0 to 4294967295 (default ${DEMO_DEFAULT_SEED})
`;

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, { images: { type: 'string' }, seed: { type: 'string' } });
  const [outArg] = positionals(parsed.positionals, ['out-folder']);
  const images = integerOption(parsed.values.images, 'images', DEMO_DEFAULT_IMAGES, 10, 20000);
  const seed = integerOption(parsed.values.seed, 'seed', DEMO_DEFAULT_SEED, 0, 0xffffffff);
  const outDir = isAbsolute(outArg) ? outArg : resolve(io.cwd, outArg);

  const existing = await stat(outDir).catch(() => null);
  if (existing && !existing.isDirectory()) throw new UserError('exists and is not a folder', { file: outArg });

  const files = generateDemoDataset({ images, seed });
  let bytes = 0;
  try {
    for (const [path, content] of Object.entries(files)) {
      const target = join(outDir, ...path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
      bytes += typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength;
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UserError(`cannot write the demo dataset: ${code}`, { file: outArg });
  }
  io.out(`wrote ${Object.keys(files).length} files (${images} images, ${(bytes / 1024).toFixed(0)} KiB, seed ${seed}) to ${outArg}\n`);
  return EXIT.ok;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'write the generated demo dataset as a Flickr8K-style folder',
  usage,
  run,
};
