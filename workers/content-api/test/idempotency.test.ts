/**
 * Idempotency-Key on the creating POSTs (worker-kit `idempotent: true`), through the real routes and the real
 * database (embedded PGlite, or PostgreSQL with DATABASE_URL): replay, a reused key, per-caller scoping, a failed
 * request releasing its key, and concurrency (one key, many simultaneous requests → one execution).
 */
import { content, idempotencyKeys, mediaItems, organizations } from '@codex/database';
import type { LocalPlatform } from '@codex/local';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import contentApp from '../src/index';
import { api, json, registerUser, startPlatform, type TestUser, uid } from './helpers';

let platform: LocalPlatform;
let h: ReturnType<typeof api>;
let owner: TestUser;

beforeAll(async () => {
  platform = await startPlatform();
  h = api(platform);
});

beforeEach(async () => {
  owner = await registerUser(platform, { name: 'Ida Empotent' });
});

afterAll(async () => {
  await platform?.close();
});

const key = () => `key-${crypto.randomUUID()}`;
const withKey = (k: string) => ({ 'Idempotency-Key': k });
const keyRow = async (user: TestUser, k: string) =>
  (
    await platform.db
      .select()
      .from(idempotencyKeys)
      .where(and(eq(idempotencyKeys.userId, user.id), eq(idempotencyKeys.key, k)))
  )[0];
const mediaOf = (user: TestUser) => platform.db.select().from(mediaItems).where(eq(mediaItems.creatorId, user.id));
const contentOf = (user: TestUser) => platform.db.select().from(content).where(eq(content.creatorId, user.id));
const MEDIA = { title: 'Clip', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 1000 };

