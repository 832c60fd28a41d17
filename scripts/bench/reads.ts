/**
 * Benchmark: the hot signed-in reads, each reported as a share of the anchor — a plain Hono server with a
 * node-postgres Pool (max 10) reading the same content row from the same database (scripts/bench/anchor.ts, its own
 * process), served and loaded in the same run. Load: autocannon in a separate process.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx scripts/bench/reads.ts \
 *     [--runtime node|workerd|both] [--connections 50] [--duration 5] [--pglite yes|no]
 *
 * Routes (signed in, session cache warm):
 *   GET /api/content/{id}                 content-api, another user's published content
 *   GET /api/organizations/slug/{slug}    identity-api, as the owner (myRole)
 *   GET /api/content/{creatorId}/list     content-api, 20 published items of another user (?limit=20)
 *
 * Sections, each with data of its own (two users, an organization, a media item uploaded and made ready, 20
 * published content items — all created through the real routes), then one probe of each kind that checks the answer
 * and fills the session cache:
 *   node · PostgreSQL   the apps on @hono/node-server in this process on the local platform (one node-postgres pool
 *                       of 10 for the process, as `npm run dev`), a fresh `codex_test_*` database on the
 *                       DATABASE_URL server (dropped afterwards); the anchor on the same database;
 *   node · PGlite       the same on embedded PGlite (the default of `npm run dev`), reported against the anchor of
 *                       the section above;
 *   workerd · PostgreSQL  wrangler's deploy bundles of auth, identity-api and content-api in one Miniflare (shared
 *                       KV, R2, AUTH_SERVICE → the auth Worker), each on its own workerd socket, reaching their own
 *                       database as in production: the HYPERDRIVE binding (Miniflare's local Hyperdrive) → PgBouncer
 *                       (transaction pooling, 10 server connections) → PostgreSQL; the anchor on the same database.
 * Without DATABASE_URL only the PGlite section runs (no anchor).
 *
 * Rate limits. The routes sit behind rateLimit(RATE_LIMIT_PRESETS.api): 100 requests per minute per user (per IP
 * when anonymous), which would turn nearly all of a benchmark into 429s. The workers run with the operators' override
 * RATE_LIMITS="api=1000000000/60": the limiter still counts every request on the caller's Durable Object — at that
 * limit in leases of up to 1,000 (rate-limit.ts: a busy key of a high limit), at the presets' limits one call per
 * request (scripts/bench/hot-path.ts measures both). A probe request before each measurement checks that the limiter counted it (X-RateLimit-Limit is
 * the override, X-RateLimit-Remaining below it); the run fails when more than 1 % of the answers are not 2xx.
 *
 * All workers run with LOG_LEVEL=silent (scripts/bench/hot-path.ts measures what logging costs).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { TestDatabase } from '@codex/database/node';
import { startLocalPlatform } from '@codex/local';
import { app as authApp } from '@codex/worker-auth';
import { app as contentApp } from '@codex/worker-content-api';
import { app as identityApp } from '@codex/worker-identity-api';
import { RATE_LIMIT_PRESETS, readSessionCache } from '@codex/worker-kit';
import { Miniflare } from 'miniflare';
import { serveApp, WaitUntilTracker } from '../lib/worker-host';
import { ANCHOR_POOL_MAX, type Anchor, startAnchor } from './anchor';
import {
  arg,
  disposeWithHyperdrive,
  failureShare,
  type LoadResult,
  load,
  printTable,
  ROOT,
  wranglerBundle,
} from './lib';

const connections = Number(arg('--connections', '50'));
const duration = Number(arg('--duration', '5'));
const runtime = arg('--runtime', 'both');
/** `--pglite no` leaves out the embedded-database figures. */
const withPglite = arg('--pglite', 'yes') !== 'no';
/** Items in the list read (`?limit=` too). */
const LIST_SIZE = 20;
const PASSWORD = 'Bench-password-123';
/** At most this share of non-2xx answers (or errors) is tolerated in a measurement. */
const MAX_FAILURE_SHARE = 0.01;
/** What the bench's rate-limit counters start at (instead of 0): 1e9 requests of headroom per window. */
const API = RATE_LIMIT_PRESETS.api;
/** The api limit the workers run with in the bench (RATE_LIMITS override): 1e9 requests of headroom per window. */
const BENCH_LIMIT = 1_000_000_000;
const RATE_LIMITS = `${API.name}=${BENCH_LIMIT}/${API.windowSeconds}`;

