/**
 * Benchmark: what each piece of a signed-in read's hot path costs per request in workerd — the session (from the
 * isolate's memory, and the KV read a cold cookie pays), the rate-limit check (a leased busy key, and the counter
 * call a quiet key pays), the request log line, the database read (postgres.js over Hyperdrive — createDb's path —,
 * node-postgres over Hyperdrive, Neon's serverless driver) — each on a route of its own of a probe Worker
 * (scripts/bench/hot-path-worker.ts, wrangler's bundle in Miniflare) built on the workers' own chain.
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx scripts/bench/hot-path.ts [--duration 5]
 *
 * Two figures per route, each against /noop measured in the same run:
 *   - under load (autocannon -c 50): the machine time per request, 1000 / req/s in ms, and the difference to /noop —
 *     what the piece costs in throughput (everything it keeps busy: workerd, Miniflare's KV, the pooler, PostgreSQL);
 *   - alone (autocannon -c 1): mean latency, and the difference to /noop — what the piece adds to a response.
 * The database: a fresh `codex_test_*` database with one content row; HYPERDRIVE → PgBouncer (transaction pooling)
 * → PostgreSQL as in the read benchmark, the Neon driver through the local WebSocket relay.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { content, users } from '@codex/database';
import {
  createPostgresDb,
  createTestDatabase,
  dropTestDatabase,
  startPgBouncer,
  startRelay,
} from '@codex/database/node';
import { RATE_LIMIT_PRESETS, writeSessionCache } from '@codex/worker-kit';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { arg, disposeWithHyperdrive, type LoadResult, load, printTable, ROOT, wranglerBundle } from './lib';

const duration = Number(arg('--duration', '5'));
const CLIENT_IP = '198.51.100.9';

async function main() {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) throw new Error('set DATABASE_URL=postgres://… (the probe reads a row from PostgreSQL)');

  const config = join(ROOT, 'scripts', 'bench', 'hot-path-worker.wrangler.jsonc');
  const script = await wranglerBundle({
    cwd: join(ROOT, 'scripts', 'bench'),
    config: 'hot-path-worker.wrangler.jsonc',
    outdir: join(ROOT, 'node_modules', '.cache', 'codex-bench', 'hot-path'),
  });
  const database = await createTestDatabase({ serverUrl });
  const pooler = await startPgBouncer({ serverUrl });
  const relay = await startRelay();
  let mf: Miniflare | undefined;
  try {
    // One user and one published content row, written directly.
    const seed = createPostgresDb(database.url);
    const [user] = await seed.db
      .insert(users)
      .values({ name: 'Probe', email: `probe-${randomBytes(4).toString('hex')}@example.test` })
      .returning();
    const [row] = await seed.db
      .insert(content)
      .values({
        creatorId: (user as { id: string }).id,
        title: 'Probe',
        slug: 'probe',
        contentType: 'video',
        status: 'published',
        publishedAt: new Date(),
      })
      .returning();
    await seed.close();
    const contentId = (row as { id: string }).id;

    const { workerOptions: o } = unstable_getMiniflareWorkerOptions(config);
    mf = new Miniflare({
      workers: [
        {
          name: 'hot-path-probe',
          modules: true,
          scriptPath: script,
          compatibilityDate: o.compatibilityDate,
          compatibilityFlags: o.compatibilityFlags,
          unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
          bindings: {
            ENVIRONMENT: 'development',
            LOG_LEVEL: 'silent',
            NEON_DB_URL: database.url,
            NEON_WS_PROXY: relay.url,
            // Headroom: the limiter still counts every request on its Durable Object, with a limit of 1e9.
            RATE_LIMITS: `${RATE_LIMIT_PRESETS.api.name}=1000000000/${RATE_LIMIT_PRESETS.api.windowSeconds}`,
          },
          kvNamespaces: ['AUTH_SESSION_KV'],
          durableObjects: { RATE_LIMITER: 'RateLimiter' },
          hyperdrives: { HYPERDRIVE: pooler.hyperdriveUrlFor(database.url) },
        },
      ],
      // The log lines of /log and /all go to workerd's stdout: read and dropped here, as a log pipeline would take them.
      handleRuntimeStdio(stdout: Readable, stderr: Readable) {
        stdout.resume();
        stderr.resume();
      },
    });
    await mf.ready;
    const base = new URL(await mf.unsafeGetDirectURL('hot-path-probe')).origin;

    // A warm session cache entry for a made-up cookie (rate-limit headroom comes from the RATE_LIMITS override).
    const sessionKv = (await mf.getKVNamespace('AUTH_SESSION_KV')) as unknown as KVNamespace;
    const cookieValue = `${randomBytes(16).toString('hex')}.${randomBytes(16).toString('hex')}`;
    const now = new Date();
    await writeSessionCache(sessionKv, cookieValue, {
      user: {
        id: (user as { id: string }).id,
        email: 'probe@example.test',
        name: 'Probe',
        role: 'viewer',
        emailVerified: true,
        image: null,
        createdAt: now.toISOString(),
        updatedAt: now.toISOString(),
      },
      session: {
        id: 'probe-session',
        userId: (user as { id: string }).id,
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        createdAt: now.toISOString(),
      },
    });
    const headers = { 'cf-connecting-ip': CLIENT_IP, cookie: `codex-session=${encodeURIComponent(cookieValue)}` };

    const routes: Array<[string, string, string]> = [
      ['baseline: the chain + JSON', '/noop', ''],
      ['log line (info)', '/log', 'logging'],
      ['session: requireSession (isolate memory, warm)', '/session', 'session'],
      ['session: the KV read alone (memory cold)', '/session/kv', 'session'],
      ['rate limit: rateLimit() (a busy key, leased)', '/rate-limit', 'rate limit'],
      ['rate limit: one counter call (a quiet key)', '/rate-limit/counter', 'rate limit'],
      ['DB client set-up alone (createDb, no query)', '/db/client', 'database'],
      ['DB: postgres.js over HYPERDRIVE (createDb)', `/db/postgresjs/${contentId}`, 'database'],
      ['DB: node-postgres over HYPERDRIVE', `/db/pg/${contentId}`, 'database'],
      ['DB: Neon serverless (WebSocket, relay)', `/db/neon/${contentId}`, 'database'],
      ['all: session + rate limit + log + postgres.js', `/all/${contentId}`, 'all'],
    ];
    const results: Array<{ name: string; loaded: LoadResult; alone: LoadResult }> = [];
    for (const [name, path] of routes) {
      const probe = await fetch(`${base}${path}`, { headers });
      if (probe.status !== 200) throw new Error(`${path}: ${probe.status} ${await probe.text()}`);
      await load(`${base}${path}`, { headers, connections: 50, duration: 1 });
      const loaded = await load(`${base}${path}`, { headers, connections: 50, duration });
      const alone = await load(`${base}${path}`, { headers, connections: 1, duration: Math.max(2, duration / 2) });
      for (const r of [loaded, alone]) {
        if (r.non2xx + r.errors + r.timeouts > 0) throw new Error(`${path}: ${JSON.stringify(r.statusCodes)}`);
      }
      results.push({ name, loaded, alone });
      console.log(
        `${name}: ${loaded.rps.toFixed(0)} req/s at -c 50 (p50 ${loaded.p50} ms), ${(1000 / alone.rps).toFixed(2)} ms per request at -c 1`,
      );
    }

    const noop = results[0] as (typeof results)[0];
    const perRequest = (r: LoadResult) => 1000 / r.rps;
    console.log(
      `\nHot path in workerd — autocannon -c 50 -d ${duration} and -c 1; "cost" = the route minus /noop, same run\n`,
    );
    printTable(
      ['piece', 'req/s (-c 50)', 'ms/request', 'cost under load', 'latency alone', 'added latency'],
      results.map((r) => [
        r.name,
        r.loaded.rps.toFixed(0),
        perRequest(r.loaded).toFixed(3),
        r === noop ? '—' : `${((perRequest(r.loaded) - perRequest(noop.loaded)) * 1000).toFixed(0)} µs`,
        `${perRequest(r.alone).toFixed(2)} ms`,
        r === noop ? '—' : `${(perRequest(r.alone) - perRequest(noop.alone)).toFixed(2)} ms`,
      ]),
    );
  } finally {
    await disposeWithHyperdrive(mf);
    await pooler.close();
    await relay.close();
    await dropTestDatabase(database.url).catch((e) => console.error(`could not drop ${database.name}:`, e));
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