describe('Idempotency-Key', () => {
  it('replays the first answer (status, body, marked) without creating again', async () => {
    const k = key();
    const body = { title: 'Once', slug: `once-${uid()}`, contentType: 'video' };
    const first = await h.call('/api/content', 'POST', body, owner, withKey(k));
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const created = (await json(first)) as { id: string };

    const again = await h.call('/api/content', 'POST', body, owner, withKey(k));
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('content-type')).toContain('application/json');
    expect(await json(again)).toEqual(created);

    expect(await contentOf(owner)).toHaveLength(1);
    const row = await keyRow(owner, k);
    expect(row).toMatchObject({ operation: 'createContent', state: 'completed', responseStatus: 201 });
    const hours = ((row?.expiresAt.getTime() ?? 0) - (row?.createdAt.getTime() ?? 0)) / 3_600_000;
    expect(hours).toBeCloseTo(24, 3);
  });

  it('an expired key is a new key, and the caller’s expired records are purged on their next claim', async () => {
    const [k, stale] = [key(), key()];
    expect((await h.call('/api/media', 'POST', MEDIA, owner, withKey(k))).status).toBe(201);
    await platform.db.insert(idempotencyKeys).values({
      userId: owner.id,
      key: stale,
      operation: 'createMedia',
      requestHash: '0'.repeat(64),
      state: 'completed',
      responseStatus: 201,
      expiresAt: new Date(Date.now() - 1000),
    });
    await platform.db
      .update(idempotencyKeys)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(idempotencyKeys.key, k));
    const again = await h.call('/api/media', 'POST', MEDIA, owner, withKey(k));
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    expect(await mediaOf(owner)).toHaveLength(2);
    expect(await keyRow(owner, stale)).toBeUndefined();
    expect((await keyRow(owner, k))?.expiresAt.getTime()).toBeGreaterThan(Date.now() + 23 * 3_600_000);
  });

  it('without a key, a repeat creates again', async () => {
    for (let i = 0; i < 2; i++) expect((await h.call('/api/media', 'POST', MEDIA, owner)).status).toBe(201);
    expect(await mediaOf(owner)).toHaveLength(2);
  });

  it('refuses the same key with another body (422) or on another operation, and keeps the first answer', async () => {
    const k = key();
    expect((await h.call('/api/media', 'POST', MEDIA, owner, withKey(k))).status).toBe(201);

    const changed = await h.call('/api/media', 'POST', { ...MEDIA, fileSizeBytes: 2000 }, owner, withKey(k));
    expect(changed.status).toBe(422);
    expect(changed.headers.get('idempotent-replayed')).toBeNull();
    expect(await json(changed)).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });

    const otherOp = await h.call(
      '/api/content',
      'POST',
      { title: 'X', slug: `x-${uid()}`, contentType: 'video' },
      owner,
      withKey(k),
    );
    expect(otherOp.status).toBe(422);
    expect(await json(otherOp)).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });

    expect(await mediaOf(owner)).toHaveLength(1);
    expect(await contentOf(owner)).toHaveLength(0);
    expect((await h.call('/api/media', 'POST', MEDIA, owner, withKey(k))).headers.get('idempotent-replayed')).toBe(
      'true',
    );
  });

  it('scopes keys to the caller: another user with the same key gets their own create', async () => {
    const other = await registerUser(platform, { name: 'Other Caller' });
    const k = key();
    const a = await h.call('/api/media', 'POST', MEDIA, owner, withKey(k));
    const b = await h.call('/api/media', 'POST', MEDIA, other, withKey(k));
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    const [ma, mb] = [(await json(a)) as { media: { id: string } }, (await json(b)) as { media: { id: string } }];
    expect(ma.media.id).not.toBe(mb.media.id);
    expect(await mediaOf(owner)).toHaveLength(1);
    expect(await mediaOf(other)).toHaveLength(1);
  });

  it('keeps a 4xx answer: the same request gets the same refusal, replayed', async () => {
    const k = key();
    const bad = { title: 'Bad', slug: 'NOT A SLUG', contentType: 'video' };
    const first = await h.call('/api/content', 'POST', bad, owner, withKey(k));
    expect(first.status).toBe(400);
    const firstBody = await json(first);
    const again = await h.call('/api/content', 'POST', bad, owner, withKey(k));
    expect(again.status).toBe(400);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(again)).toEqual(firstBody);
    expect(await keyRow(owner, k)).toMatchObject({ state: 'completed', responseStatus: 400 });
  });

  it('refuses a malformed key (400) and creates nothing', async () => {
    const res = await h.call('/api/media', 'POST', MEDIA, owner, withKey('x'.repeat(256)));
    expect(res.status).toBe(400);
    expect(await json(res)).toMatchObject({ error: { code: 'VALIDATION_ERROR' } });
    expect(await mediaOf(owner)).toHaveLength(0);
  });

  it('a 5xx answer releases the key: the retry runs again', async () => {
    const k = key();
    const init = {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: owner.cookie, 'Idempotency-Key': k },
      body: JSON.stringify(MEDIA),
    };
    // A deployment with a too-short signing secret: 503 SIGNING_NOT_CONFIGURED, nothing written.
    const broken = await contentApp.fetch(
      new Request('http://localhost:4001/api/media', init),
      platform.envFor('content-api', { STREAMING_URL_SECRET: 'short' }),
    );
    expect(broken.status).toBe(503);
    expect(await json(broken)).toMatchObject({ error: { code: 'SIGNING_NOT_CONFIGURED' } });
    expect(await keyRow(owner, k)).toBeUndefined();
    const retry = await h.call('/api/media', 'POST', MEDIA, owner, withKey(k));
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
    expect(await mediaOf(owner)).toHaveLength(1);
  });

  it('while the first request runs, the same request gets 409 with Retry-After; a claim abandoned for a minute is taken over', async () => {
    const k = key();
    const hex = async (v: string) =>
      Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(v))).toString('hex');
    // The claim a request with this key, path and body holds while its handler runs.
    const requestHash = await hex(`createMedia\nPOST /api/media\n${await hex(JSON.stringify(MEDIA))}`);
    await platform.db.insert(idempotencyKeys).values({
      userId: owner.id,
      key: k,
      operation: 'createMedia',
      requestHash,
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const busy = await h.call('/api/media', 'POST', MEDIA, owner, withKey(k));
    expect(busy.status).toBe(409);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await json(busy)).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_IN_PROGRESS' } });
    expect(await mediaOf(owner)).toHaveLength(0);
    await platform.db
      .update(idempotencyKeys)
      .set({ lockedAt: new Date(Date.now() - 120_000) })
      .where(eq(idempotencyKeys.key, k));
    const taken = await h.call('/api/media', 'POST', MEDIA, owner, withKey(k));
    expect(taken.status).toBe(201);
    expect(await mediaOf(owner)).toHaveLength(1);
    expect(await keyRow(owner, k)).toMatchObject({ state: 'completed', responseStatus: 201 });
  });

  it('20 concurrent createMedia with one key execute once: one row, the others replay or wait (409 Retry-After)', async () => {
    const k = key();
    const started = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => h.call('/api/media', 'POST', MEDIA, owner, withKey(k))),
    );
    const elapsed = Date.now() - started;
    const statuses = answers.map((r) => r.status);
    const fresh = answers.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === null);
    const replayed = answers.filter((r) => r.status === 201 && r.headers.get('idempotent-replayed') === 'true');
    const waiting = answers.filter((r) => r.status === 409);
    expect(fresh).toHaveLength(1);
    expect(replayed.length + waiting.length).toBe(19);
    for (const r of waiting) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(await json(r)).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_IN_PROGRESS' } });
    }
    const id = ((await json(fresh[0] as Response)) as { media: { id: string } }).media.id;
    for (const r of replayed) expect(((await json(r)) as { media: { id: string } }).media.id).toBe(id);
    const rows = await mediaOf(owner);
    expect(rows.map((r) => r.id)).toEqual([id]);
    console.log(
      `[idempotency] ${platform.mode}: 20 concurrent createMedia, one key → ${rows.length} row, 1 executed, ` +
        `${replayed.length} replayed, ${waiting.length} × 409 in progress (${elapsed} ms); statuses ${statuses.join(',')}`,
    );
  });

  it('20 concurrent createContent with one key → exactly one content row', async () => {
    const k = key();
    const body = { title: 'Race', slug: `race-${uid()}`, contentType: 'video' };
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => h.call('/api/content', 'POST', body, owner, withKey(k))),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(answers.filter((r) => r.status === 201 && !r.headers.get('idempotent-replayed'))).toHaveLength(1);
    expect(await contentOf(owner)).toHaveLength(1);
    const after = await h.call('/api/content', 'POST', body, owner, withKey(k));
    expect(after.status).toBe(201);
    expect(after.headers.get('idempotent-replayed')).toBe('true');
  });

  it('createOrganization (identity-api) replays too', async () => {
    const k = key();
    const slug = `idem-${uid()}`;
    const init = (body: unknown) => ({
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: owner.cookie, 'Idempotency-Key': k },
      body: JSON.stringify(body),
    });
    const a = await platform.request('identity-api', '/api/organizations', init({ name: 'Studio', slug }));
    const b = await platform.request('identity-api', '/api/organizations', init({ name: 'Studio', slug }));
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(await json(b)).toEqual(await json(a));
    expect(await platform.db.select().from(organizations).where(eq(organizations.slug, slug))).toHaveLength(1);
  });
});
