import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { buildTracker } from '../clients/web/build';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
};

const OPS_CSS = (root: string) => path.join(root, 'node_modules', 'uplot', 'dist', 'uPlot.min.css');

/**
 * The local cloud's static site, on a port (an origin) of its own, as a site on S3/CloudFront would be: the
 * tracker (`/tracker/clickstream.min.js`, `/tracker/clickstream.mjs`), the demo storefront (`/demo/`), whose
 * config points it at the HTTP API, and the operations page (`/ops/`, its data from `ops`). Built once, when the
 * local cloud starts.
 */
export async function createSite(root: string, apiUrl: () => string, ops?: () => Promise<unknown>): Promise<http.Server> {
  const demoDir = path.join(root, 'clients', 'demo');
  const opsDir = path.join(root, 'clients', 'ops');
  const bundle = (entry: string) => build({ entryPoints: [entry], bundle: true, minify: true, target: ['es2020'], platform: 'browser', write: false });
  const [tracker, app, opsApp] = await Promise.all([buildTracker(), bundle(path.join(demoDir, 'src', 'app.ts')), bundle(path.join(opsDir, 'src', 'ops.ts'))]);
  const built: Record<string, string> = {
    '/tracker/clickstream.min.js': tracker.iife,
    '/tracker/clickstream.mjs': tracker.esm,
    '/demo/app.js': app.outputFiles[0]!.text,
    '/ops/ops.js': opsApp.outputFiles[0]!.text,
  };
  const files: Record<string, string> = {
    '/demo/': 'index.html',
    '/demo/index.html': 'index.html',
    '/demo/style.css': 'style.css',
    '/demo/catalog.json': 'catalog.json',
  };
  return http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://site');
      if (url.pathname === '/') {
        res.writeHead(302, { location: '/demo/' }).end();
        return;
      }
      if (url.pathname === '/favicon.ico') {
        res.writeHead(204).end();
        return;
      }
      if (url.pathname === '/ops/data.json' && ops) {
        const data = await ops().catch((error: Error) => ({ error: error.message }));
        res.writeHead('error' in (data as object) ? 503 : 200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(data));
        return;
      }
      let body: string | undefined = built[url.pathname];
      if (url.pathname === '/ops/' || url.pathname === '/ops/index.html') body = await readFile(path.join(opsDir, 'index.html'), 'utf8');
      if (url.pathname === '/ops/style.css') body = await readFile(path.join(opsDir, 'style.css'), 'utf8');
      if (url.pathname === '/ops/uPlot.min.css') body = await readFile(OPS_CSS(root), 'utf8');
      if (url.pathname === '/demo/config.js') body = `window.CLICKSTREAM_DEMO = ${JSON.stringify({ endpoint: apiUrl() })};\n`;
      const file = files[url.pathname];
      if (body === undefined && file) body = await readFile(path.join(demoDir, file), 'utf8');
      if (body === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: the site has /demo/, /ops/ and /tracker/clickstream.min.js.\n');
        return;
      }
      const name = url.pathname.endsWith('/') ? 'index.html' : url.pathname;
      res.writeHead(200, { 'content-type': TYPES[path.extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
    })().catch((error: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`site error: ${error.message}\n`));
  });
}
