#!/usr/bin/env node
// Runs the native forge binary from the @foundry-rs/forge npm package and
// passes its exit code through (the package's own `forge` shim exits 0 even
// when tests fail — foundry-rs/foundry#14781 — so CI could never go red).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const arch = process.arch === 'x64' ? 'amd64' : process.arch;
const pkg = require.resolve(`@foundry-rs/forge-${process.platform}-${arch}/package.json`);
const bin = join(dirname(pkg), 'bin', process.platform === 'win32' ? 'forge.exe' : 'forge');
const r = spawnSync(bin, process.argv.slice(2), { stdio: 'inherit' });
if (r.error) {
  console.error(`forge: ${r.error.message}`);
  process.exit(1);
}
process.exit(r.status ?? 1);
