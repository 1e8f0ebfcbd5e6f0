import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

/**
 * Node-only packages that module code (and the node files modules import) may
 * pull in for their server side: store drivers, HTTP server, broker, logger,
 * metrics. In the browser build they resolve to an inert stub that throws
 * only when used, so a module's `score` still runs in the browser even though
 * its index also wires routes and a database (see docs/DASHBOARD.md).
 */
const NODE_ONLY =
  /^(better-sqlite3|pg|pg-.*|fastify|fastify-.*|@fastify\/.*|pino|pino-.*|prom-client|aedes|mqtt|ws|tsx(\/.*)?)$/;
/** Files whose imports get the browser treatment: modules, the node and the CLI (never the dashboard's own). */
const SERVER_CODE = /[\\/](modules[\\/][^\\/]+[\\/]src|packages[\\/](node|cli)[\\/]src)[\\/]/;

function browserShims(): Plugin {
  const stub = '\0gw-node-only:';
  return {
    name: 'groundwork-browser-shims',
    enforce: 'pre',
    resolveId(id, importer) {
      if (!importer || !SERVER_CODE.test(importer)) return null;
      // The node's barrel pulls in the whole server; its pure part, with browser
      // stand-ins for loadModules and hashBundle, is src/verify/nodeBrowser.ts.
      if (id === '@groundwork/node') return here('./src/verify/nodeBrowser.ts');
      // Server classes extend EventEmitter at module top level: give them a real one.
      if (id === 'node:events' || id === 'events') return here('./src/verify/eventsBrowser.ts');
      if (NODE_ONLY.test(id) || id.startsWith('node:')) return stub + id;
      return null;
    },
    load(id) {
      if (!id.startsWith(stub)) return null;
      const name = JSON.stringify(id.slice(stub.length));
      return `const fail = () => { throw new Error(${name} + ' runs only in Node, not in a browser'); };
const inert = new Proxy(function () {}, { get: (_t, k) => (k === 'then' ? undefined : inert), apply: fail, construct: fail });
export default inert;
`;
    },
  };
}

// The dashboard is served by the node at `/`; `npm run dev -w @groundwork/dashboard`
// proxies the API of a running node (GROUNDWORK_API, default http://127.0.0.1:8787).
const api = process.env.GROUNDWORK_API ?? 'http://127.0.0.1:8787';

export default defineConfig({
  plugins: [react(), browserShims()],
  resolve: {
    alias: [
      // The barrel of @groundwork/protocol evaluates keys.ts and signature.ts, which call
      // Buffer.from at module top level and import node:crypto; the epoch code only needs
      // canonicalize. This entry re-exports the browser-safe part of the protocol.
      { find: /^@groundwork\/protocol$/, replacement: here('./src/verify/protocolBrowser.ts') },
    ],
  },
  build: {
    target: 'es2022',
    // Named imports of the stubs above (e.g. `import { createHash } from 'node:crypto'` in
    // a module) become undefined instead of failing the build; our own code is type-checked.
    rolldownOptions: {
      shimMissingExports: true,
      onLog(level, log, handler) {
        if (log.code === 'SHIMMED_EXPORT') return;
        handler(level, log);
      },
    },
    outDir: 'dist',
    emptyOutDir: true,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 700,
  },
  server: { proxy: { '/v1': { target: api, changeOrigin: true }, '/openapi.json': api } },
});
