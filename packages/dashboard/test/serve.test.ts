import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { registerDashboard } from '@groundwork/node/api/dashboard.ts';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const INDEX =
  '<!doctype html><html><body><div id="root"></div><script src="/assets/app-3f9a1c.js"></script></body></html>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;

async function appWith(distDir: string): Promise<FastifyInstance> {
  const app = Fastify();
  app.get('/v1/status', async () => ({ ok: true }));
  await registerDashboard(app, { distDir });
  await app.ready();
  return app;
}

describe('the node serving the dashboard (registerDashboard)', () => {
  const root = mkdtempSync(join(tmpdir(), 'gw-dist-'));
  const dist = join(root, 'dist');
  let app: FastifyInstance;

  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'), { recursive: true });
    writeFileSync(join(dist, 'index.html'), INDEX);
    writeFileSync(join(dist, 'assets/app-3f9a1c.js'), SCRIPT);
    writeFileSync(join(dist, 'assets/app-77d0e2.css'), 'body{color:#1f2328}');
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(root, 'secret.txt'), 'outside dist');
    app = await appWith(dist);
  });
  afterAll(async () => {
    await app.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers / with index.html, revalidated on every load', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toBe(INDEX);
    expect((await app.inject({ method: 'HEAD', url: '/' })).statusCode).toBe(200);
  });

  it("answers the dashboard's own routes with index.html (a reload or a shared link works)", async () => {
    for (const url of ['/epochs/3', '/devices/0x' + 'ab'.repeat(32), '/wallet?x=1', '/modules/uptime']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(200);
      expect(res.body).toBe(INDEX);
    }
  });

  it('serves hashed assets with their content type, cached for a year, gzipped when accepted', async () => {
    const js = await app.inject({ method: 'GET', url: '/assets/app-3f9a1c.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.headers['content-encoding']).toBeUndefined();
    expect(js.body).toBe(SCRIPT);
    const gz = await app.inject({
      method: 'GET',
      url: '/assets/app-3f9a1c.js',
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('accept-encoding');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(SCRIPT);
    const css = await app.inject({ method: 'GET', url: '/assets/app-77d0e2.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    const svg = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['cache-control']).toBe('no-cache');
  });

  it('answers a missing asset with 404, never with index.html', async () => {
    const res = await app.inject({ method: 'GET', url: '/assets/app-000000.js' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'no file /assets/app-000000.js' } });
    expect((await app.inject({ method: 'GET', url: '/robots.txt' })).statusCode).toBe(404);
  });

  it("keeps the API's routes and its JSON 404 for unknown API paths", async () => {
    expect((await app.inject({ method: 'GET', url: '/v1/status' })).json()).toEqual({ ok: true });
    for (const url of ['/v1/nope', '/v1', '/v1/devices/x/y/z']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({ error: { code: 'NOT_FOUND', message: `no route GET ${url}` } });
    }
  });

  it('never serves a file outside dist', async () => {
    for (const url of ['/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.body).not.toContain('outside dist');
      expect(res.statusCode).toBe(404);
    }
  });

  it('serves a rebuilt file without a restart', async () => {
    writeFileSync(join(dist, 'index.html'), `${INDEX}\n<!-- rebuilt -->`);
    expect((await app.inject({ method: 'GET', url: '/' })).body).toContain('rebuilt');
    writeFileSync(join(dist, 'index.html'), INDEX);
  });

  it('says how to build the dashboard when it is not built', async () => {
    const bare = await appWith(join(root, 'nothing-here'));
    const res = await bare.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.body).toContain('dashboard not built');
    expect(res.body).toContain('npm run build -w @groundwork/dashboard');
    expect((await bare.inject({ method: 'GET', url: '/v1/nope' })).statusCode).toBe(404);
    await bare.close();
  });
});
