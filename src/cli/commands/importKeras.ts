/**
 * `caption-studio import-keras <model.h5|model.keras> (--tokenizer <json> | --dataset <folder>) --out <dir>`:
 * the notebook's trained Keras model, read directly (no TensorFlow, no converter), written as a studio model
 * folder that `caption`, `evaluate` and the page use like any trained model. The caption length and the
 * vocabulary come from the model's config and weights and are checked against the tokenizer (and, with
 * --dataset, against the dataset's longest caption).
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { UserError } from '../../core/errors.ts';
import { loadDataset } from '../../core/data/load.ts';
import { nodeFolder } from '../../engine/platform/nodeFolder.ts';
import { buildCorpus, fitCaptionTokenizer } from '../../core/text/protocols.ts';
import { useNodeBackend } from '../../engine/platform/nodeBackend.ts';
import { kerasModelFolderFiles, type TokenizerChoice } from '../../model/keras/captionImport.ts';
import { openKerasFileNode } from '../../model/keras/openNode.ts';
import { parseKerasTokenizerJson } from '../../model/keras/tokenizerFile.ts';
import { choiceOption, parseCommandArgs, positionals } from '../args.ts';
import type { Command } from '../command.ts';
import { EXIT, UsageError } from '../errors.ts';
import type { CliIo } from '../io.ts';
import { readUserTextFile } from '../userErrors.ts';

const usage = `Usage: caption-studio import-keras <model.h5|model.keras> (--tokenizer <tokenizer.json> | --dataset <folder>) --out <model-dir>

Reads the notebook's trained caption model from its Keras file (Keras 2 model.save('model.h5') or a Keras 3
.keras) and writes a model folder for \`caption\`, \`evaluate\` and the studio. No TensorFlow needed.
  --tokenizer T     the notebook's tokenizer: what tokenizer.to_json() returns, saved to a file
  --dataset D       or rebuild the tokenizer from the dataset folder the model was trained on
  --protocol P      kaggle (default: the notebook's) or standard: the text protocol of --dataset, recorded
                    in the model folder for \`evaluate\`
  --out D           model folder to write (model.json, weights.bin, tokenizer.json)
  --force           replace a model already in --out
  --json            print one JSON object with what was imported
`;

export interface ImportKerasSummary {
  file: string;
  layout: string;
  kerasVersion: string | null;
  vocabSize: number;
  maxLength: number;
  featureDim: number;
  units: number;
  embedDim: number;
  tokenizer: string;
  protocol: 'kaggle' | 'standard';
  out: string;
}

export async function importKeras(args: string[], io: CliIo): Promise<number> {
  const { values, positionals: rest } = parseCommandArgs(args, {
    tokenizer: { type: 'string' },
    dataset: { type: 'string' },
    protocol: { type: 'string' },
    out: { type: 'string' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const [modelArg] = positionals(rest, ['model.h5|model.keras']);
  if (values.out === undefined) throw new UsageError('missing --out <model-dir>');
  if ((values.tokenizer === undefined) === (values.dataset === undefined)) throw new UsageError('give exactly one of --tokenizer <tokenizer.json> and --dataset <folder>');
  const protocol = choiceOption(values.protocol, 'protocol', ['kaggle', 'standard'] as const, 'kaggle');
  const at = (path: string): string => (isAbsolute(path) ? path : resolve(io.cwd, path));
  const outPath = at(values.out);
  if (!values.force && (await stat(join(outPath, 'model.json')).catch(() => null))) {
    throw new UserError(`already holds a model (model.json); add --force to replace it`, { file: values.out });
  }
  await useNodeBackend('wasm');

  let tokenizer: TokenizerChoice;
  if (values.tokenizer !== undefined) {
    const parsed = parseKerasTokenizerJson(await readUserTextFile(at(values.tokenizer), values.tokenizer), values.tokenizer);
    tokenizer = { ...parsed, label: values.tokenizer };
  } else {
    const corpus = buildCorpus(await loadDataset(nodeFolder(at(values.dataset!))), protocol);
    const fitted = fitCaptionTokenizer(corpus);
    tokenizer = { tokenizer: fitted, json: fitted.toJSON(), label: `the tokenizer rebuilt from ${values.dataset} (${protocol} protocol)`, datasetMaxLength: corpus.maxLength };
  }

  const file = await openKerasFileNode(at(modelArg), modelArg);
  let imported: Awaited<ReturnType<typeof kerasModelFolderFiles>>;
  try {
    imported = await kerasModelFolderFiles(file, tokenizer, { protocol });
  } finally {
    await file.close();
  }
  const { model, files } = imported;
  const modelName = basename(modelArg);
  if (values.dataset !== undefined) {
    io.err(`import-keras: no tokenizer file given: rebuilt the tokenizer from ${values.dataset} (${protocol} protocol, ${tokenizer.tokenizer.vocabSize - 1} words)\n`);
  }
  await mkdir(outPath, { recursive: true });
  for (const [name, content] of Object.entries(files)) await writeFile(join(outPath, name), content);

  const summary: ImportKerasSummary = {
    file: at(modelArg),
    layout: file.index.layout,
    kerasVersion: file.index.kerasVersion,
    ...model.config,
    tokenizer: tokenizer.label,
    protocol,
    out: outPath,
  };
  if (values.json) io.out(`${JSON.stringify(summary)}\n`);
  else {
    const { vocabSize, maxLength, featureDim, units, embedDim } = model.config;
    io.out(
      `imported ${modelName} (${file.index.layout}${file.index.kerasVersion ? `, Keras ${file.index.kerasVersion}` : ''}): vocabulary ${vocabSize}, ` +
        `captions up to ${maxLength} tokens, ${featureDim} features, ${units} units, embedding ${embedDim}\n` +
        `model saved in ${values.out}; caption with: caption-studio caption --model ${values.out} --weights <backbone weights> <image>…\n`,
    );
  }
  return EXIT.ok;
}

export const importKerasCommand: Command = {
  name: 'import-keras',
  summary: "the notebook's trained Keras model (.h5 or .keras) as a model folder, without TensorFlow",
  usage,
  run: importKeras,
};
