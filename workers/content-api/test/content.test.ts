import { content } from '@codex/database';
import type { LocalPlatform } from '@codex/local';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { api, json, registerUser, startPlatform, type TestUser, UNKNOWN_ID, uid } from './helpers';

let platform: LocalPlatform;
let h: ReturnType<typeof api>;
let owner: TestUser;
let other: TestUser;

beforeAll(async () => {
  platform = await startPlatform();
  h = api(platform);
  other = await registerUser(platform, { name: 'Oscar Other' });
});

// A fresh owner per test keeps each one well under the API rate limit (100 requests a minute per user).
beforeEach(async () => {
  owner = await registerUser(platform, { name: 'Olive Owner' });
});

afterAll(async () => {
  await platform?.close();
});

const contentRow = async (id: string) => (await platform.db.select().from(content).where(eq(content.id, id)))[0];
const contentBySlug = (slug: string) => platform.db.select().from(content).where(eq(content.slug, slug));

describe('POST /api/content', () => {
  it('creates a draft with the caller as creator', async () => {
    const media = await h.readyMedia(owner);
    const slug = `first-${uid()}`;
    const res = await h.call(
      '/api/content',
      'POST',
      {
        title: 'First',
        slug,
        description: 'About',
        contentType: 'video',
        mediaItemId: media.id,
        visibility: 'purchased_only',
        priceCents: 499,
      },
      owner,
    );
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toMatchObject({
      creatorId: owner.id,
      organizationId: null,
      mediaItemId: media.id,
      title: 'First',
      slug,
      description: 'About',
      contentType: 'video',
      visibility: 'purchased_only',
      priceCents: 499,
      currency: 'usd',
      status: 'draft',
      publishedAt: null,
    });
    expect(await contentRow(body.id)).toMatchObject({
      creatorId: owner.id,
      status: 'draft',
      priceCents: 499,
      mediaItemId: media.id,
    });
  });

  it('defaults to public and allows content without media yet', async () => {
    const item = await h.createContent(owner);
    expect(await contentRow(item.id)).toMatchObject({ visibility: 'public', mediaItemId: null, status: 'draft' });
  });

  it.each([
    ['a slug with capitals', { slug: 'Bad-Slug' }, 'slug'],
    ['a slug with spaces', { slug: 'bad slug' }, 'slug'],
    ['a long title', { title: 'x'.repeat(256) }, 'title'],
    ['an unknown contentType', { contentType: 'image' }, 'contentType'],
    ['an unknown visibility', { visibility: 'secret' }, 'visibility'],
    ['a price of 0', { visibility: 'purchased_only', priceCents: 0 }, 'priceCents'],
    ['a negative price', { priceCents: -100 }, 'priceCents'],
    ['a fractional price', { priceCents: 4.99 }, 'priceCents'],
    ['a malformed mediaItemId', { mediaItemId: 'abc' }, 'mediaItemId'],
    ['a server-owned status', { status: 'published' }, 'status'],
    ['a server-owned creatorId', { creatorId: UNKNOWN_ID }, 'creatorId'],
  ])('refuses %s with 400 naming the field, writing nothing', async (_label, fields, field) => {
    const slug = `refused-${uid()}`;
    const res = await h.call('/api/content', 'POST', { title: 'X', slug, contentType: 'video', ...fields }, owner);
    expect(res.status).toBe(400);
    expect((await json(res)).error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await contentBySlug(slug)).toHaveLength(0);
  });

  it.each([
    ['purchased_only without a price', { visibility: 'purchased_only' }, 'PRICE_REQUIRED'],
    ['members_only without an organization', { visibility: 'members_only' }, 'ORGANIZATION_REQUIRED'],
  ])('refuses %s with 422', async (_label, fields, code) => {
    const slug = `rule-${uid()}`;
    const res = await h.call('/api/content', 'POST', { title: 'X', slug, contentType: 'video', ...fields }, owner);
    expect(res.status).toBe(422);
    expect((await json(res)).error.code).toBe(code);
    expect(await contentBySlug(slug)).toHaveLength(0);
  });

  it("refuses another creator's media with the same 404 as an unknown id, and a type mismatch with 422", async () => {
    const theirs = await h.readyMedia(other);
    for (const id of [theirs.id, UNKNOWN_ID]) {
      const res = await h.call(
        '/api/content',
        'POST',
        { title: 'X', slug: `steal-${uid()}`, contentType: 'video', mediaItemId: id },
        owner,
      );
      expect(res.status).toBe(404);
      expect((await json(res)).error).toMatchObject({ code: 'MEDIA_NOT_FOUND', message: 'Media not found' });
    }
    const audio = await h.readyMedia(owner, { mediaType: 'audio' });
    const mismatch = await h.call(
      '/api/content',
      'POST',
      { title: 'X', slug: `mm-${uid()}`, contentType: 'video', mediaItemId: audio.id },
      owner,
    );
    expect(mismatch.status).toBe(422);
    expect((await json(mismatch)).error.code).toBe('MEDIA_TYPE_MISMATCH');
  });

  it('keeps slugs unique per creator among live content (409), and frees them on delete', async () => {
    const slug = `dup-${uid()}`;
    const first = await h.createContent(owner, { slug });
    const dup = await h.call('/api/content', 'POST', { title: 'Again', slug, contentType: 'video' }, owner);
    expect(dup.status).toBe(409);
    expect((await json(dup)).error).toMatchObject({ code: 'SLUG_TAKEN', details: { field: 'slug' } });
    // Another creator may use the same slug.
    await h.createContent(other, { slug });
    expect((await h.call(`/api/content/${first.id}`, 'DELETE', undefined, owner)).status).toBe(204);
    await h.createContent(owner, { slug });
    expect(await contentBySlug(slug)).toHaveLength(3);
  });

  it('gives exactly one 201 for concurrent creates of one slug', async () => {
    const slug = `race-${uid()}`;
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        h.call('/api/content', 'POST', { title: 'Race', slug, contentType: 'video' }, owner),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect(await contentBySlug(slug)).toHaveLength(1);
  });

  it('creates organization content for owners/admins, with organization media, slugs unique per organization', async () => {
    const org = await h.createOrg(owner);
    const admin = await registerUser(platform);
    const member = await registerUser(platform);
    await h.addMember(org.id, owner, admin, 'admin');
    await h.addMember(org.id, owner, member);
    const orgMedia = await h.readyMedia(owner, { organizationId: org.id });
    const slug = `org-${uid()}`;
    // An admin may use the organization's media (created by the owner).
    const byAdmin = await h.createContent(admin, {
      slug,
      organizationId: org.id,
      mediaItemId: orgMedia.id,
      visibility: 'members_only',
    });
    expect(await contentRow(byAdmin.id)).toMatchObject({
      organizationId: org.id,
      creatorId: admin.id,
      mediaItemId: orgMedia.id,
    });
    // The organization's slug is taken, also for the owner; personal content may reuse it.
    const dup = await h.call(
      '/api/content',
      'POST',
      { title: 'X', slug, contentType: 'video', organizationId: org.id },
      owner,
    );
    expect(dup.status).toBe(409);
    await h.createContent(admin, { slug });
    // Plain members and outsiders cannot publish there.
    for (const user of [member, other]) {
      const res = await h.call(
        '/api/content',
        'POST',
        { title: 'X', slug: `no-${uid()}`, contentType: 'video', organizationId: org.id },
        user,
      );
      expect(res.status).toBe(403);
      expect((await json(res)).error.code).toBe('ORGANIZATION_ROLE_REQUIRED');
    }
    expect(
      (
        await h.call(
          '/api/content',
          'POST',
          { title: 'X', slug: `no-${uid()}`, contentType: 'video', organizationId: UNKNOWN_ID },
          owner,
        )
      ).status,
    ).toBe(404);
    // Organization media cannot be used for personal content of someone else.
    const personal = await h.call(
      '/api/content',
      'POST',
      { title: 'X', slug: `p-${uid()}`, contentType: 'video', mediaItemId: orgMedia.id },
      admin,
    );
    expect(personal.status).toBe(404);
  });

  it('needs a session', async () => {
    const slug = `anon-${uid()}`;
    expect((await h.call('/api/content', 'POST', { title: 'X', slug, contentType: 'video' })).status).toBe(401);
    expect(await contentBySlug(slug)).toHaveLength(0);
  });
});

