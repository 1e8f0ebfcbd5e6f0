/**
 * `@groundwork/dashboard`: what a module view (`modules/<id>/dashboard/index.tsx`)
 * may import — the API client's types, the extension-point type, and the shared
 * UI primitives, charts, hooks and formatters. See docs/DASHBOARD.md.
 *
 * @module
 */
export * from './api.ts';
export * from './format.ts';
export { type Loaded, useApi, useApiClient, useLive, useLiveState, useNow, useStatus } from './hooks.ts';
export { deviceStatus, groupByCell, HexMap, type MapCell } from './map/HexMap.tsx';
export { type DashboardModule, defineDashboardModule } from './moduleViews.ts';
export { Link, useRouter } from './router.tsx';
export { BarChart, LineChart, type Series, ShareBars } from './ui/charts.tsx';
export * from './ui/primitives.tsx';
