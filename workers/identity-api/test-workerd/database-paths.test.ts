/**
 * The two database paths of a Worker, in the real Workers runtime, against one PostgreSQL database:
 * - HYPERDRIVE (production): postgres.js over Workers TCP sockets → Miniflare's local Hyperdrive → PgBouncer;
 * - DATABASE_URL (the fallback without a Hyperdrive binding): Neon's serverless driver over WebSocket, via the relay.
 * Needs DATABASE_URL (see test/workerd/global-setup.ts).
 */
import { env, SELF } from 'cloudflare:test';
import { createDb, organizations, users } from '@codex/database';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';

const hasDatabase = env.WORKERD_TEST_DB === 'postgres';
if (!hasDatabase) {
  console.warn(
    '[workerd:identity-api] SKIPPED the Hyperdrive and Neon-fallback paths: DATABASE_URL is not set (embedded mode). ' +
      'workerd cannot reach the in-process PGlite; run with DATABASE_URL=postgres://… to include these tests.',
  );
}

describe.skipIf(!hasDatabase)('database paths in workerd', () => {
  it('a row written through HYPERDRIVE is read back through the Neon fallback, and the worker serves it', async () => {
    const suffix = crypto.randomUUID().slice(0, 8);
    const hyperdrive = createDb({ HYPERDRIVE: env.HYPERDRIVE });
    const [creator] = await hyperdrive.db
      .insert(users)
      .values({ name: 'Paths', email: `paths-${suffix}@example.test`, role: 'creator' })
      .returning();
    const [org] = await hyperdrive.db
      .insert(organizations)
      .values({ name: 'Paths Org', slug: `paths-${suffix}`, creatorId: (creator as { id: string }).id })
      .returning();

    const neon = createDb({ DATABASE_URL: env.DATABASE_URL, NEON_WS_PROXY: env.NEON_WS_PROXY });
    try {
      const [read] = await neon.db
        .select()
        .from(organizations)
        .where(eq(organizations.id, (org as { id: string }).id));
      expect(read).toMatchObject({ slug: `paths-${suffix}`, name: 'Paths Org' });
    } finally {
      await neon.close();
    }

    // The worker itself (its bindings: HYPERDRIVE from the test run) answers from the same database.
    const res = await SELF.fetch(`http://localhost/api/organizations/slug/paths-${suffix}`, {
      headers: { 'cf-connecting-ip': '10.9.8.7' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: (org as { id: string }).id, slug: `paths-${suffix}`, myRole: null });
  });
});