describe('GET /api/content/{id}', () => {
  it('shows drafts to the owner only and published content to everyone, without the media id', async () => {
    const draft = await h.createContent(owner);
    expect((await h.call(`/api/content/${draft.id}`, 'GET', undefined, owner)).status).toBe(200);
    for (const user of [other, undefined]) {
      const res = await h.call(`/api/content/${draft.id}`, 'GET', undefined, user);
      expect(res.status).toBe(404);
      expect((await json(res)).error.code).toBe('CONTENT_NOT_FOUND');
    }
    const paid = await h.publishedContent(owner, {
      visibility: 'purchased_only',
      priceCents: 999,
      description: 'Buy me',
    });
    for (const user of [other, undefined]) {
      const res = await h.call(`/api/content/${paid.id}`, 'GET', undefined, user);
      expect(res.status).toBe(200);
      expect(await json(res)).toMatchObject({
        id: paid.id,
        status: 'published',
        visibility: 'purchased_only',
        priceCents: 999,
        description: 'Buy me',
        mediaItemId: null,
      });
    }
    const mine = await json(await h.call(`/api/content/${paid.id}`, 'GET', undefined, owner));
    expect(mine.mediaItemId).toBe(paid.mediaId);
    expect((await h.call(`/api/content/${UNKNOWN_ID}`)).status).toBe(404);
    const bad = await h.call('/api/content/not-a-uuid');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.details[0].field).toBe('id');
  });
});

