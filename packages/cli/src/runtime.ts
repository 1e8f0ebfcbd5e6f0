import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Where a running `groundwork up` says its API and chain are, for the other commands. */
export interface Runtime {
  pid: number;
  apiUrl: string;
  rpcUrl: string;
}

const file = (dataDir: string) => join(dataDir, 'runtime.json');

export function writeRuntime(dataDir: string, r: Runtime): void {
  writeFileSync(file(dataDir), `${JSON.stringify(r, null, 2)}\n`);
}

export function clearRuntime(dataDir: string): void {
  rmSync(file(dataDir), { force: true });
}

/** The runtime record if its process is still alive. */
export function readRuntime(dataDir: string): Runtime | undefined {
  if (!existsSync(file(dataDir))) return undefined;
  const r = JSON.parse(readFileSync(file(dataDir), 'utf8')) as Runtime;
  try {
    process.kill(r.pid, 0);
    return r;
  } catch {
    return undefined;
  }
}
