/**
 * Time to the first good caption, in the CLI path on wasm (a benchmark, not a test):
 *   npx tsx tests/bench/firstCaption.bench.ts [--images 300] [--seed 1] [--samples 4] [--backend wasm|auto]
 *
 * From the start of the run: `caption-studio demo <dir>` (the default demo dataset), `extract` (the demo
 * backbone, its default there), then `train` with every training setting at its default and `--samples N`;
 * the clock stops at the first epoch whose N sample captions (the first N test images) all name the right
 * colour and shape of each object, and the run is stopped there. Prints the time of each stage, that epoch, its
 * validation BLEU-1..4 and the sample captions. The in-browser version (opening the page → the same moment)
 * comes with the studio's restructure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { train } from '../../src/cli/commands/train';
import { main } from '../../src/cli/main';
import { generateDemoScenes } from '../../src/core/data/demo';
import { namesObjects, sceneObjects } from '../../src/core/metrics/demoScore';

const args = process.argv.slice(2);
const arg = (name: string, fallback: string): string => (args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : fallback);
const images = Number(arg('images', '300'));
const seed = Number(arg('seed', '1'));
const sampleCount = Number(arg('samples', '4'));
const backend = arg('backend', 'wasm');

const dir = await mkdtemp(join(tmpdir(), 'first-caption-'));
const scenes = new Map(generateDemoScenes({ images, seed }).map((s) => [s.name, s]));
const started = performance.now();
const seconds = (from: number): string => `${((performance.now() - from) / 1000).toFixed(1)} s`;
const quietIo = (onErr?: (line: string) => void) => ({
  cwd: dir,
  out: () => undefined,
  err: (text: string) => text.split('\n').filter(Boolean).forEach((line) => onErr?.(line)),
});

try {
  let stage = performance.now();
  if ((await main(['demo', 'demo', '--images', String(images), '--seed', String(seed)], quietIo())) !== 0) throw new Error('demo failed');
  console.log(`demo dataset (${images} images, seed ${seed}): ${seconds(stage)}`);

  stage = performance.now();
  const extractIo = quietIo((line) => /backend:|demo backbone/.test(line) && console.log(`  ${line}`));
  if ((await main(['extract', 'demo', '--out', 'demo.features', '--backend', backend], extractIo)) !== 0) throw new Error('extract failed');
  console.log(`features (demo backbone): ${seconds(stage)}`);

  stage = performance.now();
  const controller = new AbortController();
  const bleuByEpoch = new Map<number, string>();
  const samples = new Map<number, { name: string; caption: string }[]>();
  let found: { epoch: number; atMs: number } | null = null;
  const trainIo = quietIo((line) => {
    if (/^train: backend:/.test(line)) console.log(`  ${line}`);
    const epochLine = /^train: epoch (\d+)\/\d+ .*?(BLEU-1\.\.4 \S+)?( \([\d.]+ s\))$/.exec(line);
    if (epochLine) {
      bleuByEpoch.set(Number(epochLine[1]), epochLine[2] ?? 'no BLEU');
      console.log(`  ${line.slice('train: '.length)}`);
    }
    const sample = /^train: epoch (\d+) sample (\S+): (.*)$/.exec(line);
    if (!sample || found) return;
    const epoch = Number(sample[1]);
    const list = samples.get(epoch) ?? [];
    list.push({ name: sample[2], caption: sample[3] });
    samples.set(epoch, list);
    if (list.length === sampleCount && list.every((s) => namesObjects(s.caption, sceneObjects(scenes.get(s.name)!)))) {
      found = { epoch, atMs: performance.now() };
      controller.abort();
    }
  });
  const code = await train(['demo', '--features', 'demo.features', '--out', 'model', '--backend', backend, '--samples', String(sampleCount)], trainIo, controller.signal);
  if (code !== 0 && code !== 130) throw new Error(`train exited ${code}`);
  if (!found) {
    console.log(`no epoch of the default run had ${sampleCount} right sample captions (training: ${seconds(stage)})`);
  } else {
    const { epoch, atMs } = found;
    console.log(`training to the first right epoch: ${((atMs - stage) / 1000).toFixed(1)} s`);
    for (const s of samples.get(epoch)!) console.log(`  ${s.name}: ${s.caption}   (picture: ${scenes.get(s.name)!.captions[0]})`);
    console.log(`first good caption: epoch ${epoch}, ${((atMs - started) / 1000).toFixed(1)} s from the start; validation ${bleuByEpoch.get(epoch)}`);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
