/**
 * Benchmark: GET /api/auth/session with a warm KV session cache vs a bare Hono JSON route, in the same run, loaded
 * over HTTP by autocannon in a separate process.
 *
 *   npx tsx scripts/bench/session.ts [--runtime node|workerd|both] [--connections 50] [--duration 5]
 *                                    [--pieces] [--breakdown]
 *
 * --runtime workerd (the deployable): wrangler's deploy bundle of the auth worker (`wrangler deploy --dry-run`)
 *   runs in workerd via Miniflare with its real KV bindings, next to a second Worker serving a bare Hono JSON route
 *   (scripts/bench/bare-worker.ts, bundled the same way) in the same Miniflare instance; each is reached on its own
 *   workerd socket (no Node in the request path). The cache is warmed by registering a user against PostgreSQL
 *   (DATABASE_URL: a fresh `codex_test_*` database through the relay, dropped afterwards); without DATABASE_URL a
 *   synthetic session is written to the auth worker's AUTH_SESSION_KV with writeSessionCache — the warm path never
 *   touches the database, so none is needed.
 * --runtime node: the auth app served by @hono/node-server in this process on the local platform (Miniflare KV
 *   proxies — every KV read is an HTTP round trip from Node to workerd; embedded PGlite, or a fresh database on the
 *   DATABASE_URL server), against a bare Hono route served by @hono/node-server.
 * --breakdown (workerd): also loads the bare Worker + one KV read, + readSessionCache, and the auth worker with no
 *   cookie (middleware chain → 401), to split the session route's cost.
 * --pieces (node): times the pieces of the warm path in Node (cookie parse, the two SHA-256, the KV read, JSON parse).
 *
 * Both run with LOG_LEVEL=silent, so the figure is the request path, not log I/O.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { startLocalPlatform } from '@codex/local';
import { app as authApp } from '@codex/worker-auth';
import type { SessionData } from '@codex/worker-kit';
import {
  readSessionCache,
  SESSION_CACHE_TTL_SECONDS,
  sessionCacheKey,
  sessionTokenOf,
  writeSessionCache,
} from '@codex/worker-kit';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { serveApp, WaitUntilTracker } from '../lib/worker-host';
import {
  arg,
  type BenchResult,
  benchAgainstBare,
  benchPair,
  closeBareServer,
  load,
  printTable,
  ROOT,
  wranglerBundle,
} from './lib';

const connections = Number(arg('--connections', '50'));
const duration = Number(arg('--duration', '5'));
const runtime = arg('--runtime', 'both');
const NAME = 'GET /api/auth/session (KV warm)';
const PASSWORD = 'Bench-password-123';

function cookieFromSetCookie(res: Response): string {
  const line = res.headers.getSetCookie().find((l) => l.startsWith('codex-session='));
  if (!line) throw new Error('register returned no codex-session cookie');
  return line.split(';')[0] as string;
}

const cookieValueOf = (cookie: string) => decodeURIComponent(cookie.slice('codex-session='.length));

// ---------------------------------------------------------------------------------------------------------------------
// Node: @hono/node-server + the local platform
// ---------------------------------------------------------------------------------------------------------------------

async function benchNode() {
  // With DATABASE_URL: a fresh migrated database of this run's own on that server (dropped afterwards).
  const dbNode = process.env.DATABASE_URL ? await import('@codex/database/node') : undefined;
  const database = dbNode ? await dbNode.createTestDatabase() : undefined;
  const platform = await startLocalPlatform({
    apps: { auth: authApp },
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory' },
    ...(database ? { databaseUrl: database.url } : {}),
  });
  const tracker = new WaitUntilTracker();
  const auth = await serveApp(authApp, { port: 0, env: () => platform.envFor('auth'), tracker });
  try {
    const email = `bench-${Date.now().toString(36)}@example.test`;
    const registered = await fetch(`${auth.url}/api/auth/email/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, name: 'Bench User' }),
    });
    if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
    const cookie = cookieFromSetCookie(registered);

    // Warm the cache: the first read fills it (from the database), the next ones are KV hits.
    const first = await fetch(`${auth.url}/api/auth/session`, { headers: { cookie } });
    if (first.status !== 200) throw new Error(`session: ${first.status} ${await first.text()}`);
    await tracker.drain();
    const cached = await readSessionCache(platform.kv.AUTH_SESSION_KV, cookieValueOf(cookie));
    if (!cached) throw new Error('the session cache is still cold after a session read');
    const where = database ? `${platform.mode} (${database.name} via the relay)` : platform.mode;
    console.log(`\n[node] database: ${where}: registered ${email}; session cache warm`);

    if (process.argv.includes('--pieces')) await timePieces(platform.kv.AUTH_SESSION_KV, cookieValueOf(cookie));

    return await benchAgainstBare(NAME, `${auth.url}/api/auth/session`, { headers: { cookie }, connections, duration });
  } finally {
    await auth.close();
    await closeBareServer();
    await tracker.drain();
    await platform.close();
    if (database && dbNode) {
      await dbNode.dropTestDatabase(database.url).catch((e) => console.error(`could not drop ${database.name}:`, e));
    }
  }
}

/** Mean time of `fn` over `n` sequential calls, in microseconds. */
async function timeIt(n: number, fn: () => unknown): Promise<number> {
  for (let i = 0; i < Math.min(n, 200); i++) await fn(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn();
  return ((performance.now() - t0) * 1000) / n;
}

/** The warm path's pieces, one by one, in Node (the same functions the route calls). */
async function timePieces(kv: KVNamespace, cookieValue: string) {
  const key = await sessionCacheKey(sessionTokenOf(cookieValue));
  const raw = (await kv.get(key)) as string;
  const digest = async (v: string) => crypto.subtle.digest('SHA-256', new TextEncoder().encode(v));
  const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const someDigest = await digest(cookieValue);
  const rows: Array<[string, number]> = [
    ['sha256 of the token (WebCrypto digest only)', await timeIt(20_000, () => digest(sessionTokenOf(cookieValue)))],
    ['sha256 of the whole cookie (WebCrypto digest only)', await timeIt(20_000, () => digest(cookieValue))],
    ['hex encoding of a digest (map/padStart/join)', await timeIt(20_000, () => hex(someDigest))],
    ['sessionCacheKey(token) (digest + hex)', await timeIt(20_000, () => sessionCacheKey(sessionTokenOf(cookieValue)))],
    ['JSON.parse of the cache entry', await timeIt(20_000, () => JSON.parse(raw))],
    [`JSON.stringify of the body (${raw.length} B entry)`, await timeIt(20_000, () => JSON.stringify(JSON.parse(raw)))],
    ['KV get through the Miniflare proxy (sequential)', await timeIt(300, () => kv.get(key, 'json'))],
    ['readSessionCache (whole, proxy KV)', await timeIt(300, () => readSessionCache(kv, cookieValue))],
  ];
  console.log('\n[node] warm-path pieces, mean per call (sequential, this process)\n');
  printTable(
    ['piece', 'µs/call'],
    rows.map(([label, us]) => [label, us.toFixed(1)]),
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// workerd: wrangler's deploy bundles in Miniflare
// ---------------------------------------------------------------------------------------------------------------------

/** A session as the auth worker would cache it, for a cookie that only ever exists in the cache. */
function syntheticSession(): { cookieValue: string; data: SessionData } {
  const now = new Date();
  const iso = now.toISOString();
  const userId = randomUUID();
  return {
    // `<token>.<signature>` like better-auth's signed cookie; only the cache can resolve it.
    cookieValue: `${randomBytes(24).toString('base64url')}.${randomBytes(32).toString('base64')}`,
    data: {
      user: {
        id: userId,
        email: 'bench@example.test',
        name: 'Bench User',
        role: 'viewer',
        emailVerified: false,
        image: null,
        createdAt: iso,
        updatedAt: iso,
      },
      session: {
        id: randomUUID(),
        userId,
        // Longer than the cache TTL, so the entry gets the full 5 minutes.
        expiresAt: new Date(now.getTime() + 7 * 24 * 3600 * 1000).toISOString(),
        createdAt: iso,
      },
    },
  };
}

async function benchWorkerd() {
  const cacheDir = join(ROOT, 'node_modules', '.cache', 'codex-bench');
  const authScript = await wranglerBundle({ cwd: join(ROOT, 'workers', 'auth'), outdir: join(cacheDir, 'auth') });
  const bareScript = await wranglerBundle({
    cwd: join(ROOT, 'scripts', 'bench'),
    config: 'bare-worker.wrangler.jsonc',
    outdir: join(cacheDir, 'bare'),
  });
  const { workerOptions: o } = unstable_getMiniflareWorkerOptions(join(ROOT, 'workers', 'auth', 'wrangler.jsonc'));

  // PostgreSQL when DATABASE_URL is set: a database of this run's own, reached by the Neon driver via the relay.
  const dbNode = process.env.DATABASE_URL ? await import('@codex/database/node') : undefined;
  const relay = dbNode ? await dbNode.startRelay() : undefined;
  let mf: Miniflare | undefined;
  let database: { name: string; url: string } | undefined;
  try {
    if (dbNode && relay) database = await dbNode.createTestDatabase();
    const dbBindings: Record<string, string> =
      database && relay ? { DATABASE_URL: database.url, NEON_WS_PROXY: relay.url } : {};
    const runtimeOptions = {
      modules: true,
      compatibilityDate: o.compatibilityDate,
      compatibilityFlags: o.compatibilityFlags,
      unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
    };
    mf = new Miniflare({
      workers: [
        {
          ...runtimeOptions,
          name: 'codex-auth',
          scriptPath: authScript,
          bindings: {
            ...(o.bindings as Record<string, string>),
            LOG_LEVEL: 'silent',
            EMAIL_TRANSPORT: 'memory',
            ...dbBindings,
          },
          kvNamespaces: o.kvNamespaces,
          // RATE_LIMITER (the register route of the setup is rate limited): hosted by this worker, as deployed.
          durableObjects: o.durableObjects,
        },
        {
          ...runtimeOptions,
          name: 'codex-bench-bare',
          scriptPath: bareScript,
          // The auth worker's session namespace (same id, same storage), for the --breakdown routes only.
          kvNamespaces: { AUTH_SESSION_KV: (o.kvNamespaces as Record<string, unknown>).AUTH_SESSION_KV as string },
        },
      ],
    });
    await mf.ready;
    const authUrl = new URL('/api/auth/session', await mf.unsafeGetDirectURL('codex-auth')).href;
    const bareUrl = new URL('/bare', await mf.unsafeGetDirectURL('codex-bench-bare')).href;
    const kv = (await mf.getKVNamespace('AUTH_SESSION_KV', 'codex-auth')) as unknown as KVNamespace;

    let cookie: string;
    let expectedUserId: string;
    let how: string;
    if (database) {
      const email = `bench-${Date.now().toString(36)}@example.test`;
      const registered = await fetch(new URL('/api/auth/email/register', authUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'cf-connecting-ip': '127.0.0.1' },
        body: JSON.stringify({ email, password: PASSWORD, name: 'Bench User' }),
      });
      const body = (await registered.json()) as { user?: { id: string } };
      if (registered.status !== 201 || !body.user) {
        throw new Error(`register: ${registered.status} ${JSON.stringify(body)}`);
      }
      cookie = cookieFromSetCookie(registered);
      expectedUserId = body.user.id;
      how = `PostgreSQL (${database.name} via the relay): registered ${email}`;
    } else {
      const { cookieValue, data } = syntheticSession();
      await writeSessionCache(kv, cookieValue, data);
      cookie = `codex-session=${encodeURIComponent(cookieValue)}`;
      expectedUserId = data.user.id;
      how = `none (DATABASE_URL unset): synthetic session seeded with writeSessionCache (TTL ${SESSION_CACHE_TTL_SECONDS} s)`;
    }
    // The first read fills the cache when it is cold; then it must be a KV hit answering this user.
    const first = await fetch(authUrl, { headers: { cookie } });
    const session = (await first.json()) as { user?: { id: string } };
    if (first.status !== 200 || session.user?.id !== expectedUserId) {
      throw new Error(`session: ${first.status} ${JSON.stringify(session)}`);
    }
    if (!(await readSessionCache(kv, cookieValueOf(cookie)))) throw new Error('the session cache is still cold');
    console.log(`\n[workerd] database: ${how}; session cache warm`);

    const result = await benchPair(
      NAME,
      authUrl,
      bareUrl,
      { headers: { cookie }, connections, duration },
      'workerd via Miniflare (wrangler deploy bundles, one socket per Worker)',
    );
    if (process.argv.includes('--breakdown')) {
      await breakdown(result, {
        kv: `${new URL('/kv', bareUrl).href}?key=${encodeURIComponent(await sessionCacheKey(sessionTokenOf(cookieValueOf(cookie))))}`,
        cache: new URL('/cache', bareUrl).href,
        noCookie: authUrl,
        cookie,
      });
    }
    return result;
  } finally {
    await mf?.dispose();
    if (database && dbNode && relay) {
      await dbNode.dropTestDatabase(database.url).catch((e) => console.error(`could not drop ${database?.name}:`, e));
    }
    await relay?.close();
  }
}

/**
 * Splits the session route's cost in workerd: the bare Worker plus one KV read, plus the whole readSessionCache
 * (two SHA-256 + KV read + JSON), and the auth worker's middleware chain alone (no cookie → 401, no KV).
 */
async function breakdown(result: BenchResult, urls: { kv: string; cache: string; noCookie: string; cookie: string }) {
  const opts = { connections, duration };
  const steps: Array<[string, string, Record<string, string>, number]> = [
    ['bare Worker + KV get (json)', urls.kv, {}, 200],
    ['bare Worker + readSessionCache', urls.cache, { cookie: urls.cookie }, 200],
    ['auth worker, no cookie (chain → 401, no KV)', urls.noCookie, {}, 401],
  ];
  const rows: string[][] = [
    ['bare Hono JSON route', result.bare.rps.toFixed(0), `${result.bare.p50} ms`, `${result.bare.p99} ms`, '200'],
  ];
  for (const [label, url, headers, status] of steps) {
    await load(url, { ...opts, headers, duration: 1 });
    const r = await load(url, { ...opts, headers });
    // autocannon counts non-2xx; the 401 step is expected to be all non-2xx, the others none.
    const ok = status === 200 ? r.non2xx === 0 : r.non2xx === r.requests;
    if (!ok || r.errors + r.timeouts > 0) {
      throw new Error(`${label}: ${r.non2xx} non-2xx of ${r.requests}, ${r.errors} errors, ${r.timeouts} timeouts`);
    }
    rows.push([label, r.rps.toFixed(0), `${r.p50} ms`, `${r.p99} ms`, String(status)]);
  }
  rows.push([NAME, result.target.rps.toFixed(0), `${result.target.p50} ms`, `${result.target.p99} ms`, '200']);
  console.log(`\n[workerd] breakdown — autocannon -c ${connections} -d ${duration} each\n`);
  printTable(['step', 'req/s', 'p50', 'p99', 'status'], rows);
}

async function main() {
  if (!['node', 'workerd', 'both'].includes(runtime)) throw new Error(`--runtime must be node, workerd or both`);
  const results: Array<[string, Awaited<ReturnType<typeof benchNode>>]> = [];
  if (runtime !== 'workerd') results.push(['node', await benchNode()]);
  if (runtime !== 'node') results.push(['workerd', await benchWorkerd()]);
  if (results.length > 1) {
    console.log(`\nSummary — ${NAME} vs bare Hono JSON route, autocannon -c ${connections} -d ${duration}\n`);
    printTable(
      ['runtime', 'session req/s', 'p50', 'p99', 'bare req/s', 'p50', 'p99', 'ratio'],
      results.map(([label, r]) => [
        label,
        r.target.rps.toFixed(0),
        `${r.target.p50} ms`,
        `${r.target.p99} ms`,
        r.bare.rps.toFixed(0),
        `${r.bare.p50} ms`,
        `${r.bare.p99} ms`,
        r.ratio.toFixed(3),
      ]),
    );
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
