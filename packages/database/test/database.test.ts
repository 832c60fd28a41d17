/**
 * The schema's constraints, through whichever driver the environment selects:
 *   DATABASE_URL set → that server through a postgres.js pool (the driver of the production Hyperdrive path; behind a
 *                      PgBouncer in transaction mode with DATABASE_POOLER=pgbouncer);
 *   otherwise        → embedded in-memory PGlite.
 * With a server, the other paths to it are checked too: the Neon fallback driver through the relay, and
 * transaction-scoped locks through PgBouncer.
 * Tests may share one server database: every row uses random emails/slugs.
 */
import { randomUUID } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  accounts,
  content,
  contentAccess,
  createDb,
  createPostgresDb,
  type Database,
  DatabaseNotConfiguredError,
  isDatabaseUnavailable,
  isForeignKeyViolation,
  type NewContent,
  organizations,
  PG_ERROR,
  pgConstraint,
  pgErrorCode,
  playbackProgress,
  purchases,
  users,
  webhookEvents,
} from '../src/index';
import {
  DEMO_CREATOR_EMAIL,
  DEMO_CREATOR_PASSWORD,
  openTestDb,
  seedDemoData,
  startPgBouncer,
  startRelay,
  type TestDb,
} from '../src/node';

let testDb: TestDb;
let db: Database;

beforeAll(async () => {
  testDb = await openTestDb();
  db = testDb.db;
});
afterAll(async () => {
  await testDb?.close();
});

const suffix = () => randomUUID().slice(0, 8);

async function makeUser(role: 'viewer' | 'creator' | 'admin' = 'creator') {
  const [user] = await db
    .insert(users)
    .values({ name: 'Test User', email: `user-${suffix()}@test.codex.local`, role })
    .returning();
  if (!user) throw new Error('no user');
  return user;
}

async function makeOrg(creatorId: string, slug = `org-${suffix()}`) {
  const [org] = await db.insert(organizations).values({ name: 'Test Org', slug, creatorId }).returning();
  if (!org) throw new Error('no org');
  return org;
}

async function makeContent(creatorId: string, values: Partial<NewContent> = {}) {
  const [row] = await db
    .insert(content)
    .values({ creatorId, title: 'Test content', slug: `c-${suffix()}`, contentType: 'video', ...values })
    .returning();
  if (!row) throw new Error('no content');
  return row;
}

/** Asserts that `promise` fails with the given SQLSTATE and (optionally) constraint name. */
async function expectPgError(promise: Promise<unknown>, code: string, constraint?: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'expected the statement to fail').toBeDefined();
  expect(pgErrorCode(error)).toBe(code);
  if (constraint) expect(pgConstraint(error)).toBe(constraint);
}

