/**
 * `caption-studio stats <folder> [--protocol kaggle|standard] [--json]`: loads a Flickr8K-style folder the
 * way the studio does (src/core/data/pipeline.ts), cleans its captions under a text protocol and prints
 * the dataset statistics; with --json one JSON object on stdout.
 */
import { isAbsolute, resolve } from 'node:path';
import { nodeFolder } from '../../engine/platform/nodeFolder.ts';
import type { Problem, Protocol, Split } from '../../core/data/types.ts';
import { loadFolder, summarize, type DatasetStats } from '../../core/data/pipeline.ts';
import { groupProblems } from '../../core/data/problems.ts';
import { choiceOption, parseCommandArgs, positionals } from '../args.ts';
import type { Command } from '../command.ts';
import { EXIT } from '../errors.ts';
import type { CliIo } from '../io.ts';

const PROTOCOLS = ['kaggle', 'standard'] as const satisfies readonly Protocol[];
/** Warning lines printed in the human-readable output (many of one kind are one line); --json has them all. */
const WARNINGS_SHOWN = 20;

const usage = `Usage: caption-studio stats <folder> [--protocol kaggle|standard] [--json]

Statistics of a caption dataset folder (Kaggle captions.txt, Flickr8k.token.txt with split files, or
Karpathy's dataset_flickr8k.json; images in Images/ or beside the caption file).
  --protocol P   text cleaning and split: 'standard' (default: proper CSV, letters only, official split)
                 or 'kaggle' (the Kaggle notebook's cleaning, bugs included; first 90% train, last 10% test)
  --json         print one JSON object: images, captions, vocabSize, maxLength, splits {train,val,test},
                 notices (a split the protocol leaves without an image of the folder, as sentences),
                 warnings [{file,line,message,code,subject}] (every one; subject where there is one),
                 and the full statistics under "stats"
`;

export interface StatsReport {
  folder: string;
  format: string;
  captionFile: string;
  protocol: Protocol;
  images: number;
  captions: number;
  vocabSize: number;
  /** Longest cleaned caption in words, start/end markers included. */
  maxLength: number;
  splits: Record<Split, number>;
  /** The training or test split this protocol leaves without an image of the folder, one sentence each. */
  notices: string[];
  /** Every warning, one per image or line; `subject` (the image or file it is about) where there is one. */
  warnings: { file: string; line: number | null; message: string; code: string; subject?: string }[];
  stats: DatasetStats;
}

export async function statsReport(folderPath: string, protocol: Protocol): Promise<StatsReport> {
  const loaded = await loadFolder(nodeFolder(folderPath));
  const { stats, warnings, splitNotices } = summarize(loaded, protocol);
  return {
    folder: folderPath,
    format: loaded.dataset.format,
    captionFile: loaded.dataset.captionFile,
    protocol,
    images: stats.images,
    captions: stats.captions,
    vocabSize: stats.vocabSize,
    maxLength: stats.maxLength,
    splits: stats.splits,
    notices: splitNotices.map((notice) => notice.message),
    warnings: warnings.map((problem: Problem) => ({
      file: problem.file,
      line: problem.line ?? null,
      message: problem.message,
      code: problem.code,
      ...(problem.subject === undefined ? {} : { subject: problem.subject }),
    })),
    stats,
  };
}

function humanReport(report: StatsReport): string {
  const lines = [
    `folder       ${report.folder}`,
    `format       ${report.format} (${report.captionFile})`,
    `protocol     ${report.protocol}`,
    `images       ${report.images}`,
    `captions     ${report.captions}`,
    `vocabulary   ${report.vocabSize} words`,
    `max length   ${report.maxLength} words (markers included)`,
    `splits       train ${report.splits.train} · val ${report.splits.val} · test ${report.splits.test}`,
    ...report.notices.map((notice) => `notice       ${notice}`),
    `warnings     ${report.warnings.length}`,
  ];
  const groups = groupProblems(report.warnings.map(({ line, ...warning }) => ({ ...warning, line: line ?? undefined })));
  for (const group of groups.slice(0, WARNINGS_SHOWN)) {
    lines.push(`  ${group.file}${group.line === undefined ? '' : `:${group.line}`}: ${group.message}`);
  }
  if (groups.length > WARNINGS_SHOWN || groups.length < report.warnings.length) {
    lines.push(`  (every warning, one per line, with --json)`);
  }
  return `${lines.join('\n')}\n`;
}

async function run(args: string[], io: CliIo): Promise<number> {
  const parsed = parseCommandArgs(args, { protocol: { type: 'string' }, json: { type: 'boolean' } });
  const [folderArg] = positionals(parsed.positionals, ['folder']);
  const protocol = choiceOption(parsed.values.protocol, 'protocol', PROTOCOLS, 'standard');
  const folderPath = isAbsolute(folderArg) ? folderArg : resolve(io.cwd, folderArg);
  const report = await statsReport(folderPath, protocol);
  io.out(parsed.values.json ? `${JSON.stringify({ ...report, folder: folderArg })}\n` : humanReport({ ...report, folder: folderArg }));
  return EXIT.ok;
}

export const statsCommand: Command = {
  name: 'stats',
  summary: 'statistics of a caption dataset folder (counts, lengths, vocabulary, splits, warnings)',
  usage,
  run,
};