describe('PATCH /api/content/{id}', () => {
  it('changes only the fields sent and re-checks the rules on the result', async () => {
    const item = await h.createContent(owner, {
      description: 'keep me',
      visibility: 'purchased_only',
      priceCents: 100,
    });
    const res = await h.call(`/api/content/${item.id}`, 'PATCH', { title: 'Renamed' }, owner);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      title: 'Renamed',
      description: 'keep me',
      priceCents: 100,
      slug: item.slug,
    });
    // Clearing the price of purchased_only content breaks the rule.
    const noPrice = await h.call(`/api/content/${item.id}`, 'PATCH', { priceCents: null }, owner);
    expect(noPrice.status).toBe(422);
    expect((await json(noPrice)).error.code).toBe('PRICE_REQUIRED');
    // members_only needs an organization, which personal content has not.
    const members = await h.call(`/api/content/${item.id}`, 'PATCH', { visibility: 'members_only' }, owner);
    expect(members.status).toBe(422);
    expect((await json(members)).error.code).toBe('ORGANIZATION_REQUIRED');
    // Going public with the price cleared is fine.
    const pub = await h.call(`/api/content/${item.id}`, 'PATCH', { visibility: 'public', priceCents: null }, owner);
    expect(pub.status).toBe(200);
    expect(await contentRow(item.id)).toMatchObject({
      title: 'Renamed',
      visibility: 'public',
      priceCents: null,
      description: 'keep me',
    });
  });

  it('refuses a taken slug, foreign media, a type mismatch and unknown or server-owned fields', async () => {
    const a = await h.createContent(owner);
    const b = await h.createContent(owner);
    const taken = await h.call(`/api/content/${b.id}`, 'PATCH', { slug: a.slug }, owner);
    expect(taken.status).toBe(409);
    const theirs = await h.readyMedia(other);
    expect((await h.call(`/api/content/${b.id}`, 'PATCH', { mediaItemId: theirs.id }, owner)).status).toBe(404);
    const audio = await h.readyMedia(owner, { mediaType: 'audio' });
    expect((await h.call(`/api/content/${b.id}`, 'PATCH', { mediaItemId: audio.id }, owner)).status).toBe(422);
    for (const body of [{ status: 'published' }, { creatorId: other.id }, { organizationId: UNKNOWN_ID }, {}]) {
      expect((await h.call(`/api/content/${b.id}`, 'PATCH', body, owner)).status).toBe(400);
    }
    // Switching type and media together is fine.
    const ok = await h.call(`/api/content/${b.id}`, 'PATCH', { contentType: 'audio', mediaItemId: audio.id }, owner);
    expect(ok.status).toBe(200);
    expect(await contentRow(b.id)).toMatchObject({ contentType: 'audio', mediaItemId: audio.id, slug: b.slug });
  });

  it('keeps published content on ready media', async () => {
    const item = await h.publishedContent(owner);
    const notReady = await h.createMedia(owner);
    const res = await h.call(`/api/content/${item.id}`, 'PATCH', { mediaItemId: notReady.media.id }, owner);
    expect(res.status).toBe(422);
    expect((await json(res)).error.code).toBe('MEDIA_NOT_READY');
    const none = await h.call(`/api/content/${item.id}`, 'PATCH', { mediaItemId: null }, owner);
    expect(none.status).toBe(422);
    expect((await json(none)).error.code).toBe('MEDIA_REQUIRED');
    expect((await contentRow(item.id))?.mediaItemId).toBe(item.mediaId);
  });

  it('refuses other users: 403 on published content, 404 on a draft they cannot see', async () => {
    const published = await h.publishedContent(owner);
    const draft = await h.createContent(owner);
    const p = await h.call(`/api/content/${published.id}`, 'PATCH', { title: 'Hijack' }, other);
    expect(p.status).toBe(403);
    expect((await json(p)).error.code).toBe('NOT_CONTENT_OWNER');
    expect((await h.call(`/api/content/${draft.id}`, 'PATCH', { title: 'Hijack' }, other)).status).toBe(404);
    expect((await h.call(`/api/content/${draft.id}`, 'PATCH', { title: 'Hijack' })).status).toBe(401);
    expect((await contentRow(published.id))?.title).toBe('Episode');
    expect((await contentRow(draft.id))?.title).toBe('Episode');
  });
});