describe(`database (${process.env.DATABASE_URL ? 'server via a postgres.js pool' : 'embedded PGlite'})`, () => {
  it('createDb picks the mode from the bindings', () => {
    expect(() => createDb({})).toThrow(DatabaseNotConfiguredError);
    expect(createDb({ EMBEDDED_DB: db }).db).toBe(db);
    expect(createDb(testDb.env).db).toBeDefined();
  });

  it('generates uuids and timestamps, and maps camelCase properties to snake_case columns', async () => {
    const user = await makeUser('viewer');
    expect(user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(user.emailVerified).toBe(false);
    expect(user.createdAt).toBeInstanceOf(Date);
    const found = await db.query.users.findFirst({ where: eq(users.email, user.email) });
    expect(found?.id).toBe(user.id);
  });

  it('rejects unknown roles and non-lowercase emails', async () => {
    await expectPgError(
      db.insert(users).values({ name: 'x', email: `r-${suffix()}@x.io`, role: 'root' as 'admin' }),
      PG_ERROR.CHECK_VIOLATION,
      'users_role_check',
    );
    await expectPgError(
      db.insert(users).values({ name: 'x', email: `Upper-${suffix()}@X.io` }),
      PG_ERROR.CHECK_VIOLATION,
      'users_email_lowercase_check',
    );
  });

  it('keeps organization slugs unique among live organizations only', async () => {
    const creator = await makeUser();
    const slug = `studio-${suffix()}`;
    const first = await makeOrg(creator.id, slug);

    await expectPgError(makeOrg(creator.id, slug), PG_ERROR.UNIQUE_VIOLATION, 'organizations_slug_live_unique');

    await db.update(organizations).set({ deletedAt: new Date() }).where(eq(organizations.id, first.id));
    const second = await makeOrg(creator.id, slug);
    expect(second.id).not.toBe(first.id);

    const live = await db.query.organizations.findMany({
      where: (o, { and, eq, isNull }) => and(eq(o.slug, slug), isNull(o.deletedAt)),
    });
    expect(live.map((o) => o.id)).toEqual([second.id]);
  });

  it('enforces the slug format', async () => {
    const creator = await makeUser();
    for (const bad of ['Has-Caps', 'double--hyphen', '-leading', 'trailing-', 'under_score']) {
      await expectPgError(makeOrg(creator.id, bad), PG_ERROR.CHECK_VIOLATION, 'organizations_slug_format_check');
    }
  });

  it('requires a positive price for purchased_only content', async () => {
    const creator = await makeUser();
    await expectPgError(
      makeContent(creator.id, { visibility: 'purchased_only' }),
      PG_ERROR.CHECK_VIOLATION,
      'content_purchased_only_price_check',
    );
    await expectPgError(
      makeContent(creator.id, { visibility: 'purchased_only', priceCents: 0 }),
      PG_ERROR.CHECK_VIOLATION,
      'content_purchased_only_price_check',
    );
    await expectPgError(makeContent(creator.id, { priceCents: -1 }), PG_ERROR.CHECK_VIOLATION, 'content_price_check');
    const paid = await makeContent(creator.id, { visibility: 'purchased_only', priceCents: 499 });
    expect(paid.priceCents).toBe(499);
    expect(paid.currency).toBe('usd');
    expect(paid.status).toBe('draft');
  });

  it('requires an organization for members_only content', async () => {
    const creator = await makeUser();
    await expectPgError(
      makeContent(creator.id, { visibility: 'members_only' }),
      PG_ERROR.CHECK_VIOLATION,
      'content_members_only_org_check',
    );
    const org = await makeOrg(creator.id);
    const row = await makeContent(creator.id, { visibility: 'members_only', organizationId: org.id });
    expect(row.organizationId).toBe(org.id);
  });

  it('keeps content slugs unique per creator (personal) and per organization, among live rows', async () => {
    const creator = await makeUser();
    const org = await makeOrg(creator.id);
    const slug = `episode-${suffix()}`;
    const personal = await makeContent(creator.id, { slug });
    await makeContent(creator.id, { slug, organizationId: org.id }); // same slug, other owner: fine
    await expectPgError(
      makeContent(creator.id, { slug }),
      PG_ERROR.UNIQUE_VIOLATION,
      'content_creator_slug_live_unique',
    );
    await expectPgError(
      makeContent(creator.id, { slug, organizationId: org.id }),
      PG_ERROR.UNIQUE_VIOLATION,
      'content_org_slug_live_unique',
    );
    await db.update(content).set({ deletedAt: new Date() }).where(eq(content.id, personal.id));
    await makeContent(creator.id, { slug });
  });

  it('allows one content_access and one playback_progress row per (user, content)', async () => {
    const creator = await makeUser();
    const viewer = await makeUser('viewer');
    const item = await makeContent(creator.id);

    await db.insert(contentAccess).values({ userId: viewer.id, contentId: item.id, accessType: 'grant' });
    await expectPgError(
      db.insert(contentAccess).values({ userId: viewer.id, contentId: item.id, accessType: 'purchase' }),
      PG_ERROR.UNIQUE_VIOLATION,
      'content_access_user_content_unique',
    );

    await db
      .insert(playbackProgress)
      .values({ userId: viewer.id, contentId: item.id, positionSeconds: 10, durationSeconds: 100 });
    await expectPgError(
      db
        .insert(playbackProgress)
        .values({ userId: viewer.id, contentId: item.id, positionSeconds: 20, durationSeconds: 100 }),
      PG_ERROR.UNIQUE_VIOLATION,
      'playback_progress_user_content_unique',
    );
    // The upsert services will use:
    await db
      .insert(playbackProgress)
      .values({ userId: viewer.id, contentId: item.id, positionSeconds: 30, durationSeconds: 100 })
      .onConflictDoUpdate({
        target: [playbackProgress.userId, playbackProgress.contentId],
        set: { positionSeconds: 30 },
      });
    const rows = await db.select().from(playbackProgress).where(eq(playbackProgress.userId, viewer.id));
    expect(rows.map((r) => r.positionSeconds)).toEqual([30]);

    const other = await makeContent(creator.id);
    await expectPgError(
      db
        .insert(playbackProgress)
        .values({ userId: viewer.id, contentId: other.id, positionSeconds: 101, durationSeconds: 100 }),
      PG_ERROR.CHECK_VIOLATION,
      'playback_progress_position_le_duration_check',
    );
  });

  it('keeps Stripe checkout session ids and webhook event ids unique', async () => {
    const buyer = await makeUser('viewer');
    const creator = await makeUser();
    const item = await makeContent(creator.id, { visibility: 'purchased_only', priceCents: 499 });
    const sessionId = `cs_test_${suffix()}`;
    const purchase = { userId: buyer.id, contentId: item.id, amountCents: 499, currency: 'usd' };

    await db.insert(purchases).values({ ...purchase, stripeCheckoutSessionId: sessionId });
    await expectPgError(
      db.insert(purchases).values({ ...purchase, stripeCheckoutSessionId: sessionId }),
      PG_ERROR.UNIQUE_VIOLATION,
      'purchases_stripe_checkout_session_id_unique',
    );
    // Several purchases may still lack a payment intent (NULLs are distinct).
    await db.insert(purchases).values({ ...purchase, stripeCheckoutSessionId: `cs_test_${suffix()}` });
    const rows = await db.select().from(purchases).where(eq(purchases.userId, buyer.id));
    expect(rows).toHaveLength(2);
    expect(rows.every((r) => r.stripePaymentIntentId === null && r.status === 'pending')).toBe(true);

    const eventId = `evt_${suffix()}`;
    const [event] = await db
      .insert(webhookEvents)
      .values({ stripeEventId: eventId, type: 'checkout.session.completed', payload: { id: eventId, nested: [1, 2] } })
      .returning();
    expect(event?.payload).toEqual({ id: eventId, nested: [1, 2] });
    const again = await db
      .insert(webhookEvents)
      .values({ stripeEventId: eventId, type: 'checkout.session.completed' })
      .onConflictDoNothing()
      .returning();
    expect(again).toEqual([]); // the idempotency check webhooks rely on
  });

  it('rolls a failed transaction back completely', async () => {
    const email = `tx-${suffix()}@test.codex.local`;
    const slug = `tx-${suffix()}`;
    const failure = await db
      .transaction(async (tx) => {
        const [user] = await tx.insert(users).values({ name: 'Tx', email }).returning();
        if (!user) throw new Error('no user');
        await tx.insert(organizations).values({ name: 'Tx Org', slug, creatorId: user.id });
        throw new Error('abort');
      })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toBe('abort');
    expect(await db.select().from(users).where(eq(users.email, email))).toEqual([]);
    expect(await db.select().from(organizations).where(eq(organizations.slug, slug))).toEqual([]);

    // A constraint violation inside the transaction rolls back the earlier statements too.
    await expectPgError(
      db.transaction(async (tx) => {
        const [user] = await tx.insert(users).values({ name: 'Tx', email }).returning();
        if (!user) throw new Error('no user');
        await tx.insert(organizations).values({ name: 'Bad', slug: 'Not A Slug', creatorId: user.id });
      }),
      PG_ERROR.CHECK_VIOLATION,
    );
    expect(await db.select().from(users).where(eq(users.email, email))).toEqual([]);
  });

  it('cascades user deletion to access rows, restricts it for creators, and checks references', async () => {
    const creator = await makeUser();
    const viewer = await makeUser('viewer');
    const item = await makeContent(creator.id);
    await db.insert(contentAccess).values({ userId: viewer.id, contentId: item.id, accessType: 'grant' });
    await db.delete(users).where(eq(users.id, viewer.id));
    expect(await db.select().from(contentAccess).where(eq(contentAccess.contentId, item.id))).toEqual([]);
    // ON DELETE RESTRICT: PostgreSQL 17 (PGlite) reports 23001, PostgreSQL 15 reports 23503 — hence the helper.
    const blocked = await db
      .delete(users)
      .where(eq(users.id, creator.id))
      .catch((e: unknown) => e);
    expect(isForeignKeyViolation(blocked)).toBe(true);
    expect(await db.select({ id: users.id }).from(users).where(eq(users.id, creator.id))).toHaveLength(1);
    await expectPgError(makeContent(randomUUID()), PG_ERROR.FOREIGN_KEY_VIOLATION, 'content_creator_id_users_id_fk');
  });

  it('seeds the demo data idempotently', async () => {
    const first = await seedDemoData(db);
    const second = await seedDemoData(db);
    expect(second).toEqual(first);

    const creator = await db.query.users.findFirst({ where: eq(users.email, DEMO_CREATOR_EMAIL) });
    expect(creator).toMatchObject({ role: 'creator', emailVerified: true });
    const account = await db.query.accounts.findFirst({
      where: and(eq(accounts.userId, first.creatorId), eq(accounts.providerId, 'credential')),
    });
    expect(account?.accountId).toBe(first.creatorId);
    expect(await bcrypt.compare(DEMO_CREATOR_PASSWORD, account?.password ?? '')).toBe(true);

    const items = await db
      .select()
      .from(content)
      .where(inArray(content.id, [first.publicContentId, first.paidContentId]));
    expect(items.map((c) => [c.visibility, c.priceCents, c.status]).sort()).toEqual([
      ['public', null, 'published'],
      ['purchased_only', 499, 'published'],
    ]);
    const media = await db.query.mediaItems.findFirst({ where: (m, { eq }) => eq(m.id, first.mediaItemId) });
    expect(media?.status).toBe('ready');
    // The row describes the file seedDemoMedia stores (workers/content-api/test/storage-faults.test.ts streams it).
    expect(media).toMatchObject({
      storageKey: `media/${first.mediaItemId}/demo-clip.webm`,
      mimeType: 'video/webm',
      fileSizeBytes: 31_776,
      hlsMasterKey: null,
    });
  });
});

describe('relay', () => {
  it('refuses to connect anywhere but loopback', async () => {
    const relay = await startRelay();
    try {
      const ws = new WebSocket(`ws://${relay.url}?address=example.com:5432`);
      const code = await new Promise<number>((resolve, reject) => {
        ws.on('close', (c) => resolve(c));
        ws.on('error', reject);
      });
      expect(code).toBe(1008);
    } finally {
      await relay.close();
    }
  });
});

describe('postgres.js', () => {
  it('reports an unreachable server as the database being unavailable', async () => {
    const { db: nowhere, close } = createPostgresDb('postgres://nobody@127.0.0.1:1/none', { max: 1 });
    try {
      const error = await nowhere
        .select()
        .from(users)
        .limit(1)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error, 'expected the query to fail').toBeDefined();
      expect(isDatabaseUnavailable(error)).toBe(true);
      expect(pgErrorCode(error)).toBeUndefined();
    } finally {
      await close();
    }
  });
});

