/**
 * Benchmark: the hot public reads against a bare Hono JSON route measured in the same run, loaded over HTTP by
 * autocannon in a separate process.
 *
 *   npx tsx scripts/bench/reads.ts [--runtime node|workerd|both] [--connections 50] [--duration 5]
 *
 * Routes (each with a warm session cache where signed in):
 *   GET /api/organizations/slug/{slug}   identity-api, anonymous (per-IP limit) and signed in as the owner (myRole)
 *   GET /api/content/{id}                content-api, signed in as another user, published content
 *
 * Setup goes through the real routes: two users registered with the auth worker, an organization created by the
 * first, a media item created → uploaded (1 KiB) → reported ready, content created with it and published; then one
 * request of each kind checks the answer and fills the session cache (AUTH_SESSION_KV, shared by the workers).
 *
 * Rate limits. Both routes sit behind rateLimit(RATE_LIMIT_PRESETS.api): 100 requests per minute per user (per IP
 * when anonymous), which would turn nearly all of a benchmark into 429s. The workers run with the operators' override
 * RATE_LIMITS="api=1000000000/60": the limiter still counts every request on the caller's Durable Object, only with a
 * higher limit. A probe request before each measurement checks that the limiter counted it (X-RateLimit-Limit is
 * the override, X-RateLimit-Remaining below it); autocannon's non-2xx count is printed and the run fails when more
 * than 1 % of the answers are not 2xx.
 *
 * --runtime node: the three apps served by @hono/node-server in this process on the local platform (Miniflare KV/R2
 *   proxies, the auth app behind AUTH_SERVICE in-process; embedded PGlite, or with DATABASE_URL a fresh
 *   `codex_test_*` database on that server through the relay, dropped afterwards), against a bare Hono route served
 *   by @hono/node-server.
 * --runtime workerd: wrangler's deploy bundles of auth, identity-api and content-api in one Miniflare (shared KV
 *   namespaces, R2 for content-api, AUTH_SERVICE → the auth Worker), each on its own workerd socket, next to the
 *   bare Worker (scripts/bench/bare-worker.ts). Needs DATABASE_URL (a fresh `codex_test_*` database through the
 *   relay); skipped with a message without it.
 *
 * All workers run with LOG_LEVEL=silent, so the figures are the request path, not log I/O.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startLocalPlatform } from '@codex/local';
import { app as authApp } from '@codex/worker-auth';
import { app as contentApp } from '@codex/worker-content-api';
import { app as identityApp } from '@codex/worker-identity-api';
import { RATE_LIMIT_PRESETS, readSessionCache } from '@codex/worker-kit';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { serveApp, WaitUntilTracker } from '../lib/worker-host';
import {
  arg,
  type BenchResult,
  bareServer,
  benchPair,
  closeBareServer,
  failureShare,
  printTable,
  ROOT,
  wranglerBundle,
} from './lib';

const connections = Number(arg('--connections', '50'));
const duration = Number(arg('--duration', '5'));
const runtime = arg('--runtime', 'both');
const PASSWORD = 'Bench-password-123';
/** At most this share of non-2xx answers (or errors) is tolerated in a measurement. */
const MAX_FAILURE_SHARE = 0.01;
const API = RATE_LIMIT_PRESETS.api;
/** The api limit the workers run with in the bench (RATE_LIMITS override): 1e9 requests of headroom per window. */
const BENCH_LIMIT = 1_000_000_000;
const RATE_LIMITS = `${API.name}=${BENCH_LIMIT}/${API.windowSeconds}`;

interface Urls {
  auth: string;
  identity: string;
  content: string;
  /** The bare Hono JSON route. */
  bare: string;
}

interface User {
  id: string;
  email: string;
  cookie: string;
}

interface Fixture {
  owner: User;
  viewer: User;
  orgId: string;
  orgSlug: string;
  contentId: string;
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The rate-limit subject the requests count against (`u:<id>` or `ip:<address>`). */
  subject: string;
  /** Checks one answer's body. */
  check: (body: Record<string, unknown>) => boolean;
}