describe('publish, unpublish, delete', () => {
  it('publishes only with ready media, giving the reason', async () => {
    const item = await h.createContent(owner);
    const noMedia = await h.call(`/api/content/${item.id}/publish`, 'POST', undefined, owner);
    expect(noMedia.status).toBe(422);
    expect((await json(noMedia)).error.code).toBe('MEDIA_REQUIRED');

    const { media, upload } = await h.createMedia(owner, { fileSizeBytes: 10 });
    await h.call(`/api/content/${item.id}`, 'PATCH', { mediaItemId: media.id }, owner);
    const uploading = await h.call(`/api/content/${item.id}/publish`, 'POST', undefined, owner);
    expect(uploading.status).toBe(422);
    expect((await json(uploading)).error).toMatchObject({
      code: 'MEDIA_NOT_READY',
      details: { mediaStatus: 'uploading' },
    });
    await h.upload(upload, new Uint8Array(10));
    const transcoding = await h.call(`/api/content/${item.id}/publish`, 'POST', undefined, owner);
    expect((await json(transcoding)).error).toMatchObject({
      code: 'MEDIA_NOT_READY',
      details: { mediaStatus: 'transcoding' },
    });
    expect((await contentRow(item.id))?.status).toBe('draft');

    await h.markReady(owner, media.id);
    const ok = await h.call(`/api/content/${item.id}/publish`, 'POST', undefined, owner);
    expect(ok.status).toBe(200);
    const body = await json(ok);
    expect(body.status).toBe('published');
    expect(Date.parse(body.publishedAt)).toBeGreaterThan(Date.now() - 60_000);
    // Idempotent.
    const again = await h.call(`/api/content/${item.id}/publish`, 'POST', undefined, owner);
    expect((await json(again)).publishedAt).toBe(body.publishedAt);
    expect((await contentRow(item.id))?.status).toBe('published');
  });

  it('refuses a failed media with its status', async () => {
    const item = await h.createContent(owner);
    const { media, upload } = await h.createMedia(owner, { fileSizeBytes: 10 });
    await h.upload(upload, new Uint8Array(10));
    await h.call(`/api/media/${media.id}`, 'PATCH', { status: 'failed' }, owner);
    await h.call(`/api/content/${item.id}`, 'PATCH', { mediaItemId: media.id }, owner);
    const res = await h.call(`/api/content/${item.id}/publish`, 'POST', undefined, owner);
    expect(res.status).toBe(422);
    expect((await json(res)).error).toMatchObject({ code: 'MEDIA_NOT_READY', details: { mediaStatus: 'failed' } });
  });

  it('unpublishes back to a draft that others no longer see', async () => {
    const item = await h.publishedContent(owner);
    expect((await h.call(`/api/content/${item.id}`, 'GET', undefined, other)).status).toBe(200);
    expect((await h.call(`/api/content/${item.id}/unpublish`, 'POST', undefined, other)).status).toBe(403);
    const res = await h.call(`/api/content/${item.id}/unpublish`, 'POST', undefined, owner);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: 'draft', publishedAt: null });
    expect((await h.call(`/api/content/${item.id}`, 'GET', undefined, other)).status).toBe(404);
    expect((await h.call(`/api/content/${item.id}/unpublish`, 'POST', undefined, other)).status).toBe(404);
    expect(await contentRow(item.id)).toMatchObject({ status: 'draft', publishedAt: null });
  });

  it('re-checks the organization role when publishing organization content', async () => {
    const org = await h.createOrg(owner);
    const admin = await registerUser(platform);
    await h.addMember(org.id, owner, admin, 'admin');
    const media = await h.readyMedia(admin, { organizationId: org.id });
    const item = await h.createContent(admin, { organizationId: org.id, mediaItemId: media.id });
    // Demoted before publishing: refused at once. A draft of the organization is visible to its managers only, so
    // for the demoted admin it no longer exists (404), although they created it.
    expect(
      (await h.identity(`/api/organizations/${org.id}/members/${admin.id}`, 'PATCH', { role: 'member' }, owner)).status,
    ).toBe(200);
    const res = await h.call(`/api/content/${item.id}/publish`, 'POST', undefined, admin);
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('CONTENT_NOT_FOUND');
    expect((await contentRow(item.id))?.status).toBe('draft');
    // The owner still manages it.
    expect((await h.call(`/api/content/${item.id}/publish`, 'POST', undefined, owner)).status).toBe(200);
  });

  it('soft-deletes for the owner only', async () => {
    const item = await h.publishedContent(owner);
    expect((await h.call(`/api/content/${item.id}`, 'DELETE', undefined, other)).status).toBe(403);
    expect((await h.call(`/api/content/${item.id}`, 'DELETE')).status).toBe(401);
    expect((await contentRow(item.id))?.deletedAt).toBeNull();
    expect((await h.call(`/api/content/${item.id}`, 'DELETE', undefined, owner)).status).toBe(204);
    expect((await contentRow(item.id))?.deletedAt).toBeInstanceOf(Date);
    for (const user of [owner, other])
      expect((await h.call(`/api/content/${item.id}`, 'GET', undefined, user)).status).toBe(404);
    expect((await h.call(`/api/content/${item.id}`, 'DELETE', undefined, owner)).status).toBe(404);
    expect((await h.call(`/api/content/${item.id}/publish`, 'POST', undefined, owner)).status).toBe(404);
  });
});

