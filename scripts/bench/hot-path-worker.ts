/**
 * The probe Worker of scripts/bench/hot-path.ts: each piece of a signed-in read's hot path on a route of its own,
 * on the workers' own chain (createWorker: request id, log middleware, security headers, CORS, body cap, db
 * lifecycle), so that each piece's cost is its route minus /noop. Bundled by wrangler, run in workerd by Miniflare.
 *
 *   GET /noop                 the chain and a JSON answer: the baseline
 *   GET /log                  + one request log line at level info (what the chain's log middleware writes)
 *   GET /session              + requireSession() on a warm cache entry (cookie → 2 × SHA-256 → KV read → JSON)
 *   GET /rate-limit           + rateLimit(api) for the client IP (the limiter as it is in worker-kit)
 *   GET /db/client            + createDb over HYPERDRIVE alone (postgres.js + drizzle set up, no connection)
 *   GET /db/postgresjs/:id    + one content row by id: createDb over HYPERDRIVE (postgres.js, the production path)
 *   GET /db/pg/:id            + the same row with node-postgres over HYPERDRIVE (the alternative driver)
 *   GET /db/neon/:id          + the same row with Neon's serverless driver (Pool over WebSocket, via NEON_DB_URL and
 *                             the local relay): the fallback without Hyperdrive
 *   GET /all/:id              session + rate limit + log + /db/postgresjs: the hot path of GET /api/content/{id}
 *
 * The worker runs with LOG_LEVEL=silent, so only /log and /all write a line.
 */
import { content, createDb } from '@codex/database';
import { SESSION_COOKIE } from '@codex/domain';
import {
  type AppEnv,
  baseEnv,
  callRateLimiter,
  createLogger,
  createWorker,
  getDb,
  RATE_LIMIT_PRESETS,
  rateLimit,
  readSessionCache,
  requireSession,
} from '@codex/worker-kit';
import { and, eq, isNull } from 'drizzle-orm';
import { drizzle as nodePostgres } from 'drizzle-orm/node-postgres';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import pg from 'pg';

type Env = AppEnv & { Bindings: { NEON_DB_URL?: string } };

const app = createWorker({
  service: 'hot-path-probe',
  name: 'hot-path',
  title: 'Hot path probe',
  version: '0.0.0',
  description: 'Benchmark probe',
  servers: { production: 'http://localhost', staging: 'http://localhost', development: 'http://localhost' },
  env: baseEnv,
});

/** What the chain's log middleware writes per request, at level info. */
function logLine(c: Context<AppEnv>) {
  createLogger('hot-path-probe', 'info', { requestId: c.get('requestId') }).info('request', {
    method: c.req.method,
    path: c.req.path,
    status: 200,
    durationMs: 1,
    ...(c.get('user') ? { userId: c.get('user')?.id } : {}),
  });
}

const byId = (id: string) => and(eq(content.id, id), isNull(content.deletedAt));

app.get('/noop', (c) => c.json({ ok: true }));

app.get('/log', (c) => {
  logLine(c as unknown as Context<AppEnv>);
  return c.json({ ok: true });
});

app.get('/session', requireSession(), (c) => c.json({ user: c.get('user')?.id }));

app.get('/rate-limit', rateLimit(RATE_LIMIT_PRESETS.api), (c) => c.json({ ok: true }));

// The same two pieces without this isolate's memory: the KV read every cookie's first request (and one per second
// after) pays, and the counter's answer a key pays when it holds no lease (a quiet key: every request).
app.get('/session/kv', async (c) => {
  const cookie = getCookie(c, SESSION_COOKIE);
  const data = cookie ? await readSessionCache(c.env.AUTH_SESSION_KV, cookie) : null;
  return data ? c.json({ user: data.user.id }) : c.json({ error: 'no session' }, 401);
});

app.get('/rate-limit/counter', async (c) => {
  const ns = c.env.RATE_LIMITER;
  if (!ns) return c.json({ error: 'no RATE_LIMITER' }, 503);
  const preset = { ...RATE_LIMIT_PRESETS.api, limit: 1_000_000_000 };
  const o = await callRateLimiter(ns, preset, `ip:${c.req.header('cf-connecting-ip') ?? 'unknown'}`);
  return o.allowed ? c.json({ ok: true }) : c.json({ error: 'limited' }, 429);
});

app.get('/db/client', (c) => {
  // The per-request client alone: postgres.js pool + drizzle over the schema, no connection, no query.
  getDb(c as unknown as Context<AppEnv>);
  return c.json({ ok: true });
});

app.get('/db/postgresjs/:id', async (c) => {
  const [row] = await getDb(c as unknown as Context<AppEnv>)
    .select()
    .from(content)
    .where(byId(c.req.param('id')));
  return row ? c.json(row) : c.json({ error: 'not found' }, 404);
});

app.get('/db/pg/:id', async (c) => {
  const hyperdrive = c.env.HYPERDRIVE;
  if (!hyperdrive) return c.json({ error: 'no HYPERDRIVE' }, 503);
  // One pool per request, as createDb does with postgres.js.
  const pool = new pg.Pool({ connectionString: hyperdrive.connectionString, max: 4 });
  try {
    const [row] = await nodePostgres({ client: pool })
      .select()
      .from(content)
      .where(byId(c.req.param('id')));
    return row ? c.json(row) : c.json({ error: 'not found' }, 404);
  } finally {
    c.executionCtx.waitUntil(pool.end());
  }
});

app.get('/db/neon/:id', async (c) => {
  const env = (c as unknown as Context<Env>).env;
  const { db, close } = createDb({ DATABASE_URL: env.NEON_DB_URL, NEON_WS_PROXY: env.NEON_WS_PROXY });
  try {
    const [row] = await db
      .select()
      .from(content)
      .where(byId(c.req.param('id')));
    return row ? c.json(row) : c.json({ error: 'not found' }, 404);
  } finally {
    c.executionCtx.waitUntil(close());
  }
});

app.get('/all/:id', requireSession(), rateLimit(RATE_LIMIT_PRESETS.api), async (c) => {
  const [row] = await getDb(c as unknown as Context<AppEnv>)
    .select()
    .from(content)
    .where(byId(c.req.param('id')));
  logLine(c as unknown as Context<AppEnv>);
  return row ? c.json(row) : c.json({ error: 'not found' }, 404);
});

export default app;

// The rate-limit counters (RATE_LIMITER): the probe hosts the class itself, as the auth worker does.
export { RateLimiter } from '@codex/worker-kit';