// ---------------------------------------------------------------------------------------------------------------------
// Setup through the real routes
// ---------------------------------------------------------------------------------------------------------------------

async function send(
  url: string,
  init: { method?: string; body?: unknown; cookie?: string; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...init.headers };
  if (init.cookie) headers.cookie = init.cookie;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    body = { text };
  }
  return { res, status: res.status, body };
}

function expectStatus(step: string, got: { status: number; body: unknown }, status: number) {
  if (got.status !== status)
    throw new Error(`${step}: expected ${status}, got ${got.status} ${JSON.stringify(got.body)}`);
}

const cookieValueOf = (cookie: string) => decodeURIComponent(cookie.slice('codex-session='.length));
const rand = () => randomBytes(4).toString('hex');

async function register(urls: Urls, name: string, clientHeaders: Record<string, string>): Promise<User> {
  const email = `bench-${name.toLowerCase()}-${rand()}@example.test`;
  const r = await send(`${urls.auth}/api/auth/email/register`, {
    method: 'POST',
    body: { email, password: PASSWORD, name: `Bench ${name}` },
    headers: clientHeaders,
  });
  expectStatus(`register ${name}`, r, 201);
  const line = r.res.headers.getSetCookie().find((l) => l.startsWith('codex-session='));
  const id = (r.body.user as { id?: string } | undefined)?.id;
  if (!line || !id) throw new Error(`register ${name}: no session cookie or user id`);
  return { id, email, cookie: line.split(';')[0] as string };
}

/**
 * Users, an organization and published content, all through the workers' routes; then one read of each kind, which
 * also fills the session cache. `clientHeaders` go with every request (the client IP where the server does not set it).
 */
async function setup(
  urls: Urls,
  kv: { session: KVNamespace },
  clientHeaders: Record<string, string>,
): Promise<Fixture> {
  const owner = await register(urls, 'Owner', clientHeaders);
  const viewer = await register(urls, 'Viewer', clientHeaders);

  const orgSlug = `bench-studio-${rand()}`;
  const org = await send(`${urls.identity}/api/organizations`, {
    method: 'POST',
    body: { name: 'Bench Studio', slug: orgSlug, description: 'Organization of the read benchmark' },
    cookie: owner.cookie,
    headers: clientHeaders,
  });
  expectStatus('create organization', org, 201);
  const orgId = org.body.id as string;

  const size = 1024;
  const created = await send(`${urls.content}/api/media`, {
    method: 'POST',
    body: { title: 'Bench clip', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: size },
    cookie: owner.cookie,
    headers: clientHeaders,
  });
  expectStatus('create media', created, 201);
  const media = created.body.media as { id: string };
  const upload = created.body.upload as { url: string; method: string; headers: Record<string, string> };
  // fetch sets Content-Length from the body itself (it refuses a hand-set one); every other header as instructed.
  const uploadHeaders = Object.fromEntries(
    Object.entries(upload.headers).filter(([k]) => k.toLowerCase() !== 'content-length'),
  );
  const put = await fetch(upload.url, {
    method: upload.method,
    headers: { ...uploadHeaders, ...clientHeaders },
    body: new Uint8Array(randomBytes(size)),
  });
  const putBody = (await put.json()) as { status?: string };
  if (put.status !== 200 || putBody.status !== 'transcoding') {
    throw new Error(`upload: ${put.status} ${JSON.stringify(putBody)}`);
  }
  const ready = await send(`${urls.content}/api/media/${media.id}`, {
    method: 'PATCH',
    body: { status: 'ready', durationSeconds: 60, width: 1280, height: 720 },
    cookie: owner.cookie,
    headers: clientHeaders,
  });
  expectStatus('media ready', ready, 200);

  const content = await send(`${urls.content}/api/content`, {
    method: 'POST',
    body: { title: 'Bench episode', slug: `bench-episode-${rand()}`, contentType: 'video', mediaItemId: media.id },
    cookie: owner.cookie,
    headers: clientHeaders,
  });
  expectStatus('create content', content, 201);
  const contentId = content.body.id as string;
  const published = await send(`${urls.content}/api/content/${contentId}/publish`, {
    method: 'POST',
    cookie: owner.cookie,
    headers: clientHeaders,
  });
  expectStatus('publish content', published, 200);
  if (published.body.status !== 'published') throw new Error(`publish: ${JSON.stringify(published.body)}`);

  // One read each, which checks the answer and fills the session cache for both users.
  const fixture = { owner, viewer, orgId, orgSlug, contentId };
  const anonymous = await send(`${urls.identity}/api/organizations/slug/${orgSlug}`, { headers: clientHeaders });
  expectStatus('organization by slug (anonymous)', anonymous, 200);
  const asOwner = await send(`${urls.identity}/api/organizations/slug/${orgSlug}`, {
    cookie: owner.cookie,
    headers: clientHeaders,
  });
  expectStatus('organization by slug (owner)', asOwner, 200);
  const asViewer = await send(`${urls.content}/api/content/${contentId}`, {
    cookie: viewer.cookie,
    headers: clientHeaders,
  });
  expectStatus('content (viewer)', asViewer, 200);
  for (const [user, label] of [
    [owner, 'owner'],
    [viewer, 'viewer'],
  ] as const) {
    const cached = await readSessionCache(kv.session, cookieValueOf(user.cookie));
    if (cached?.user.id !== user.id) throw new Error(`the session cache of the ${label} is not warm`);
  }
  return fixture;
}