describe('GET /api/content/{creatorId}/list', () => {
  it('shows the owner drafts too, others published only; filters, sorts and paginates', async () => {
    const creator = await registerUser(platform);
    const a = await h.publishedContent(creator, { title: 'Bravo' });
    const b = await h.publishedContent(creator, { title: 'Alpha', visibility: 'purchased_only', priceCents: 300 });
    const audioMedia = await h.readyMedia(creator, { mediaType: 'audio' });
    const c = await h.createContent(creator, { title: 'Charlie', contentType: 'audio', mediaItemId: audioMedia.id });
    const deleted = await h.createContent(creator, { title: 'Deleted' });
    await h.call(`/api/content/${deleted.id}`, 'DELETE', undefined, creator);
    await h.createContent(other, { title: 'Not theirs' });

    const list = (query: string, user?: TestUser) =>
      h.call(`/api/content/${creator.id}/list${query}`, 'GET', undefined, user);

    const mine = await json(await list('?sort=title&order=asc', creator));
    expect(mine.items.map((i: { title: string }) => i.title)).toEqual(['Alpha', 'Bravo', 'Charlie']);
    expect(mine.pagination).toEqual({ page: 1, limit: 20, total: 3, totalPages: 1 });
    expect(mine.items[0].mediaItemId).toBe(b.mediaId);

    for (const user of [other, undefined]) {
      const theirs = await json(await list('?sort=title&order=asc', user));
      expect(theirs.items.map((i: { id: string }) => i.id)).toEqual([b.id, a.id]);
      expect(theirs.items.every((i: { mediaItemId: string | null }) => i.mediaItemId === null)).toBe(true);
      // Asking for drafts does not reveal them.
      expect((await json(await list('?status=draft', user))).items).toEqual([]);
    }

    expect((await json(await list('?status=draft', creator))).items.map((i: { id: string }) => i.id)).toEqual([c.id]);
    expect((await json(await list('?contentType=audio', creator))).items.map((i: { id: string }) => i.id)).toEqual([
      c.id,
    ]);
    expect(
      (await json(await list('?visibility=purchased_only', other))).items.map((i: { id: string }) => i.id),
    ).toEqual([b.id]);
    // publishedAt: newest first, drafts last.
    expect(
      (await json(await list('?sort=publishedAt&order=desc', creator))).items.map((i: { id: string }) => i.id),
    ).toEqual([b.id, a.id, c.id]);

    const page2 = await json(await list('?sort=title&order=asc&limit=2&page=2', creator));
    expect(page2.items.map((i: { title: string }) => i.title)).toEqual(['Charlie']);
    expect(page2.pagination).toEqual({ page: 2, limit: 2, total: 3, totalPages: 2 });
    // A page past the end has no row to carry the total: it is counted on its own.
    const past = await json(await list('?sort=title&order=asc&limit=2&page=5', creator));
    expect(past).toEqual({ items: [], pagination: { page: 5, limit: 2, total: 3, totalPages: 2 } });

    expect((await json(await list('', other))).pagination.total).toBe(2);
    const unknown = await h.call(`/api/content/${UNKNOWN_ID}/list`);
    expect(unknown.status).toBe(200);
    expect(await json(unknown)).toEqual({ items: [], pagination: { page: 1, limit: 20, total: 0, totalPages: 0 } });
    for (const q of ['?limit=101', '?sort=password', '?status=secret', '?page=0']) {
      expect((await list(q, creator)).status, q).toBe(400);
    }
    // Unknown query parameters are ignored (the contract's stated policy): tracking parameters break nothing.
    const tracked = await list('?utm_source=newsletter&limit=1', creator);
    expect(tracked.status).toBe(200);
    expect((await json(tracked)).pagination.limit).toBe(1);
    expect((await h.call('/api/content/not-a-uuid/list')).status).toBe(400);
  });
});

