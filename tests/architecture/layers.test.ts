/**
 * Layers point one way (see layers.ts for the direction and why type imports count). The first test reads
 * every import of src/ and workers/ and names file:line of each one against the direction; the others show
 * that a deliberately wrong import is caught, so the first cannot pass by reading nothing.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../paths';
import { importsOf, violationsIn } from './layers';

function sourceFiles(...folders: string[]): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...folders], { cwd: repoRoot, encoding: 'utf8' });
  return listed.split('\n').filter((f) => /\.(ts|tsx|mts)$/.test(f) && !f.endsWith('.d.ts'));
}

/** Relative imports without a file extension (a query such as ?raw is not part of the name), as file:line: specifier. */
function bareRelativeImports(file: string, text: string): string[] {
  return importsOf(file, text)
    .filter((site) => /^\.{1,2}\//.test(site.specifier) && !/\.[a-z0-9]+$/i.test(site.specifier.split('?')[0].split('/').pop()!))
    .map((site) => `${file}:${site.line}: ${site.specifier}`);
}

describe('the layers of src/ and workers/', () => {
  const files = sourceFiles('src', 'workers');

  it('every import points down the layers', () => {
    expect(files.length).toBeGreaterThan(100);
    const imports = files.reduce((n, f) => n + importsOf(f, readFileSync(`${repoRoot}/${f}`, 'utf8')).length, 0);
    expect(imports).toBeGreaterThan(500);
    const found = files.flatMap((f) => violationsIn(f, readFileSync(`${repoRoot}/${f}`, 'utf8')));
    expect(found.map((v) => `${v.where}: ${v.specifier}: ${v.reason}`)).toEqual([]);
  });

  it('relative imports name the file with its extension (one convention: ./trainer.ts, not ./trainer)', () => {
    expect(files.flatMap((f) => bareRelativeImports(f, readFileSync(`${repoRoot}/${f}`, 'utf8')))).toEqual([]);
    // The check reads what it should: a bare specifier is named, a named file is not.
    expect(bareRelativeImports('src/x.ts', "import { a } from './y';\nimport { b } from './z.ts';\nconst c = await import('../w');\nimport d from './e.py?raw';")).toEqual(['src/x.ts:1: ./y', 'src/x.ts:3: ../w']);
  });

  it('core compiles without the DOM and Node libraries (no DOM types, no Node globals of its own)', () => {
    const core = files.filter((f) => f.startsWith('src/core/')).map((f) => `${repoRoot}/${f}`);
    const program = ts.createProgram(core, {
      lib: ['lib.es2023.d.ts'],
      types: [],
      noEmit: true,
      strict: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.ESNext,
      moduleResolution: ts.ModuleResolutionKind.Bundler,
      allowImportingTsExtensions: true,
      resolveJsonModule: true,
      skipLibCheck: true,
    });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      return `${d.file?.fileName.slice(repoRoot.length + 1)}:${line}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
    });
    expect(problems).toEqual([]);
  });
});

describe('a wrong import is caught, naming file and line', () => {
  it('upward: the engine importing the store (a type import counts too)', () => {
    const text = ["import * as tf from '@tensorflow/tfjs';", "import type { TrainingSlice } from '../../store/slices/training/index';"].join('\n');
    expect(violationsIn('src/engine/training/x.ts', text)).toEqual([
      expect.objectContaining({ where: 'src/engine/training/x.ts:2', specifier: '../../store/slices/training/index', reason: expect.stringMatching(/engine → store/) }),
    ]);
  });

  it('sideways: the store importing the engine, the CLI importing the store or the studio', () => {
    expect(violationsIn('src/store/slices/t.ts', "export { type Bleu } from '../../engine/training/trainer';")).toHaveLength(1);
    expect(violationsIn('src/cli/commands/s.ts', "import { loadFolder } from '../../store/datasetPipeline.ts';")).toHaveLength(1);
    expect(violationsIn('src/cli/c.ts', "const m = await import('../studio/session');")[0].reason).toMatch(/cli → studio/);
  });

  it('the UI importing the engine directly (it goes through the studio)', () => {
    expect(violationsIn('src/ui/panelKit/hooks.ts', "import { StudioSession } from '../../engine/studioSession';")[0]).toMatchObject({
      where: 'src/ui/panelKit/hooks.ts:1',
    });
  });

  it('core importing tfjs, node: or the model, even as a type', () => {
    const text = [
      '/** a comment */',
      "import { readFile } from 'node:fs/promises';",
      "import type { Tensor } from '@tensorflow/tfjs';",
      "import { join } from 'path';",
      "type T = import('../../model/captionModel').CaptionModelConfig;",
    ].join('\n');
    expect(violationsIn('src/core/data/bad.ts', text).map((v) => v.where)).toEqual([
      'src/core/data/bad.ts:2',
      'src/core/data/bad.ts:3',
      'src/core/data/bad.ts:4',
      'src/core/data/bad.ts:5',
    ]);
  });

  it('protocol importing at run time; its type-only imports of lower layers are fine', () => {
    expect(violationsIn('src/protocol/p.ts', "import { serializeError } from '../engine/errors';")).toHaveLength(1);
    expect(violationsIn('src/protocol/p.ts', "import { LossScaler } from '../model/precision';")[0].reason).toMatch(/nothing at run time/);
    expect(violationsIn('src/protocol/p.ts', "import type { Precision } from '../model/precision';")).toEqual([]);
    expect(violationsIn('src/protocol/p.ts', "import { type Precision, type Layout } from '../model/precision';")).toEqual([]);
    expect(violationsIn('src/protocol/p.ts', "import type { Trainer } from '../engine/training/trainer';")).toHaveLength(1);
  });

  it('source importing test code, a worker entry importing the studio', () => {
    expect(violationsIn('src/engine/mirrored/worker/registry.ts', "const toy = () => import('../../../../tests/support/toyReplicaModel');")).toHaveLength(1);
    expect(violationsIn('workers/replica.worker.ts', "import { x } from '../src/studio/session';")).toHaveLength(1);
  });

  it('lets the right direction through', () => {
    const ok = [
      ['src/ui/App.tsx', "import { sessionFor } from '../studio/root';"],
      ['src/studio/session.ts', "import { bindTrainer } from './bindTrainer';\nimport type { TrainingSlice } from '../store/slices/training/index';"],
      ['src/engine/mirrored/trainer.ts', "import type { FromReplica } from '../../protocol/replica';\nimport * as tf from '@tensorflow/tfjs';"],
      ['src/cli/commands/train.ts', "import { InProcessTrainer } from '../../engine/training/inProcessTrainer.ts';"],
      ['src/core/data/demo.ts', "import { encode } from 'fast-png';"],
    ];
    for (const [path, text] of ok) expect(violationsIn(path, text)).toEqual([]);
  });
});
