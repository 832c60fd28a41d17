/**
 * The ceiling for the workerd session benchmark (scripts/bench/session.ts --runtime workerd): a bare Hono JSON
 * route, bundled by wrangler and run as its own Worker next to the auth worker in the same Miniflare instance.
 *
 *   GET /bare             → { ok: true }                          the ceiling
 *   GET /kv?key=<key>     → the KV entry under `key` (JSON)        bare + one KV read
 *   GET /cache            → readSessionCache(AUTH_SESSION_KV, cookie)   bare + the warm path's cache read
 *                           (cookie parse, sha256 of the token and of the cookie, KV read, JSON parse)
 * The last two (`--breakdown`) split the session route's cost; they read the auth worker's KV namespace.
 */
import { readSessionCache } from '@codex/worker-kit';
import { Hono } from 'hono';
import { getCookie } from 'hono/cookie';

const app = new Hono<{ Bindings: { AUTH_SESSION_KV?: KVNamespace } }>();

app.get('/bare', (c) => c.json({ ok: true }));

app.get('/kv', async (c) => {
  const kv = c.env.AUTH_SESSION_KV;
  const entry = kv ? await kv.get(c.req.query('key') ?? '', 'json') : null;
  return entry ? c.json(entry) : c.json({ error: 'miss' }, 404);
});

app.get('/cache', async (c) => {
  const cookie = getCookie(c, 'codex-session');
  const data = cookie ? await readSessionCache(c.env.AUTH_SESSION_KV, cookie) : null;
  return data ? c.json(data) : c.json({ error: 'miss' }, 401);
});

export default app;
