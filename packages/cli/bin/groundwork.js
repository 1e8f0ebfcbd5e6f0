#!/usr/bin/env node
// The `groundwork` command. The code base is TypeScript run directly (no
// build step): tsx's loader is registered before the entry point is imported.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
const code = await main(process.argv.slice(2));
// Everything the command started has been stopped by now; exit even if a
// library left an idle handle open (HTTP keep-alive sockets, worker threads),
// once stdout and stderr have been flushed.
await new Promise((resolve) => process.stdout.write('', resolve));
await new Promise((resolve) => process.stderr.write('', resolve));
process.exit(code);
