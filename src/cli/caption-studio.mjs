#!/usr/bin/env node
// The package.json `bin`. The CLI is TypeScript; tsx's API compiles it on the fly, so no build step is needed
// before `caption-studio …` (or `node src/cli/caption-studio.mjs …`) works.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
const exitCode = await main(process.argv.slice(2));
// Let stdout/stderr drain before exiting, so a large `--json` object piped to another program is not cut.
await new Promise((resolve) => process.stdout.write('', resolve));
await new Promise((resolve) => process.stderr.write('', resolve));
process.exit(exitCode);
