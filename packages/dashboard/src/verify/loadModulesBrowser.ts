/**
 * `loadModules` for the browser: the same module objects the node and the
 * CLI load from `modules/<folder>/src/index.ts`, found at build time with
 * import.meta.glob and imported on demand (each in its own chunk). The
 * module id comes from the folder's package.json (`groundwork.module`), as
 * in packages/node/src/modules/load.ts.
 *
 * @module
 */
import type { GroundworkModule } from '@groundwork/node/modules/types.ts';

const manifests = import.meta.glob<{ module?: string } | undefined>('../../../../modules/*/package.json', {
  eager: true,
  import: 'groundwork',
});
const indexes = import.meta.glob<{ default?: GroundworkModule }>('../../../../modules/*/src/index.ts');

/** Module id → its folder's index loader. */
const byId = new Map<string, () => Promise<{ default?: GroundworkModule }>>();
for (const [path, groundwork] of Object.entries(manifests)) {
  const id = groundwork?.module;
  const folder = path.split('/').at(-2)!; // …/modules/<folder>/package.json
  const load = indexes[`../../../../modules/${folder}/src/index.ts`];
  if (id && load) byId.set(id, load);
}

/** Module ids whose code this build of the dashboard can run. */
export const browserModuleIds: readonly string[] = [...byId.keys()].sort();

/**
 * Loads the named modules (all when `only` is unset), sorted by id like the
 * node's loader. A module missing from this build, or whose index cannot run
 * in a browser, fails with a message naming it.
 */
export async function loadModules(
  options: { only?: readonly string[] | undefined } = {},
): Promise<GroundworkModule[]> {
  const ids = options.only ?? browserModuleIds;
  const found: GroundworkModule[] = [];
  for (const id of ids) {
    const load = byId.get(id);
    if (!load)
      throw new Error(
        `module ${id} is not part of this dashboard build, so its scores cannot be re-run here`,
      );
    let mod: { default?: GroundworkModule };
    try {
      mod = await load();
    } catch (cause) {
      throw new Error(`module ${id} cannot be loaded in a browser: ${(cause as Error).message}`, { cause });
    }
    if (!mod.default || mod.default.id !== id)
      throw new Error(`module folder of ${id} must default-export a module with id "${id}"`);
    found.push(mod.default);
  }
  return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
