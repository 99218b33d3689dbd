/**
 * The test processes import tfjs through small ES-module shims that `require` the packages (vite.config.ts,
 * `test.alias`). tfjs ships CommonJS for Node; an ES-module `import` of a CommonJS file makes Node scan it, and
 * every file it requires, for the names it exports (cjs-module-lexer over megabytes of bundles) before it
 * runs. Measured per process (`--single-threaded`, three runs): `@tensorflow/tfjs` with the wasm backend
 * 0.72 to 1.04 s of CPU imported, 0.23 to 0.32 s through these shims. Each test process pays it once (its
 * files share their modules), and so does each replica worker thread and CLI subprocess a test starts; the
 * product (the page's bundle, the CLI, the workers' bundles) is not touched.
 *
 * A shim names each export once, read from the package itself when the shim is written, so
 * `import * as tf from '@tensorflow/tfjs'` sees the same names and values as before. Shims live under
 * node_modules/.cache (Vitest leaves files under node_modules to Node, untransformed) and are written again
 * when the installed package's version changes.
 */
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../paths.ts';

const SHIMMED = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', '@tensorflow/tfjs-backend-webgpu'];
const shimDir = join(repoRoot, 'node_modules', '.cache', 'caption-studio-tfjs-shims');
const require = createRequire(import.meta.url);

function shimSource(pkg: string, version: string): string {
  const names = Object.keys(require(pkg) as object).filter((name) => name !== 'default' && !name.startsWith('__'));
  return [
    `// ${pkg} ${version}: written by tests/setup/tfjsShims.ts (why: see there).`,
    `import { createRequire } from 'node:module';`,
    `const m = createRequire(import.meta.url)(${JSON.stringify(pkg)});`,
    `export default m;`,
    ...names.map((name, i) => `const e${i} = m[${JSON.stringify(name)}];`),
    `export { ${names.map((name, i) => `e${i} as ${name}`).join(', ')} };`,
    '',
  ].join('\n');
}

/** Vitest aliases from each shimmed package to its shim, writing the shims that are missing or out of date. */
export function tfjsShimAliases(): { find: RegExp; replacement: string }[] {
  mkdirSync(shimDir, { recursive: true });
  return SHIMMED.map((pkg) => {
    const version = (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version;
    const file = join(shimDir, `${pkg.replace('/', '+')}@${version}.mjs`);
    if (!existsSync(file)) {
      // Written whole, then renamed: a process that starts meanwhile never reads half a shim.
      const partial = `${file}.${process.pid}.tmp`;
      writeFileSync(partial, shimSource(pkg, version));
      renameSync(partial, file);
    }
    return { find: new RegExp(`^${pkg.replace(/[/.-]/g, (c) => `\\${c}`)}$`), replacement: file };
  });
}