function targets(urls: Urls, f: Fixture, anonymousIp: string, clientHeaders: Record<string, string>): Target[] {
  const orgUrl = `${urls.identity}/api/organizations/slug/${f.orgSlug}`;
  return [
    {
      name: 'GET /api/organizations/slug/{slug} (anonymous)',
      url: orgUrl,
      headers: { ...clientHeaders },
      subject: `ip:${anonymousIp}`,
      check: (b) => b.id === f.orgId && b.myRole === null,
    },
    {
      name: 'GET /api/organizations/slug/{slug} (signed in, session cache warm)',
      url: orgUrl,
      headers: { ...clientHeaders, cookie: f.owner.cookie },
      subject: `u:${f.owner.id}`,
      check: (b) => b.id === f.orgId && b.myRole === 'owner',
    },
    {
      name: 'GET /api/content/{id} (signed in, published, session cache warm)',
      url: `${urls.content}/api/content/${f.contentId}`,
      headers: { ...clientHeaders, cookie: f.viewer.cookie },
      subject: `u:${f.viewer.id}`,
      // Another user's published content: the public view (no mediaItemId).
      check: (b) =>
        b.id === f.contentId && b.status === 'published' && b.creatorId === f.owner.id && b.mediaItemId === null,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------------
// Rate-limit headroom for the bench's own callers
// ---------------------------------------------------------------------------------------------------------------------

/** Sends one request and checks it answered 200 with the expected body, counted by the limiter under the override. */
async function probe(t: Target) {
  const r = await send(t.url, { headers: t.headers });
  expectStatus(`${t.name}: probe`, r, 200);
  if (!t.check(r.body)) throw new Error(`${t.name}: unexpected body ${JSON.stringify(r.body)}`);
  const limit = r.res.headers.get('x-ratelimit-limit');
  const remaining = Number(r.res.headers.get('x-ratelimit-remaining'));
  if (limit !== String(BENCH_LIMIT) || !(remaining < BENCH_LIMIT)) {
    throw new Error(`${t.name}: X-RateLimit-Limit ${limit}, Remaining ${remaining}: not counted under ${RATE_LIMITS}`);
  }
}

async function measure(label: string, urls: Urls, list: Target[], server: string) {
  const results: Array<[string, BenchResult]> = [];
  for (const t of list) {
    await probe(t);
    const r = await benchPair(
      `[${label}] ${t.name}`,
      t.url,
      urls.bare,
      { headers: t.headers, connections, duration },
      server,
      {
        maxFailureShare: MAX_FAILURE_SHARE,
      },
    );
    results.push([t.name, r]);
  }
  return results;
}

// ---------------------------------------------------------------------------------------------------------------------
// Node: @hono/node-server + the local platform
// ---------------------------------------------------------------------------------------------------------------------

async function benchNode() {
  const dbNode = process.env.DATABASE_URL ? await import('@codex/database/node') : undefined;
  const database = dbNode ? await dbNode.createTestDatabase() : undefined;
  const apps = { auth: authApp, 'identity-api': identityApp, 'content-api': contentApp };
  const platform = await startLocalPlatform({
    apps,
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', RATE_LIMITS },
    ...(database ? { databaseUrl: database.url } : {}),
  });
  const tracker = new WaitUntilTracker();
  const served = await Promise.all(
    (['auth', 'identity-api', 'content-api'] as const).map((w) =>
      serveApp(apps[w], { port: 0, env: () => platform.envFor(w), tracker }),
    ),
  );
  try {
    const [auth, identity, content] = served as [(typeof served)[0], (typeof served)[0], (typeof served)[0]];
    const bare = await bareServer();
    const urls: Urls = { auth: auth.url, identity: identity.url, content: content.url, bare: `${bare.url}/bare` };
    const fixture = await setup(urls, { session: platform.kv.AUTH_SESSION_KV }, {});
    await tracker.drain();
    const where = database ? `${platform.mode} (${database.name} via the relay)` : platform.mode;
    console.log(`\n[node] database: ${where}; organization ${fixture.orgSlug}, content ${fixture.contentId}`);
    // The dev host sets cf-connecting-ip from the socket: autocannon connects from 127.0.0.1.
    return await measure('node', urls, targets(urls, fixture, '127.0.0.1', {}), '@hono/node-server');
  } finally {
    for (const s of served) await s.close();
    await closeBareServer();
    await tracker.drain();
    await platform.close();
    if (database && dbNode) {
      await dbNode.dropTestDatabase(database.url).catch((e) => console.error(`could not drop ${database.name}:`, e));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// workerd: wrangler's deploy bundles in Miniflare
// ---------------------------------------------------------------------------------------------------------------------

/** The client address the workerd requests carry (no edge in front of a direct socket sets one). */
const WORKERD_CLIENT_IP = '198.51.100.7';

async function benchWorkerd() {
  const dbNode = await import('@codex/database/node');
  const cacheDir = join(ROOT, 'node_modules', '.cache', 'codex-bench', 'reads');
  const scripts: Record<string, string> = {};
  for (const w of ['auth', 'identity-api', 'content-api']) {
    scripts[w] = await wranglerBundle({ cwd: join(ROOT, 'workers', w), outdir: join(cacheDir, w) });
  }
  const bareScript = await wranglerBundle({
    cwd: join(ROOT, 'scripts', 'bench'),
    config: 'bare-worker.wrangler.jsonc',
    outdir: join(cacheDir, 'bare'),
  });

  const relay = await dbNode.startRelay();
  let mf: Miniflare | undefined;
  let database: { name: string; url: string } | undefined;
  try {
    database = await dbNode.createTestDatabase({ proxy: relay.url });
    const common = {
      modules: true,
      unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
    };
    const worker = (w: string, name: string, extra: Record<string, string>) => {
      const { workerOptions: o } = unstable_getMiniflareWorkerOptions(join(ROOT, 'workers', w, 'wrangler.jsonc'));
      return {
        ...common,
        name,
        scriptPath: scripts[w] as string,
        compatibilityDate: o.compatibilityDate,
        compatibilityFlags: o.compatibilityFlags,
        bindings: {
          ...(o.bindings as Record<string, string>),
          LOG_LEVEL: 'silent',
          DATABASE_URL: (database as { url: string }).url,
          NEON_WS_PROXY: relay.url,
          RATE_LIMITS,
          ...extra,
        },
        kvNamespaces: o.kvNamespaces,
        // RATE_LIMITER: hosted by codex-auth, bound by the others (script_name), as deployed.
        durableObjects: o.durableObjects,
        ...(o.r2Buckets ? { r2Buckets: o.r2Buckets } : {}),
        ...(w === 'auth' ? {} : { serviceBindings: { AUTH_SERVICE: 'codex-auth' } }),
      };
    };
    const { workerOptions: bareOptions } = unstable_getMiniflareWorkerOptions(
      join(ROOT, 'scripts', 'bench', 'bare-worker.wrangler.jsonc'),
    );
    const runner = new Miniflare({
      workers: [
        worker('auth', 'codex-auth', { EMAIL_TRANSPORT: 'memory' }),
        worker('identity-api', 'codex-identity-api', {}),
        worker('content-api', 'codex-content-api', {}),
        {
          ...common,
          name: 'codex-bench-bare',
          scriptPath: bareScript,
          compatibilityDate: bareOptions.compatibilityDate,
          compatibilityFlags: bareOptions.compatibilityFlags,
        },
      ],
    });
    mf = runner;
    await runner.ready;
    const origin = async (name: string) => new URL(await runner.unsafeGetDirectURL(name)).origin;
    const urls: Urls = {
      auth: await origin('codex-auth'),
      identity: await origin('codex-identity-api'),
      content: await origin('codex-content-api'),
      bare: `${await origin('codex-bench-bare')}/bare`,
    };
    // The KV namespaces are shared by id across the three workers (as in one Cloudflare account).
    const sessionKv = (await runner.getKVNamespace('AUTH_SESSION_KV', 'codex-content-api')) as unknown as KVNamespace;
    const clientHeaders = { 'cf-connecting-ip': WORKERD_CLIENT_IP };
    const fixture = await setup(urls, { session: sessionKv }, clientHeaders);
    console.log(
      `\n[workerd] database: PostgreSQL (${database.name} via the relay); organization ${fixture.orgSlug}, content ${fixture.contentId}`,
    );
    return await measure(
      'workerd',
      urls,
      targets(urls, fixture, WORKERD_CLIENT_IP, clientHeaders),
      'workerd via Miniflare (wrangler deploy bundles, one socket per Worker)',
    );
  } finally {
    await mf?.dispose();
    if (database) {
      const db = database;
      await dbNode
        .dropTestDatabase(db.url, { proxy: relay.url })
        .catch((e) => console.error(`could not drop ${db.name}:`, e));
    }
    await relay.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------------

async function main() {
  if (!['node', 'workerd', 'both'].includes(runtime)) throw new Error('--runtime must be node, workerd or both');
  const all: Array<[string, string, BenchResult]> = [];
  if (runtime !== 'workerd') for (const [name, r] of await benchNode()) all.push(['node', name, r]);
  if (runtime !== 'node') {
    if (process.env.DATABASE_URL) for (const [name, r] of await benchWorkerd()) all.push(['workerd', name, r]);
    else
      console.log('\n[workerd] skipped: DATABASE_URL is not set (the bundled workers need PostgreSQL via the relay)');
  }
  if (!all.length) return;
  console.log(
    `\nSummary — autocannon -c ${connections} -d ${duration}, each route vs the bare Hono JSON route of the same runtime\n`,
  );
  printTable(
    ['runtime · route', 'req/s', 'p50', 'p99', 'non-2xx', 'bare req/s', 'bare p50', 'bare p99', 'ratio'],
    all.map(([rt, name, r]) => [
      `${rt} · ${name}`,
      r.target.rps.toFixed(0),
      `${r.target.p50} ms`,
      `${r.target.p99} ms`,
      `${r.target.non2xx + r.target.errors + r.target.timeouts} (${(failureShare(r.target) * 100).toFixed(2)}%)`,
      r.bare.rps.toFixed(0),
      `${r.bare.p50} ms`,
      `${r.bare.p99} ms`,
      r.ratio.toFixed(3),
    ]),
  );
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
