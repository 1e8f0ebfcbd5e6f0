#!/usr/bin/env node
// Forge runs a native solc; none can be downloaded here, so this wrapper
// speaks the two solc commands forge uses (`--version`, `--standard-json`)
// and answers them with the npm `solc` package (the same compiler as WebAssembly).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, resolve } from 'node:path';

const require = createRequire(import.meta.url);
const solc = require('solc');
const args = process.argv.slice(2);

if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes('--standard-json')) {
  process.stderr.write('solc wrapper: only --version and --standard-json are supported\n');
  process.exit(2);
}
// Forge passes --base-path / --include-path / --allow-paths; imports are
// normally inlined as `content` already, the callback covers the rest.
const roots = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--base-path' || args[i] === '--include-path') roots.push(args[i + 1]);
}
if (roots.length === 0) roots.push(process.cwd());
function findImports(path) {
  const candidates = isAbsolute(path) ? [path] : roots.map((r) => resolve(r, path));
  for (const c of candidates) {
    try {
      return { contents: readFileSync(c, 'utf8') };
    } catch {}
  }
  return { error: `File not found: ${path}` };
}
const input = readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImports }));
