/**
 * The merged contract's docs as served by `npm run dev` (DOCS_PORT, 42070): the static Redocly reference
 * (generated/docs/index.html), Scalar over the merged contract with a working try-it, the guides, the changelog
 * and the contract file.
 *
 * Try-it: the contract lists each path's servers (production, staging, local development). For Scalar the page
 * is given /openapi/try-it.json — the same contract with every path's local server rewritten to the host the
 * page was opened from (localhost or 127.0.0.1, so the session cookie stays same-site) and listed first, so each
 * operation goes to its own local worker by default. The page's CSP allows connecting to exactly those servers,
 * Scalar sends the browser's cookies with each request, and `npm run dev` adds the docs origin to the workers'
 * CORS allow-list (credentials allowed).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { docsPageCsp, scalarPageOptions } from '@codex/worker-kit';
import { Scalar } from '@scalar/hono-api-reference';
import { Hono } from 'hono';
import { parse } from 'yaml';
import { GUIDES } from './guides';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A local development server URL of the contract (http://localhost:<port>). */
const LOCAL_SERVER = /^http:\/\/localhost:(\d+)$/;

export interface DocsAppOptions {
  /** Repository root holding openapi/ and generated/. */
  root: string;
  /**
   * The origin try-it uses for the local server on `port` (the port the contract names, e.g. 4001), for a page
   * opened on `hostname`. Default: the same port on the page's host.
   */
  localOrigin?: (port: number, hostname: string) => string;
  /** Links to each worker's own /docs page, for the index. */
  workerDocs?: Array<{ name: string; url: string }>;
}

interface Server {
  url: string;
  description?: string;
}

/** Local servers first, rewritten by `rewrite`; the other servers after them in their order. */
function localFirst(servers: unknown, rewrite: (port: number) => string): Server[] | undefined {
  if (!Array.isArray(servers)) return undefined;
  const local: Server[] = [];
  const others: Server[] = [];
  for (const s of servers as Server[]) {
    const m = LOCAL_SERVER.exec(s.url);
    if (m) local.push({ ...s, url: rewrite(Number(m[1])) });
    else others.push(s);
  }
  return [...local, ...others];
}

/**
 * The contract for try-it: every `servers` list (document, path item, operation) with its local servers
 * rewritten and first. Returns the document and every server URL it lists.
 */
export function tryItContract(doc: Obj, rewrite: (port: number) => string): { doc: Obj; servers: string[] } {
  const all = new Map<string, string | undefined>(); // url → description
  const fix = (holder: Obj) => {
    const servers = localFirst(holder.servers, rewrite);
    if (!servers) return;
    holder.servers = servers;
    for (const s of servers) if (!all.has(s.url)) all.set(s.url, s.description);
  };
  const out = structuredClone(doc);
  for (const item of Object.values(isObj(out.paths) ? out.paths : {})) {
    if (!isObj(item)) continue;
    for (const op of Object.values(item)) {
      if (!isObj(op) || !('responses' in op)) continue;
      // Scalar's try-it reads operation-level servers (not path-level ones): each operation gets its path's.
      if (op.servers === undefined && item.servers !== undefined) op.servers = structuredClone(item.servers);
      fix(op);
    }
    fix(item);
  }
  // The document's own servers (shown beside the introduction): the local ones first as well.
  const local = [...all]
    .filter(([url]) => !/^https:/.test(url))
    .map(([url, description]) => ({ url, description: description ?? 'Local development' }));
  const rest = Array.isArray(out.servers) ? (out.servers as Server[]) : [];
  out.servers = [...local, ...rest.filter((s) => !local.some((l) => l.url === s.url))];
  for (const s of rest) if (!all.has(s.url)) all.set(s.url, s.description);
  return { doc: out, servers: [...all.keys()] };
}