const serverUrl = process.env.DATABASE_URL;
if (!serverUrl) {
  console.warn(
    '[database] SKIPPED the Neon-fallback and PgBouncer checks: DATABASE_URL is not set (they need a PostgreSQL server).',
  );
}

describe.skipIf(!serverUrl)('other paths to the same server', () => {
  it('the Neon serverless driver (fallback without Hyperdrive) reads what the pool wrote, through the relay', async () => {
    const user = await makeUser('viewer');
    const relay = await startRelay();
    const neon = createDb({ DATABASE_URL: serverUrl, NEON_WS_PROXY: relay.url });
    try {
      const [row] = await neon.db.select().from(users).where(eq(users.id, user.id));
      expect(row).toMatchObject({ id: user.id, email: user.email, role: 'viewer' });
    } finally {
      await neon.close();
      await relay.close();
    }
  });

  it('through PgBouncer in transaction mode, a row lock holds for the whole transaction', async () => {
    const user = await makeUser('viewer');
    const bouncer = await startPgBouncer({ serverUrl: serverUrl as string });
    const pooled = createPostgresDb(bouncer.urlFor(serverUrl as string), { max: 4 });
    try {
      let release!: () => void;
      const released = new Promise<void>((r) => {
        release = r;
      });
      let locked!: () => void;
      const isLocked = new Promise<void>((r) => {
        locked = r;
      });
      const holder = pooled.db.transaction(async (tx) => {
        await tx.select().from(users).where(eq(users.id, user.id)).for('update');
        locked();
        await released;
        await tx.update(users).set({ name: 'Holder' }).where(eq(users.id, user.id));
      });
      await isLocked;
      // Another transaction, on another pooled server connection, cannot take the lock while the first is open.
      const contender = await pooled.db
        .transaction(async (tx) => {
          await tx.execute(sql`SET LOCAL lock_timeout = '200ms'`);
          await tx.select().from(users).where(eq(users.id, user.id)).for('update');
        })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(pgErrorCode(contender)).toBe('55P03'); // lock_not_available
      release();
      await holder;
      const [row] = await db.select().from(users).where(eq(users.id, user.id));
      expect(row?.name).toBe('Holder');
    } finally {
      await pooled.close();
      await bouncer.close();
    }
  });
});