describe('list query count', () => {
  // Embedded mode only: the test counts the statements PGlite runs (the worker shares the platform's instance).
  it.skipIf(Boolean(process.env.DATABASE_URL))('runs one query whatever the page size (two past the end)', async () => {
    const creator = await registerUser(platform);
    for (let i = 0; i < 6; i++) await h.createContent(creator);
    const client = (platform.db as unknown as { $client: { query: (...args: unknown[]) => Promise<unknown> } }).$client;
    const spy = vi.spyOn(client, 'query');
    try {
      // The first call resolves the session through the auth worker and caches it in KV; the counted calls hit the cache.
      expect((await h.call(`/api/content/${creator.id}/list`, 'GET', undefined, creator)).status).toBe(200);
      const counts: number[] = [];
      const sizes: number[] = [];
      for (const query of ['limit=1', 'limit=3', 'limit=50', 'limit=50&page=2']) {
        spy.mockClear();
        const res = await h.call(`/api/content/${creator.id}/list?${query}`, 'GET', undefined, creator);
        expect(res.status).toBe(200);
        counts.push(spy.mock.calls.length);
        const body = await json(res);
        sizes.push(body.items.length);
        expect(body.pagination.total).toBe(6);
      }
      expect(sizes).toEqual([1, 3, 6, 0]);
      expect(counts).toEqual([1, 1, 1, 2]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('rate limit', () => {
  it('limits signed-in callers to 100 requests a minute on content routes, with Retry-After', async () => {
    const busy = await registerUser(platform);
    const item = await h.createContent(busy);
    const statuses: number[] = [];
    for (let i = 0; i < 100; i++)
      statuses.push((await h.call(`/api/content/${item.id}`, 'GET', undefined, busy)).status);
    // The create was the first of the 100.
    expect(statuses.filter((s) => s === 200).length).toBe(99);
    expect(statuses.at(-1)).toBe(429);
    const res = await h.call(`/api/content/${item.id}`, 'PATCH', { title: 'More' }, busy);
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.get('x-ratelimit-limit')).toBe('100');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect((await json(res)).error.code).toBe('RATE_LIMITED');
    // Other users are unaffected.
    expect((await h.call(`/api/content/${item.id}`, 'GET', undefined, other)).status).toBe(404);
  });
});
