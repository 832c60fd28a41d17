/**
 * Benchmark: GET /api/auth/session with a warm KV session cache vs a bare Hono JSON route, both served over HTTP by
 * @hono/node-server in this process, loaded by autocannon in a separate process.
 *
 *   npx tsx scripts/bench/session.ts [--connections 50] [--duration 5]
 *
 * The auth worker runs on the local platform (Miniflare KV; embedded PGlite, or DATABASE_URL when set) with
 * LOG_LEVEL=silent, so the figure is the request path (middleware chain, cookie, KV read, JSON), not log I/O.
 */

import { startLocalPlatform } from '@codex/local';
import { readSessionCache } from '@codex/security';
import { app as authApp } from '@codex/worker-auth';
import { serveApp, WaitUntilTracker } from '../lib/worker-host';
import { arg, benchAgainstBare, closeBareServer } from './lib';

const connections = Number(arg('--connections', '50'));
const duration = Number(arg('--duration', '5'));

async function main() {
  const platform = await startLocalPlatform({
    apps: { auth: authApp },
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory' },
  });
  const tracker = new WaitUntilTracker();
  const auth = await serveApp(authApp, { port: 0, env: () => platform.envFor('auth'), tracker });
  try {
    const email = `bench-${Date.now().toString(36)}@example.test`;
    const registered = await fetch(`${auth.url}/api/auth/email/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'Bench-password-123', name: 'Bench User' }),
    });
    if (registered.status !== 201) throw new Error(`register: ${registered.status} ${await registered.text()}`);
    const line = registered.headers.getSetCookie().find((l) => l.startsWith('codex-session='));
    if (!line) throw new Error('register returned no codex-session cookie');
    const cookie = line.split(';')[0] as string;

    // Warm the cache: the first read fills it (from the database), the next ones are KV hits.
    const first = await fetch(`${auth.url}/api/auth/session`, { headers: { cookie } });
    if (first.status !== 200) throw new Error(`session: ${first.status} ${await first.text()}`);
    await tracker.drain();
    const cached = await readSessionCache(
      platform.kv.AUTH_SESSION_KV,
      decodeURIComponent(cookie.slice('codex-session='.length)),
    );
    if (!cached) throw new Error('the session cache is still cold after a session read');
    console.log(`database: ${platform.mode}; session cache warm for ${email}`);

    await benchAgainstBare('GET /api/auth/session (KV warm)', `${auth.url}/api/auth/session`, {
      headers: { cookie },
      connections,
      duration,
    });
  } finally {
    await auth.close();
    await closeBareServer();
    await tracker.drain();
    await platform.close();
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
