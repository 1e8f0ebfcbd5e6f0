/**
 * `@groundwork/dashboard`: what a module view (`modules/<id>/dashboard/index.tsx`)
 * may import — the API client's types, the extension-point type, and the shared
 * UI primitives, charts, hooks, formatters, and the wallet (whose chain code
 * loads on first use). See docs/DASHBOARD.md.
 *
 * @module
 */
// RFC 8785 canonical JSON, for views that re-hash what the node signed or anchored (pure, no Node built-ins).
export { canonicalize } from '../../protocol/src/canonical.ts';
export * from './api.ts';
export {
  BuyCredits,
  type ChainModule,
  type ConnectedWallet,
  loadChain,
  useChain,
  useWallet,
  WalletConnect,
  WalletGate,
} from './chain/wallet.tsx';
export * from './format.ts';
export { type Loaded, useApi, useApiClient, useLive, useLiveState, useNow, useStatus } from './hooks.ts';
export { deviceStatus, groupByCell, HexMap, type MapCell } from './map/HexMap.tsx';
export { type DashboardModule, defineDashboardModule } from './moduleViews.ts';
export { Link, useRouter } from './router.tsx';
export { BarChart, LineChart, type Series, ShareBars } from './ui/charts.tsx';
export * from './ui/primitives.tsx';
