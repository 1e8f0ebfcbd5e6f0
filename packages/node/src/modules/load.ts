import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { BaseError } from '../internal/errors.ts';
import type { GroundworkModule } from './types.ts';

/** Where module folders live: `<repo>/modules/*`. */
export const MODULES_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../modules');

/**
 * Finds every module folder (a package.json with `groundwork.module`) and
 * imports its `src/index.ts` default export — or only those named in
 * `only` (the `modules` setting). Sorted by id, so every node
 * sees modules in the same order.
 */
export async function loadModules(
  options: { dir?: string; only?: readonly string[] | undefined } = {},
): Promise<GroundworkModule[]> {
  const dir = options.dir ?? MODULES_DIR;
  if (!existsSync(dir)) return [];
  const found: GroundworkModule[] = [];
  for (const name of readdirSync(dir).sort()) {
    const pkgPath = join(dir, name, 'package.json');
    if (!existsSync(pkgPath)) continue;
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { groundwork?: { module?: string } };
    const id = pkg.groundwork?.module;
    if (!id) continue;
    if (options.only && !options.only.includes(id)) continue;
    const mod = (await import(pathToFileURL(join(dir, name, 'src/index.ts')).href)) as {
      default?: GroundworkModule;
    };
    if (!mod.default || mod.default.id !== id) {
      throw new BaseError(
        'MODULE_INVALID',
        `module folder ${name} must default-export a module with id "${id}"`,
      );
    }
    found.push(mod.default);
  }
  return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
