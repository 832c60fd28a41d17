import { contentAccess, playbackProgress } from '@codex/database';
import type { LocalPlatform } from '@codex/local';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { api, bytesOf, json, registerUser, startPlatform, type TestUser, UNKNOWN_ID } from './helpers';

let platform: LocalPlatform;
let h: ReturnType<typeof api>;

type Who = 'anonymous' | 'owner' | 'otherCreator' | 'viewer' | 'buyer' | 'member' | 'expiredBuyer' | 'revokedBuyer';
type What = 'public' | 'paid' | 'members' | 'draft';
const users = {} as Record<Exclude<Who, 'anonymous'>, TestUser>;
const items = {} as Record<What, { id: string; mediaId: string }>;
let orgId: string;

async function grant(user: TestUser, contentId: string, extra: Partial<typeof contentAccess.$inferInsert> = {}) {
  // The ecom worker grants access after a payment; here the row is written directly.
  await platform.db.insert(contentAccess).values({ userId: user.id, contentId, accessType: 'purchase', ...extra });
}

beforeAll(async () => {
  platform = await startPlatform();
  h = api(platform);
  for (const who of ['owner', 'otherCreator', 'viewer', 'buyer', 'member', 'expiredBuyer', 'revokedBuyer'] as const) {
    users[who] = await registerUser(platform, { name: who });
  }
  const { owner } = users;
  orgId = (await h.createOrg(owner)).id;
  await h.addMember(orgId, owner, users.member);
  // The other creator has content of their own (a creator, not a member or buyer here).
  await h.publishedContent(users.otherCreator);

  items.public = await h.publishedContent(owner, { visibility: 'public' });
  items.paid = await h.publishedContent(owner, { visibility: 'purchased_only', priceCents: 500 });
  items.members = await h.publishedContent(owner, { visibility: 'members_only', organizationId: orgId });
  const draftMedia = await h.readyMedia(owner);
  items.draft = { ...(await h.createContent(owner, { mediaItemId: draftMedia.id })), mediaId: draftMedia.id };

  await grant(users.buyer, items.paid.id);
  await grant(users.expiredBuyer, items.paid.id, { expiresAt: new Date(Date.now() - 60_000) });
  await grant(users.revokedBuyer, items.paid.id, { revokedAt: new Date() });
});

afterAll(async () => {
  await platform?.close();
});

const userOf = (who: Who) => (who === 'anonymous' ? undefined : users[who]);

/**
 * The authorization matrix: who may stream (and track progress of) what. `200` = allowed; anything else is the
 * status and code of the refusal.
 */
const MATRIX: Array<[Who, What, number, string?]> = [
  ['anonymous', 'public', 401, 'AUTHENTICATION_REQUIRED'],
  ['anonymous', 'paid', 401, 'AUTHENTICATION_REQUIRED'],
  ['anonymous', 'members', 401, 'AUTHENTICATION_REQUIRED'],
  ['anonymous', 'draft', 401, 'AUTHENTICATION_REQUIRED'],
  ['owner', 'public', 200],
  ['owner', 'paid', 200],
  ['owner', 'members', 200],
  ['owner', 'draft', 200],
  ['otherCreator', 'public', 200],
  ['otherCreator', 'paid', 403, 'NO_PURCHASE'],
  ['otherCreator', 'members', 403, 'NOT_A_MEMBER'],
  ['otherCreator', 'draft', 404, 'CONTENT_NOT_FOUND'],
  ['viewer', 'public', 200],
  ['viewer', 'paid', 403, 'NO_PURCHASE'],
  ['viewer', 'members', 403, 'NOT_A_MEMBER'],
  ['viewer', 'draft', 404, 'CONTENT_NOT_FOUND'],
  ['buyer', 'public', 200],
  ['buyer', 'paid', 200],
  ['buyer', 'members', 403, 'NOT_A_MEMBER'],
  ['buyer', 'draft', 404, 'CONTENT_NOT_FOUND'],
  ['member', 'public', 200],
  ['member', 'paid', 403, 'NO_PURCHASE'],
  ['member', 'members', 200],
  ['member', 'draft', 404, 'CONTENT_NOT_FOUND'],
  ['expiredBuyer', 'paid', 403, 'NO_PURCHASE'],
  ['revokedBuyer', 'paid', 403, 'NO_PURCHASE'],
];

