/**
 * The direction of imports between the source folders, read from the code itself:
 *
 *   ui → studio → {store, engine} → model → {gpu, core}        (a layer may import any layer below it)
 *   cli → {engine, protocol, model, gpu, core}                 (no React, no store, no studio)
 *   workers/ → {engine, protocol, model, gpu, core}            (entry files; logic lives in src/)
 *   protocol: message types; imports nothing at run time (type-only imports of model, gpu and core)
 *   core: no tfjs, no node: modules, no React (and no DOM types: see coreCompilesWithoutPlatform)
 *
 * Type imports count like any other: a type that the store needs from the engine means the engine's
 * vocabulary belongs lower down (in protocol/ or model/), not that the arrow may point up "only for types".
 * Every form counts: `import … from`, `export … from`, side-effect `import '…'`, `import('…')` and
 * `import('…').Type` in a type position.
 */
import { builtinModules } from 'node:module';
import { dirname, join, normalize, relative } from 'node:path';
import ts from 'typescript';

export type Layer = 'core' | 'gpu' | 'model' | 'protocol' | 'engine' | 'store' | 'studio' | 'ui' | 'cli' | 'app' | 'workers' | 'tests';

/** Which layers each layer may import (itself always included). */
export const allowed: Record<Exclude<Layer, 'tests'>, readonly Layer[]> = {
  core: ['core'],
  gpu: ['gpu', 'core'],
  model: ['model', 'gpu', 'core'],
  protocol: ['protocol', 'model', 'gpu', 'core'],
  engine: ['engine', 'protocol', 'model', 'gpu', 'core'],
  store: ['store', 'protocol', 'model', 'gpu', 'core'],
  studio: ['studio', 'store', 'engine', 'protocol', 'model', 'gpu', 'core'],
  ui: ['ui', 'studio', 'store', 'protocol', 'model', 'gpu', 'core'],
  cli: ['cli', 'engine', 'protocol', 'model', 'gpu', 'core'],
  // src/main.tsx: the page's entry mounts the ui.
  app: ['app', 'ui', 'studio', 'store', 'protocol', 'model', 'gpu', 'core'],
  workers: ['engine', 'protocol', 'model', 'gpu', 'core'],
};

const nodeBuiltins = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

/** Packages a layer must not import at all. */
const forbiddenPackages: Partial<Record<Layer, (spec: string) => string | null>> = {
  core: (spec) =>
    spec.startsWith('@tensorflow/') ? 'core imports no tfjs'
    : nodeBuiltins.has(spec) || spec.startsWith('node:') ? 'core imports no node: modules'
    : /^(react|react-dom|zustand|recharts|idb|webgpu)(\/|$)/.test(spec) ? `core imports no platform or UI package (${spec})`
    : null,
  engine: (spec) => (/^(react|react-dom|zustand|recharts)(\/|$)/.test(spec) ? `the engine knows no store and no UI (${spec})` : null),
  store: (spec) => (/^(react|react-dom|recharts|@tensorflow\/)/.test(spec) ? `the store holds plain data: no React, no tfjs (${spec})` : null),
  model: (spec) => (/^(react|react-dom|zustand|recharts)(\/|$)/.test(spec) ? `the model knows no store and no UI (${spec})` : null),
  gpu: (spec) => (/^(react|react-dom|zustand|recharts)(\/|$)/.test(spec) ? `the GPU layer knows no store and no UI (${spec})` : null),
  cli: (spec) => (/^(react|react-dom|zustand|recharts)(\/|$)/.test(spec) ? `the CLI has no React and no store (${spec})` : null),
};

/** The layer of a repository-relative path ('src/engine/mirrored/trainer.ts' → 'engine'), or null. */
export function layerOf(path: string): Layer | null {
  const parts = normalize(path).split(/[\\/]/);
  if (parts[0] === 'workers') return 'workers';
  if (parts[0] === 'tests') return 'tests';
  if (parts[0] !== 'src') return null;
  if (parts.length === 2) return parts[1].startsWith('main.') ? 'app' : null;
  const top = parts[1];
  return (['core', 'gpu', 'model', 'protocol', 'engine', 'store', 'studio', 'ui', 'cli'] as const).find((l) => l === top) ?? null;
}

export interface ImportSite {
  specifier: string;
  line: number;
  /** Erased at compile time: `import type`, `export type`, every named binding `type`, or `import('…').T` in a type. */
  typeOnly: boolean;
}

/** Every import of one source text, with its line (1-based) and whether it is erased at run time. */
export function importsOf(fileName: string, text: string): ImportSite[] {
  const kind = fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, kind);
  const sites: ImportSite[] = [];
  const at = (node: ts.Node, specifier: string, typeOnly: boolean) =>
    sites.push({ specifier, typeOnly, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1 });
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const named = clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings.elements : null;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
      at(node, node.moduleSpecifier.text, typeOnly);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const named = node.exportClause && ts.isNamedExports(node.exportClause) ? node.exportClause.elements : null;
      at(node, node.moduleSpecifier.text, node.isTypeOnly || (!!named && named.length > 0 && named.every((e) => e.isTypeOnly)));
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      at(node, node.moduleReference.expression.text, node.isTypeOnly);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      // A computed specifier (a variable) is named by the string it holds where that is a literal nearby:
      // the check cannot follow it, so such imports must be allowed by where they sit (see the tests).
      if (arg && ts.isStringLiteralLike(arg)) at(node, arg.text, false);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      at(node, node.argument.literal.text, true);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

export interface Violation {
  /** `path:line`, repository-relative. */
  where: string;
  specifier: string;
  reason: string;
}

/**
 * The imports of one file (repository-relative `path`) that go against the direction. Relative specifiers
 * are resolved against the file's folder; bare ones are packages.
 */
export function violationsIn(path: string, text: string): Violation[] {
  const from = layerOf(path);
  if (!from || from === 'tests') return [];
  const found: Violation[] = [];
  for (const site of importsOf(path, text)) {
    const where = `${path}:${site.line}`;
    const push = (reason: string) => found.push({ where, specifier: site.specifier, reason });
    if (site.specifier.startsWith('.')) {
      const target = normalize(join(dirname(path), site.specifier));
      const to = layerOf(target);
      if (to === null && !relative('.', target).startsWith('..')) continue; // e.g. src/ui/styles.css next to src/
      if (to === 'tests') {
        push(`${from} imports test code (${target}): tests may import the source, never the other way`);
        continue;
      }
      if (to === null) continue;
      if (from === 'protocol' && to !== 'protocol' && !site.typeOnly) {
        push(`protocol imports nothing at run time (type-only imports only): ${target}`);
        continue;
      }
      if (!allowed[from].includes(to)) push(`${from} → ${to} goes against the direction (${from} may import ${allowed[from].join(', ')})`);
    } else {
      if (from === 'protocol' && !site.typeOnly) {
        push(`protocol imports nothing at run time (type-only imports only): ${site.specifier}`);
        continue;
      }
      const reason = forbiddenPackages[from]?.(site.specifier);
      if (reason) push(reason);
    }
  }
  return found;
}
