/**
 * Idempotency-Key in the real Workers runtime, as deployed: wrangler's deploy bundle of identity-api (BUNDLE), its
 * session from the auth bundle (AUTH_SERVICE), the database through HYPERDRIVE (postgres.js → Miniflare's local
 * Hyperdrive → PgBouncer → PostgreSQL). 20 concurrent createOrganization with one key: one organization, one
 * execution; the others replay the first answer or are told to retry (409 IDEMPOTENCY_KEY_IN_PROGRESS).
 * Needs DATABASE_URL (see test/workerd/global-setup.ts).
 */
import { env } from 'cloudflare:test';
import { createDb, idempotencyKeys, organizations } from '@codex/database';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';

const hasDatabase = env.WORKERD_TEST_DB === 'postgres';
if (!hasDatabase) {
  console.warn('[workerd:identity-api] SKIPPED the Idempotency-Key test: DATABASE_URL is not set (embedded mode).');
}

function clientIp() {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

describe.skipIf(!hasDatabase)('Idempotency-Key in workerd (HYPERDRIVE)', () => {
  it('20 concurrent createOrganization with one key: one row, one execution', async () => {
    const suffix = crypto.randomUUID().slice(0, 8);
    const registered = await env.AUTH_SERVICE.fetch('http://auth.internal/api/auth/email/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': clientIp() },
      body: JSON.stringify({ email: `idem-${suffix}@example.test`, password: 'Sup3r-secret-pass', name: 'Idem' }),
    });
    expect(registered.status).toBe(201);
    const cookie = /codex-session=[^;]+/.exec(registered.headers.get('set-cookie') ?? '')?.[0] ?? '';
    expect(cookie).not.toBe('');
    const { user } = (await registered.json()) as { user: { id: string } };

    const key = crypto.randomUUID();
    const slug = `idem-${suffix}`;
    const ip = clientIp();
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () =>
        env.BUNDLE.fetch('http://localhost/api/organizations', {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie, 'Idempotency-Key': key, 'cf-connecting-ip': ip },
          body: JSON.stringify({ name: 'Idem Studio', slug }),
        }),
      ),
    );
    const elapsed = Date.now() - started;
    const fresh = answers.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
    const replayed = answers.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === 'true');
    const waiting = answers.filter((r) => r.status === 409);
    expect(answers.map((r) => r.status).every((s) => s === 201 || s === 409)).toBe(true);
    expect(fresh).toHaveLength(1);
    const first = (await (fresh[0] as Response).json()) as { id: string };
    for (const r of replayed) expect(((await r.json()) as { id: string }).id).toBe(first.id);
    for (const r of waiting) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
    }

    const db = createDb({ HYPERDRIVE: env.HYPERDRIVE });
    try {
      const rows = await db.db.select().from(organizations).where(eq(organizations.slug, slug));
      expect(rows.map((r) => r.id)).toEqual([first.id]);
      const [record] = await db.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key));
      expect(record).toMatchObject({ userId: user.id, operation: 'createOrganization', state: 'completed' });
    } finally {
      await db.close();
    }
    console.log(
      `[idempotency] workerd/HYPERDRIVE: 20 concurrent createOrganization, one key → 1 row, 1 executed, ` +
        `${replayed.length} replayed, ${waiting.length} × 409 in progress (${elapsed} ms)`,
    );
  });
});
