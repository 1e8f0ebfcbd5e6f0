/** The dashboard shell: header and navigation, live indicator, routes, footer. */
import { lazy, Suspense, useEffect, useRef } from 'react';
import { useLiveState, useStatus } from './hooks.ts';
import MapPage from './pages/MapPage.tsx';
import { Link, matchPath, useRouter } from './router.tsx';
import { Loading } from './ui/primitives.tsx';

// Everything but the landing page is its own chunk, loaded when first opened.
const EpochsPage = lazy(() => import('./pages/EpochsPage.tsx'));
const EpochPage = lazy(() => import('./pages/EpochPage.tsx'));
const DevicePage = lazy(() => import('./pages/DevicePage.tsx'));
const WalletPage = lazy(() => import('./pages/WalletPage.tsx'));
const ModulesIndex = lazy(() => import('./pages/ModulesPage.tsx').then((m) => ({ default: m.ModulesIndex })));
const ModulePage = lazy(() => import('./pages/ModulesPage.tsx').then((m) => ({ default: m.ModulePage })));

const NAV = [
  { to: '/', label: 'Network', match: (p: string) => p === '/' || p.startsWith('/devices') },
  { to: '/epochs', label: 'Epochs', match: (p: string) => p.startsWith('/epochs') },
  { to: '/modules', label: 'Modules', match: (p: string) => p.startsWith('/modules') },
  { to: '/wallet', label: 'Wallet', match: (p: string) => p.startsWith('/wallet') },
];

function route(path: string) {
  let m: Record<string, string> | null;
  if (path === '/' || path === '') return { title: 'Network', page: <MapPage /> };
  if (path === '/epochs') return { title: 'Epochs', page: <EpochsPage /> };
  if ((m = matchPath('/epochs/:n', path)) && /^\d+$/.test(m.n!))
    return { title: `Epoch ${m.n}`, page: <EpochPage key={m.n} n={Number(m.n)} /> };
  if ((m = matchPath('/devices/:id', path)) && /^0x[0-9a-fA-F]{64}$/.test(m.id!))
    return { title: 'Device', page: <DevicePage key={m.id} id={m.id!.toLowerCase()} /> };
  if (path === '/wallet') return { title: 'Wallet', page: <WalletPage /> };
  if (path === '/modules') return { title: 'Modules', page: <ModulesIndex /> };
  if ((m = matchPath('/modules/:id', path)))
    return { title: `Module ${m.id}`, page: <ModulePage key={m.id} id={m.id!} /> };
  return {
    title: 'Not found',
    page: (
      <>
        <h1>Not found</h1>
        <p>
          There is no page at <code>{path}</code>. <Link to="/">Back to the network</Link>.
        </p>
      </>
    ),
  };
}

function LiveIndicator() {
  const state = useLiveState();
  const text = state === 'open' ? 'live' : state === 'connecting' ? 'connecting…' : 'offline';
  return (
    <span className={`live live-${state}`} role="status" data-testid="live-state">
      <span className="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

export function App() {
  const { path } = useRouter();
  const { title, page } = route(path);
  const status = useStatus();
  const main = useRef<HTMLElement>(null);
  const shown = useRef(path);
  useEffect(() => {
    document.title = `${title} · Groundwork`;
  }, [title]);
  useEffect(() => {
    // After an in-app navigation (not on first load), move focus to the new page
    // for keyboard and screen-reader users.
    if (shown.current === path) return;
    shown.current = path;
    main.current?.focus({ preventScroll: true });
  }, [path]);
  return (
    <>
      <a href="#main" className="skip">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand" aria-label="Groundwork home">
          <svg viewBox="0 0 16 16" width="22" height="22" aria-hidden="true">
            <path d="M8 1l6 3.5v7L8 15l-6-3.5v-7z" fill="currentColor" />
          </svg>
          Groundwork
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={n.match(path) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <LiveIndicator />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <Suspense fallback={<Loading what="the page" />}>{page}</Suspense>
      </main>
      <footer className="bottom">
        <span>
          {status.data
            ? `Chain ${status.data.chainId} · distributor ${status.data.contracts.distributor}`
            : 'Groundwork node'}
        </span>
        <a href="/openapi.json">API (OpenAPI)</a>
      </footer>
    </>
  );
}