describe('GET /api/access/streaming-url/{contentId}: the authorization matrix', () => {
  it.each(MATRIX)('%s → %s content: %i %s', async (who, what, status, code) => {
    const res = await h.streamingUrl(items[what].id, userOf(who));
    expect(res.status).toBe(status);
    const body = await json(res);
    if (status !== 200) {
      expect(body.error.code).toBe(code);
      expect(JSON.stringify(body)).not.toContain('media/');
      return;
    }
    const url = new URL(body.streamingUrl);
    expect(url.pathname).toBe(`/api/access/stream/${items[what].id}`);
    expect(url.searchParams.get('uid')).toBe(userOf(who)?.id);
    // The URL works for this user.
    const bytes = await h.fetchStream(body.streamingUrl, { range: 'bytes=0-9' });
    expect(bytes.status).toBe(206);
    expect(new Uint8Array(await bytes.arrayBuffer())).toEqual(bytesOf(10));
  });

  it('404s unknown content and 400s a malformed id or ttl', async () => {
    const res = await h.streamingUrl(UNKNOWN_ID, users.viewer);
    expect(res.status).toBe(404);
    expect((await h.streamingUrl('nope', users.viewer)).status).toBe(400);
    for (const q of ['?ttlSeconds=59', '?ttlSeconds=3601', '?ttlSeconds=abc']) {
      const bad = await h.streamingUrl(items.public.id, users.viewer, q);
      expect(bad.status, q).toBe(400);
      expect((await json(bad)).error.code).toBe('VALIDATION_ERROR');
    }
  });

  it('honours ttlSeconds (default one hour)', async () => {
    const short = await json(await h.streamingUrl(items.public.id, users.viewer, '?ttlSeconds=60'));
    const ttl = Date.parse(short.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    const long = await json(await h.streamingUrl(items.public.id, users.viewer));
    expect(Date.parse(long.expiresAt) - Date.now()).toBeGreaterThan(3595_000);
  });

  it('is 422 MEDIA_NOT_READY for the owner of a draft whose media is not ready', async () => {
    const { media } = await h.createMedia(users.owner);
    const draft = await h.createContent(users.owner, { mediaItemId: media.id });
    const res = await h.streamingUrl(draft.id, users.owner);
    expect(res.status).toBe(422);
    expect((await json(res)).error).toMatchObject({ code: 'MEDIA_NOT_READY', details: { mediaStatus: 'uploading' } });
    const none = await h.createContent(users.owner);
    expect((await h.streamingUrl(none.id, users.owner)).status).toBe(422);
  });

  it('follows membership changes at once (no cache)', async () => {
    const joiner = await registerUser(platform);
    expect((await h.streamingUrl(items.members.id, joiner)).status).toBe(403);
    await h.addMember(orgId, users.owner, joiner);
    const res = await h.streamingUrl(items.members.id, joiner);
    expect(res.status).toBe(200);
    const { streamingUrl } = await json(res);
    expect(
      (await h.identity(`/api/organizations/${orgId}/members/${joiner.id}`, 'DELETE', undefined, users.owner)).status,
    ).toBe(204);
    expect((await h.streamingUrl(items.members.id, joiner)).status).toBe(403);
    // The URL issued while a member stops working too.
    const stream = await h.fetchStream(streamingUrl);
    expect(stream.status).toBe(403);
    expect((await json(stream)).error.code).toBe('NOT_A_MEMBER');
  });
});

describe('GET /api/access/stream/{contentId}: ranges', () => {
  let file: Uint8Array;
  let streamingUrl: string;

  beforeAll(async () => {
    const creator = await registerUser(platform);
    const item = await h.publishedContent(creator, {}, 1000);
    file = bytesOf(1000);
    streamingUrl = (await json(await h.streamingUrl(item.id, users.viewer))).streamingUrl;
  });

  const get = (range?: string, method = 'GET') => h.fetchStream(streamingUrl, range ? { range } : {}, method);

  it('serves the whole file with its type, length, ETag and Accept-Ranges', async () => {
    const res = await get();
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('content-length')).toBe('1000');
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('etag')).toMatch(/^".+"$/);
    expect(res.headers.get('content-range')).toBeNull();
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(file);
  });

  it.each([
    ['the first bytes', 'bytes=0-99', 0, 99],
    ['the middle', 'bytes=500-599', 500, 599],
    ['a suffix', 'bytes=-100', 900, 999],
    ['an open end', 'bytes=900-', 900, 999],
    ['an end past the file (clamped)', 'bytes=990-5000', 990, 999],
    ['a suffix longer than the file', 'bytes=-5000', 0, 999],
    ['a single byte', 'bytes=999-999', 999, 999],
  ])('serves %s (%s) as 206', async (_label, range, start, end) => {
    const res = await get(range);
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes ${start}-${end}/1000`);
    expect(res.headers.get('content-length')).toBe(String(end - start + 1));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(file.slice(start, end + 1));
  });

  it.each([['bytes=1000-'], ['bytes=5000-6000'], ['bytes=-0']])(
    'refuses an unsatisfiable range (%s) with 416',
    async (range) => {
      const res = await get(range);
      expect(res.status).toBe(416);
      expect(res.headers.get('content-range')).toBe('bytes */1000');
      expect((await json(res)).error.code).toBe('RANGE_NOT_SATISFIABLE');
    },
  );

  it.each([['bytes=0-1,5-6'], ['bytes=abc'], ['items=0-5'], ['bytes=9-3']])(
    'serves the whole file for %s (ignored)',
    async (range) => {
      const res = await get(range);
      expect(res.status).toBe(200);
      expect((await res.arrayBuffer()).byteLength).toBe(1000);
    },
  );

  it('answers HEAD with the headers only', async () => {
    const full = await get(undefined, 'HEAD');
    expect(full.status).toBe(200);
    expect(full.headers.get('content-length')).toBe('1000');
    expect(full.headers.get('etag')).toBe((await get()).headers.get('etag'));
    expect((await full.arrayBuffer()).byteLength).toBe(0);
    const part = await get('bytes=-100', 'HEAD');
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe('bytes 900-999/1000');
    expect((await part.arrayBuffer()).byteLength).toBe(0);
  });
});

describe('GET /api/access/stream/{contentId}: signed URLs', () => {
  async function urlFor(user: TestUser, contentId: string) {
    const res = await h.streamingUrl(contentId, user);
    expect(res.status).toBe(200);
    return new URL((await json(res)).streamingUrl);
  }
  const fetchUrl = (url: URL) => h.fetchStream(url.toString());

  it('refuses tampered URLs with 403 INVALID_SIGNATURE', async () => {
    const url = await urlFor(users.buyer, items.paid.id);
    expect((await fetchUrl(url)).status).toBe(200);
    const variants: Record<string, URL> = {};
    const tweak = (label: string, fn: (u: URL) => void) => {
      const u = new URL(url);
      fn(u);
      variants[label] = u;
    };
    tweak('another user', (u) => u.searchParams.set('uid', users.viewer.id));
    tweak('a later expiry', (u) => u.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 60)));
    tweak('another content', (u) => {
      u.pathname = `/api/access/stream/${items.members.id}`;
    });
    tweak('unknown content', (u) => {
      u.pathname = `/api/access/stream/${UNKNOWN_ID}`;
    });
    tweak('an altered signature', (u) => {
      const s = u.searchParams.get('signature') ?? '';
      u.searchParams.set('signature', (s[0] === 'A' ? 'B' : 'A') + s.slice(1));
    });
    tweak('a truncated signature', (u) =>
      u.searchParams.set('signature', (u.searchParams.get('signature') ?? '').slice(0, 20)),
    );
    for (const [label, u] of Object.entries(variants)) {
      const res = await fetchUrl(u);
      expect(res.status, label).toBe(403);
      const body = await json(res);
      expect(body.error.code, label).toBe('INVALID_SIGNATURE');
    }
    const missing = new URL(url);
    missing.searchParams.delete('signature');
    expect((await fetchUrl(missing)).status).toBe(400);
  });

  it('refuses an expired URL with 403 URL_EXPIRED', async () => {
    const res = await h.streamingUrl(items.public.id, users.viewer, '?ttlSeconds=60');
    const { streamingUrl } = await json(res);
    expect((await h.fetchStream(streamingUrl)).status).toBe(200);
    vi.useFakeTimers({ now: Date.now() + 61_000, toFake: ['Date'] });
    try {
      const expired = await h.fetchStream(streamingUrl);
      expect(expired.status).toBe(403);
      expect((await json(expired)).error.code).toBe('URL_EXPIRED');
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops a URL when the purchase is revoked, the content unpublished or its media replaced', async () => {
    const creator = await registerUser(platform);
    const buyer = await registerUser(platform);
    const item = await h.publishedContent(creator, { visibility: 'purchased_only', priceCents: 100 });
    await grant(buyer, item.id);
    const buyerUrl = await urlFor(buyer, item.id);
    const ownerUrl = await urlFor(creator, item.id);
    expect((await fetchUrl(buyerUrl)).status).toBe(200);

    await platform.db
      .update(contentAccess)
      .set({ revokedAt: new Date() })
      .where(and(eq(contentAccess.userId, buyer.id), eq(contentAccess.contentId, item.id)));
    const revoked = await fetchUrl(buyerUrl);
    expect(revoked.status).toBe(403);
    expect((await json(revoked)).error.code).toBe('NO_PURCHASE');
    await platform.db.update(contentAccess).set({ revokedAt: null }).where(eq(contentAccess.userId, buyer.id));
    expect((await fetchUrl(buyerUrl)).status).toBe(200);

    expect((await h.call(`/api/content/${item.id}/unpublish`, 'POST', undefined, creator)).status).toBe(200);
    const unpublished = await fetchUrl(buyerUrl);
    expect(unpublished.status).toBe(403);
    expect((await json(unpublished)).error.code).toBe('CONTENT_UNAVAILABLE');
    // The creator can still preview the draft.
    expect((await fetchUrl(ownerUrl)).status).toBe(200);

    const replacement = await h.readyMedia(creator, { size: 50 });
    expect((await h.call(`/api/content/${item.id}`, 'PATCH', { mediaItemId: replacement.id }, creator)).status).toBe(
      200,
    );
    const replaced = await fetchUrl(ownerUrl);
    expect(replaced.status).toBe(403);
    expect((await json(replaced)).error.code).toBe('INVALID_SIGNATURE');
    const fresh = await fetchUrl(await urlFor(creator, item.id));
    expect((await fresh.arrayBuffer()).byteLength).toBe(50);
  });

  it('stops a URL when the content is deleted', async () => {
    const creator = await registerUser(platform);
    const item = await h.publishedContent(creator);
    const url = await urlFor(users.viewer, item.id);
    expect((await h.call(`/api/content/${item.id}`, 'DELETE', undefined, creator)).status).toBe(204);
    const res = await fetchUrl(url);
    expect(res.status).toBe(403);
    expect((await h.streamingUrl(item.id, users.viewer)).status).toBe(404);
  });
});

describe('playback progress', () => {
  it.each(MATRIX)('POST then GET as %s on %s content: %i %s', async (who, what, status, code) => {
    const user = userOf(who);
    const path = `/api/access/playback-progress/${items[what].id}`;
    const save = await h.call(path, 'POST', { positionSeconds: 30, durationSeconds: 120, completed: false }, user);
    expect(save.status).toBe(status);
    const get = await h.call(path, 'GET', undefined, user);
    expect(get.status).toBe(status);
    if (status !== 200) {
      expect((await json(save)).error.code).toBe(code);
      expect((await json(get)).error.code).toBe(code);
      if (user) {
        const rows = await platform.db
          .select()
          .from(playbackProgress)
          .where(and(eq(playbackProgress.userId, user.id), eq(playbackProgress.contentId, items[what].id)));
        expect(rows).toHaveLength(0);
      }
      return;
    }
    expect(await json(get)).toMatchObject({
      contentId: items[what].id,
      positionSeconds: 30,
      durationSeconds: 120,
      completed: false,
    });
  });

  it('stores the latest report, rewinds included, in one row per user and content', async () => {
    const listener = await registerUser(platform);
    const path = `/api/access/playback-progress/${items.public.id}`;
    const none = await h.call(path, 'GET', undefined, listener);
    expect(none.status).toBe(404);
    expect((await json(none)).error.code).toBe('PROGRESS_NOT_FOUND');

    const first = await h.call(
      path,
      'POST',
      { positionSeconds: 600.9, durationSeconds: 1799.2, completed: false },
      listener,
    );
    expect(first.status).toBe(200);
    expect(await json(first)).toMatchObject({ positionSeconds: 600, durationSeconds: 1800, completed: false });
    const rewind = await h.call(
      path,
      'POST',
      { positionSeconds: 12, durationSeconds: 1800, completed: false },
      listener,
    );
    expect(rewind.status).toBe(200);
    const resumed = await json(await h.call(path, 'GET', undefined, listener));
    expect(resumed).toMatchObject({
      contentId: items.public.id,
      positionSeconds: 12,
      durationSeconds: 1800,
      completed: false,
    });
    await h.call(path, 'POST', { positionSeconds: 1800, durationSeconds: 1800, completed: true }, listener);
    const rows = await platform.db.select().from(playbackProgress).where(eq(playbackProgress.userId, listener.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      positionSeconds: 1800,
      durationSeconds: 1800,
      completed: true,
      contentId: items.public.id,
    });
  });

  it('keeps concurrent first reports to one row', async () => {
    const listener = await registerUser(platform);
    const path = `/api/access/playback-progress/${items.public.id}`;
    const results = await Promise.all(
      [5, 10, 15, 20].map((p) =>
        h.call(path, 'POST', { positionSeconds: p, durationSeconds: 100, completed: false }, listener),
      ),
    );
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    const rows = await platform.db.select().from(playbackProgress).where(eq(playbackProgress.userId, listener.id));
    expect(rows).toHaveLength(1);
  });

  it('refuses a position past the duration with 422 INVALID_PROGRESS (a rule across two fields), saving nothing', async () => {
    const listener = await registerUser(platform);
    const res = await h.call(
      `/api/access/playback-progress/${items.public.id}`,
      'POST',
      { positionSeconds: 101, durationSeconds: 100, completed: false },
      listener,
    );
    expect(res.status).toBe(422);
    expect(await json(res)).toMatchObject({
      error: { code: 'INVALID_PROGRESS', details: { field: 'positionSeconds' } },
    });
    expect(
      await platform.db.select().from(playbackProgress).where(eq(playbackProgress.userId, listener.id)),
    ).toHaveLength(0);
  });

  it.each([
    ['a negative position', { positionSeconds: -1, durationSeconds: 100, completed: false }, 'positionSeconds'],
    ['a zero duration', { positionSeconds: 0, durationSeconds: 0, completed: false }, 'durationSeconds'],
    ['a missing completed', { positionSeconds: 1, durationSeconds: 100 }, 'completed'],
    ['a string position', { positionSeconds: '1', durationSeconds: 100, completed: false }, 'positionSeconds'],
    ['an unknown field', { positionSeconds: 1, durationSeconds: 100, completed: false, userId: UNKNOWN_ID }, 'userId'],
  ])('refuses %s with 400', async (_label, body, field) => {
    const listener = await registerUser(platform);
    const res = await h.call(`/api/access/playback-progress/${items.public.id}`, 'POST', body, listener);
    expect(res.status).toBe(400);
    expect((await json(res)).error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(
      await platform.db.select().from(playbackProgress).where(eq(playbackProgress.userId, listener.id)),
    ).toHaveLength(0);
  });

  it('404s unknown content', async () => {
    const res = await h.call(
      `/api/access/playback-progress/${UNKNOWN_ID}`,
      'POST',
      { positionSeconds: 1, durationSeconds: 2, completed: false },
      users.viewer,
    );
    expect(res.status).toBe(404);
  });
});
