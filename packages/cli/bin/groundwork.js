#!/usr/bin/env node
// The `groundwork` command. The code base is TypeScript run directly (no
// build step): tsx's loader is registered before the entry point is imported.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