export function docsApp(options: DocsAppOptions) {
  const { root } = options;
  const localOrigin = options.localOrigin ?? ((port: number, hostname: string) => `http://${hostname}:${port}`);
  const app = new Hono();
  const file = async (rel: string) => {
    try {
      return await readFile(join(root, rel));
    } catch {
      return undefined;
    }
  };
  const missing = (what: string) =>
    new Response(`${what} has not been generated yet: run \`npm run contract\`.\n`, {
      status: 404,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
  const send = (body: Uint8Array | string, type: string, extra: Record<string, string> = {}) =>
    new Response(typeof body === 'string' ? body : new Uint8Array(body), {
      headers: { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', ...extra },
    });

  app.get('/', (c) =>
    c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Codex API docs</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto">
<h1>Codex API — merged contract</h1>
<ul>
<li><a href="/scalar">Interactive reference (Scalar)</a> — try-it sends each operation to its own local worker</li>
<li><a href="/redoc">Reference (static, Redocly)</a> — generated/docs/index.html</li>
<li><a href="/openapi/codex.yaml">openapi/codex.yaml</a></li>
<li><a href="/changelog.html">Changelog</a> — what changed in each contract version (generated/docs/changelog.html)</li>
</ul>
<h2>Guides</h2>
<ul>
${GUIDES.map((g) => `<li><a href="/guides/${g.slug}.md">${g.title}</a></li>`).join('\n')}
</ul>
${
  options.workerDocs?.length
    ? `<p>Per worker: ${options.workerDocs.map((w) => `<a href="${w.url}">${w.name}</a>`).join(' · ')}</p>`
    : ''
}
</body></html>`),
  );
  app.get('/redoc', async () => {
    const html = await file('generated/docs/index.html');
    return html ? send(html, 'text/html') : missing('generated/docs/index.html');
  });
  app.get('/index.html', (c) => c.redirect('/redoc')); // the changelog links to the reference as index.html
  // Beside the static reference, whose description links to them (changelog.html, guides/<slug>.md).
  for (const [route, type] of [
    ['/changelog.html', 'text/html'],
    ['/changelog.md', 'text/markdown'],
  ] as const) {
    app.get(route, async () => {
      const body = await file(`generated/docs${route}`);
      return body ? send(body, type) : missing(`generated/docs${route}`);
    });
  }
  app.get('/guides/:name{[a-z0-9-]+\\.md}', async (c) => {
    const rel = `generated/docs/guides/${c.req.param('name')}`;
    const body = await file(rel);
    if (body) return send(body, 'text/markdown');
    return GUIDES.some((g) => `${g.slug}.md` === c.req.param('name')) ? missing(rel) : c.text('No such guide\n', 404);
  });
  app.get('/openapi/codex.yaml', async () => {
    const yaml = await file('openapi/codex.yaml');
    return yaml ? send(yaml, 'application/yaml') : missing('openapi/codex.yaml');
  });
  const tryIt = async (hostname: string) => {
    const yaml = await file('openapi/codex.yaml');
    if (!yaml) return undefined;
    return tryItContract(parse(yaml.toString('utf8')) as Obj, (port) => localOrigin(port, hostname));
  };
  app.get('/openapi/try-it.json', async (c) => {
    const contract = await tryIt(new URL(c.req.url).hostname);
    return contract ? c.json(contract.doc, 200, { 'cache-control': 'no-store' }) : missing('openapi/codex.yaml');
  });
  app.get('/docs/scalar.js', async () => {
    const js = await file('assets/docs/scalar.js');
    return js ? send(js, 'application/javascript') : missing('assets/docs/scalar.js (npm install copies it)');
  });
  app.get('/scalar', async (c) => {
    const contract = await tryIt(new URL(c.req.url).hostname);
    const nonce = crypto.randomUUID().replace(/-/g, '');
    const handler = Scalar(
      scalarPageOptions({
        url: '/openapi/try-it.json',
        cdn: '/docs/scalar.js',
        pageTitle: 'Codex API reference',
        nonce,
      }) as unknown as Parameters<typeof Scalar>[0],
    );
    const res = (await handler(c, async () => undefined)) as Response;
    const headers = new Headers(res.headers);
    headers.set('Content-Security-Policy', docsPageCsp(nonce, contract?.servers ?? []));
    return new Response(res.body, { status: res.status, headers });
  });
  return app;
}
