/**
 * The extension point for module views. A module may ship
 * `modules/<id>/dashboard/index.tsx` whose default export is a
 * {@link DashboardModule}; the dashboard finds every such file at build time
 * and loads each lazily (its own chunk, outside the first load) when its page
 * is opened. See docs/DASHBOARD.md.
 *
 * @module
 */
import type { ComponentType } from 'react';
import type { ApiClient } from './api.ts';

/** What `modules/<id>/dashboard/index.tsx` default-exports. */
export interface DashboardModule {
  /** The module id: the same as its folder name and its `groundwork.module`. */
  id: string;
  /** Title of the module's page, e.g. "Energy market". */
  title: string;
  /** The module's page. It reads the network only through `api`. */
  View: ComponentType<{ api: ApiClient }>;
}

/** Declares a module view with its type checked. @example export default defineDashboardModule({ id, title, View }); */
export function defineDashboardModule(m: DashboardModule): DashboardModule {
  return m;
}

const found = import.meta.glob<{ default?: DashboardModule }>('../../../modules/*/dashboard/index.tsx');

/** Module id → loader of its view, for every module folder that ships one. */
export const moduleViews: ReadonlyMap<string, () => Promise<DashboardModule>> = new Map(
  Object.entries(found).map(([path, load]) => {
    const id = path.split('/').at(-3)!;
    const loader = async () => {
      const view = (await load()).default;
      if (!view || view.id !== id || typeof view.View !== 'function')
        throw new Error(`modules/${id}/dashboard/index.tsx must default-export { id: '${id}', title, View }`);
      return view;
    };
    return [id, loader] as const;
  }),
);
