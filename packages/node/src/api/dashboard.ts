import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from './errors.ts';

/** Where `npm run build -w @groundwork/dashboard` writes the web dashboard. */
export const DASHBOARD_DIST = resolve(dirname(fileURLToPath(import.meta.url)), '../../../dashboard/dist');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.webmanifest': 'application/manifest+json',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt', '.wasm']);

/** Paths that belong to the API: never answered with the dashboard, so unknown ones keep the JSON 404. */
const API_PATHS = /^\/(v1(\/|$)|openapi\.json$|metrics$|healthz$|documentation(\/|$))/;

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Groundwork — dashboard not built</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328;line-height:1.5}code{background:#f6f8fa;padding:.1rem .3rem;border-radius:4px}</style>
</head><body>
<h1>Dashboard not built</h1>
<p>The web dashboard is not built — run <code>npm run build -w @groundwork/dashboard</code>, then reload this page.</p>
<p>It is served from <code>packages/dashboard/dist</code>, which does not exist yet. The node's API works meanwhile:
<a href="/v1/status">/v1/status</a>, <a href="/openapi.json">/openapi.json</a>.</p>
</body></html>
`;

interface CachedFile {
  mtimeMs: number;
  size: number;
  body: Buffer;
  gzip: Buffer | undefined;
}

/**
 * Serves the built web dashboard (Vite + React, `packages/dashboard/dist`)
 * at `/`, beside the API:
 * - files of `dist` with their content type; hashed `/assets/*` cached for a
 *   year (`immutable`), everything else revalidated (`no-cache`); gzip when
 *   the client accepts it;
 * - any other path that is not the API's (`/v1/…`, `/openapi.json`,
 *   `/metrics`, `/healthz`) gets `index.html`, so the dashboard's own routes
 *   (`/epochs/3`, `/devices/0x…`) load on reload or from a shared link;
 * - an unknown API path still gets the API's JSON 404;
 * - without a build, a page that says how to build it (503).
 *
 * Files are read on request (a rebuild shows up without a restart) and kept
 * in memory while their size and mtime do not change.
 */
export async function registerDashboard(
  app: FastifyInstance,
  options: { distDir?: string } = {},
): Promise<void> {
  const dist = resolve(options.distDir ?? DASHBOARD_DIST);
  const cache = new Map<string, CachedFile>();

  async function load(file: string): Promise<CachedFile | undefined> {
    const st = await stat(file).catch(() => undefined);
    if (!st?.isFile()) return undefined;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit;
    const body = await readFile(file);
    const ext = extname(file);
    const entry: CachedFile = {
      mtimeMs: st.mtimeMs,
      size: st.size,
      body,
      gzip: COMPRESSIBLE.has(ext) && body.length > 1024 ? gzipSync(body) : undefined,
    };
    cache.set(file, entry);
    return entry;
  }

  function send(req: FastifyRequest, reply: FastifyReply, f: CachedFile, file: string, cacheControl: string) {
    reply
      .header('content-type', CONTENT_TYPES[extname(file)] ?? 'application/octet-stream')
      .header('cache-control', cacheControl)
      .header('x-content-type-options', 'nosniff');
    if (f.gzip) {
      reply.header('vary', 'accept-encoding');
      if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')))
        return reply.header('content-encoding', 'gzip').send(f.gzip);
    }
    return reply.send(f.body);
  }

  const serve = async (req: FastifyRequest, reply: FastifyReply) => {
    const raw = req.url.split('?')[0] ?? '/';
    let path: string;
    try {
      path = decodeURIComponent(raw);
    } catch {
      return reply.status(400).send(errorBody('BAD_REQUEST', 'malformed URL'));
    }
    if (API_PATHS.test(path))
      return reply.status(404).send(errorBody('NOT_FOUND', `no route ${req.method} ${req.url}`));
    const indexFile = join(dist, 'index.html');
    if (!existsSync(indexFile)) {
      return reply
        .status(503)
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .send(NOT_BUILT);
    }
    if (path !== '/') {
      const file = resolve(dist, `.${path}`);
      // Never outside dist, whatever the path says.
      if (!file.startsWith(dist + sep)) return reply.status(404).send(errorBody('NOT_FOUND', 'no such file'));
      const f = await load(file);
      if (f) {
        const immutable = path.startsWith('/assets/');
        return send(req, reply, f, file, immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
      }
      // A missing file (a stale chunk name, a typo) is a 404, not the app: a
      // browser must never run index.html as a script.
      if (path.startsWith('/assets/') || extname(path) !== '')
        return reply.status(404).send(errorBody('NOT_FOUND', `no file ${path}`));
    }
    const index = await load(indexFile);
    if (!index) return reply.status(503).header('content-type', 'text/html; charset=utf-8').send(NOT_BUILT);
    return send(req, reply, index, indexFile, 'no-cache');
  };

  app.get('/', { schema: { hide: true } }, serve);
  app.get('/*', { schema: { hide: true } }, serve);
}