interface Urls {
  auth: string;
  identity: string;
  content: string;
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

  // LIST_SIZE published items (sharing the media): the first is the one read by id, all of them fill the list.
  const contentIds: string[] = [];
  for (let i = 0; i < LIST_SIZE; i++) {
    const content = await send(`${urls.content}/api/content`, {
      method: 'POST',
      body: {
        title: `Bench episode ${i + 1}`,
        slug: `bench-episode-${i + 1}-${rand()}`,
        contentType: 'video',
        mediaItemId: media.id,
      },
      cookie: owner.cookie,
      headers: clientHeaders,
    });
    expectStatus('create content', content, 201);
    const id = content.body.id as string;
    const published = await send(`${urls.content}/api/content/${id}/publish`, {
      method: 'POST',
      cookie: owner.cookie,
      headers: clientHeaders,
    });
    expectStatus('publish content', published, 200);
    if (published.body.status !== 'published') throw new Error(`publish: ${JSON.stringify(published.body)}`);
    contentIds.push(id);
  }
  const contentId = contentIds[0] as string;

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

function targets(urls: Urls, f: Fixture, clientHeaders: Record<string, string>): Target[] {
  return [
    {
      name: 'GET /api/content/{id}',
      url: `${urls.content}/api/content/${f.contentId}`,
      headers: { ...clientHeaders, cookie: f.viewer.cookie },
      // Another user's published content: the public view (no mediaItemId).
      check: (b) =>
        b.id === f.contentId && b.status === 'published' && b.creatorId === f.owner.id && b.mediaItemId === null,
    },
    {
      name: 'GET /api/organizations/slug/{slug}',
      url: `${urls.identity}/api/organizations/slug/${f.orgSlug}`,
      headers: { ...clientHeaders, cookie: f.owner.cookie },
      check: (b) => b.id === f.orgId && b.myRole === 'owner',
    },
    {
      name: `GET /api/content/{creatorId}/list (${LIST_SIZE})`,
      url: `${urls.content}/api/content/${f.owner.id}/list?limit=${LIST_SIZE}`,
      headers: { ...clientHeaders, cookie: f.viewer.cookie },
      check: (b) =>
        Array.isArray(b.items) &&
        b.items.length === LIST_SIZE &&
        (b.pagination as { total?: number } | undefined)?.total === LIST_SIZE,
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

interface Row {
  runtime: 'node' | 'workerd';
  /** How the runtime reached the database. */
  database: string;
  route: string;
  result: LoadResult;
  /** The anchor measured in the same run this row is a share of. */
  anchor: LoadResult | undefined;
}

const ANCHOR_ROUTE = `anchor: plain Hono + node-postgres Pool (max ${ANCHOR_POOL_MAX}), one row by id`;

/** Loads `url` (after a 1 s warm-up) and fails the run when too many answers were not 2xx. */
async function loadChecked(name: string, url: string, headers: Record<string, string>, tolerated: number) {
  await load(url, { headers, connections, duration: 1 });
  const r = await load(url, { headers, connections, duration });
  if (failureShare(r) > tolerated) {
    const statuses = Object.entries(r.statusCodes)
      .map(([s, n]) => `${s}: ${n}`)
      .join(', ');
    throw new Error(
      `${name}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts of ${r.requests} requests (statuses ${statuses})`,
    );
  }
  return r;
}

/**
 * The anchor first (when `anchorUrl` is given; else the rows are shares of `earlierAnchor`), then each target;
 * every figure printed as it comes.
 */
async function measure(
  runtime: Row['runtime'],
  database: string,
  list: Target[],
  anchorUrl: string | undefined,
  earlierAnchor: LoadResult | undefined,
): Promise<Row[]> {
  const rows: Row[] = [];
  let anchor = earlierAnchor;
  if (anchorUrl) {
    expectStatus('anchor', await send(anchorUrl), 200);
    anchor = await loadChecked(ANCHOR_ROUTE, anchorUrl, {}, 0);
    console.log(`[${runtime} · ${database}] ${ANCHOR_ROUTE}: ${fmt(anchor)}`);
    rows.push({ runtime, database: 'PostgreSQL (direct)', route: ANCHOR_ROUTE, result: anchor, anchor });
  }
  for (const t of list) {
    await probe(t);
    const result = await loadChecked(t.name, t.url, t.headers, MAX_FAILURE_SHARE);
    const share = anchor ? ` — ${pct(result.rps / anchor.rps)} of the anchor` : '';
    console.log(`[${runtime} · ${database}] ${t.name}: ${fmt(result)}${share}`);
    rows.push({ runtime, database, route: t.name, result, anchor });
  }
  return rows;
}

const fmt = (r: LoadResult) => `${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms`;
const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

// ---------------------------------------------------------------------------------------------------------------------
// Node: @hono/node-server + the local platform
// ---------------------------------------------------------------------------------------------------------------------

/** The three apps in this process on the local platform: PostgreSQL when `databaseUrl` is given, else PGlite. */
async function benchNode(databaseUrl: string | undefined, anchorFallback: LoadResult | undefined): Promise<Row[]> {
  const apps = { auth: authApp, 'identity-api': identityApp, 'content-api': contentApp };
  const platform = await startLocalPlatform({
    apps,
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', RATE_LIMITS },
    databaseUrl: databaseUrl ?? '',
  });
  const tracker = new WaitUntilTracker();
  const served = await Promise.all(
    (['auth', 'identity-api', 'content-api'] as const).map((w) =>
      serveApp(apps[w], { port: 0, env: () => platform.envFor(w), tracker }),
    ),
  );
  let anchor: Anchor | undefined;
  try {
    const [auth, identity, content] = served as [(typeof served)[0], (typeof served)[0], (typeof served)[0]];
    const urls: Urls = { auth: auth.url, identity: identity.url, content: content.url };
    const fixture = await setup(urls, { session: platform.kv.AUTH_SESSION_KV }, {});
    await tracker.drain();
    const database = platform.databaseDescription;
    console.log(`\n[node · ${database}] organization ${fixture.orgSlug}, content ${fixture.contentId}`);
    if (databaseUrl) anchor = await startAnchor(databaseUrl);
    // The dev host sets cf-connecting-ip from the socket: autocannon connects from 127.0.0.1.
    return await measure(
      'node',
      database,
      targets(urls, fixture, {}),
      anchor ? `${anchor.url}/content/${fixture.contentId}` : undefined,
      anchorFallback,
    );
  } finally {
    await anchor?.close();
    for (const s of served) await s.close();
    await tracker.drain();
    await platform.close();
  }
}
// ---------------------------------------------------------------------------------------------------------------------
// workerd: wrangler's deploy bundles in Miniflare
// ---------------------------------------------------------------------------------------------------------------------

/** The client address the workerd requests carry (no edge in front of a direct socket sets one). */
const WORKERD_CLIENT_IP = '198.51.100.7';

async function benchWorkerd(databaseUrl: string): Promise<Row[]> {
  const dbNode = await import('@codex/database/node');
  // Imported here, after the Node section: wrangler's bundle loads node:domain, which turns on promise hooks for the
  // whole process and would slow the Node section down to below what `npm run dev` (no wrangler) serves.
  const { unstable_getMiniflareWorkerOptions } = await import('wrangler');
  const cacheDir = join(ROOT, 'node_modules', '.cache', 'codex-bench', 'reads');
  const scripts: Record<string, string> = {};
  for (const w of ['auth', 'identity-api', 'content-api']) {
    scripts[w] = await wranglerBundle({ cwd: join(ROOT, 'workers', w), outdir: join(cacheDir, w) });
  }

  // As in production: HYPERDRIVE → a pooler (here PgBouncer, transaction mode, 10 server connections) → PostgreSQL.
  const pooler = await dbNode.startPgBouncer({ serverUrl: databaseUrl });
  let mf: Miniflare | undefined;
  let anchor: Anchor | undefined;
  try {
    const worker = (w: string, name: string, extra: Record<string, string>) => {
      const { workerOptions: o } = unstable_getMiniflareWorkerOptions(join(ROOT, 'workers', w, 'wrangler.jsonc'));
      return {
        modules: true,
        unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
        name,
        scriptPath: scripts[w] as string,
        compatibilityDate: o.compatibilityDate,
        compatibilityFlags: o.compatibilityFlags,
        bindings: {
          ...(o.bindings as Record<string, string>),
          LOG_LEVEL: 'silent',
          RATE_LIMITS,
          ...extra,
        },
        hyperdrives: { HYPERDRIVE: pooler.hyperdriveUrlFor(databaseUrl) },
        kvNamespaces: o.kvNamespaces,
        durableObjects: o.durableObjects,
        ...(o.r2Buckets ? { r2Buckets: o.r2Buckets } : {}),
        ...(w === 'auth' ? {} : { serviceBindings: { AUTH_SERVICE: 'codex-auth' } }),
      };
    };
    const runner = new Miniflare({
      workers: [
        worker('auth', 'codex-auth', { EMAIL_TRANSPORT: 'memory' }),
        worker('identity-api', 'codex-identity-api', {}),
        worker('content-api', 'codex-content-api', {}),
      ],
    });
    mf = runner;
    await runner.ready;
    const origin = async (name: string) => new URL(await runner.unsafeGetDirectURL(name)).origin;
    const urls: Urls = {
      auth: await origin('codex-auth'),
      identity: await origin('codex-identity-api'),
      content: await origin('codex-content-api'),
    };
    // The KV namespace is shared by id across the three workers (as in one Cloudflare account).
    const sessionKv = (await runner.getKVNamespace('AUTH_SESSION_KV', 'codex-content-api')) as unknown as KVNamespace;
    const clientHeaders = { 'cf-connecting-ip': WORKERD_CLIENT_IP };
    const fixture = await setup(urls, { session: sessionKv }, clientHeaders);
    const database = 'PostgreSQL via HYPERDRIVE → PgBouncer';
    console.log(`\n[workerd · ${database}] organization ${fixture.orgSlug}, content ${fixture.contentId}`);
    anchor = await startAnchor(databaseUrl);
    return await measure(
      'workerd',
      database,
      targets(urls, fixture, clientHeaders),
      `${anchor.url}/content/${fixture.contentId}`,
      undefined,
    );
  } finally {
    await anchor?.close();
    await disposeWithHyperdrive(mf);
    await pooler.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------------

/** The targets: share of the anchor (list ≥ 15 %, other reads ≥ 25 %) and p99 ≤ 30 ms, on PostgreSQL. */
function verdict(row: Row): string {
  if (row.route === ANCHOR_ROUTE || !row.anchor || !row.database.startsWith('PostgreSQL')) return '';
  const minShare = row.route.includes('/list') ? 0.15 : 0.25;
  const share = row.result.rps / row.anchor.rps;
  const misses = [
    ...(share < minShare ? [`share < ${minShare * 100} %`] : []),
    ...(row.result.p99 > 30 ? ['p99 > 30 ms'] : []),
  ];
  return misses.length ? misses.join(', ') : 'met';
}

async function main() {
  if (!['node', 'workerd', 'both'].includes(runtime)) throw new Error('--runtime must be node, workerd or both');
  const serverUrl = process.env.DATABASE_URL;
  const dbNode = serverUrl ? await import('@codex/database/node') : undefined;
  const rows: Row[] = [];
  const databases: TestDatabase[] = [];
  try {
    const fresh = async () => {
      const database = await (dbNode as NonNullable<typeof dbNode>).createTestDatabase();
      databases.push(database);
      return database.url;
    };
    if (runtime !== 'workerd') {
      if (serverUrl) rows.push(...(await benchNode(await fresh(), undefined)));
      if (withPglite) rows.push(...(await benchNode(undefined, rows.find((r) => r.route === ANCHOR_ROUTE)?.result)));
    }
    if (runtime !== 'node') {
      if (serverUrl) rows.push(...(await benchWorkerd(await fresh())));
      else console.log('\n[workerd] skipped: DATABASE_URL is not set (the bundled workers need PostgreSQL)');
    }
  } finally {
    for (const d of databases) {
      await dbNode?.dropTestDatabase(d.url).catch((e) => console.error(`could not drop ${d.name}:`, e));
    }
  }
  if (!rows.length) return;
  console.log(
    `\nSummary — autocannon -c ${connections} -d ${duration} (separate process); share = req/s ÷ the anchor's req/s ` +
      'in the same run (the PGlite rows: the anchor of the node PostgreSQL section)\n',
  );
  printTable(
    ['runtime', 'database', 'route', 'req/s', 'p50', 'p99', 'share', 'non-2xx', 'target'],
    rows.map((r) => [
      r.runtime,
      r.database,
      r.route,
      r.result.rps.toFixed(0),
      `${r.result.p50} ms`,
      `${r.result.p99} ms`,
      r.anchor ? pct(r.result.rps / r.anchor.rps) : '—',
      `${r.result.non2xx + r.result.errors + r.result.timeouts}`,
      verdict(r),
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
