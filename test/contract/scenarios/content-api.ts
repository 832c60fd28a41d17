/**
 * The content-api worker's operations: content, media (with the signed upload), streaming URLs and the signed
 * stream, playback progress. Generated negatives (400/413/415, 401 for protected operations) come on top; the
 * cases here cover success with its database effect and each refusal the contract documents. The worker's own
 * suites (workers/content-api/test) hold the full authorization matrix and the Range cases.
 */
import { content, contentAccess, idempotencyKeys, mediaItems, playbackProgress } from '@codex/database';
import { and, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import {
  type CheckedResponse,
  type Ctx,
  defineCase,
  defineScenarios,
  type RequestSpec,
  type TestUser,
} from '../harness/types';

const UNKNOWN_ID = '6f1c1c1e-7a0a-4c3b-9a55-1b7f3a1e0b11';
/** The body of the Idempotency-Key cases (the harness sends it as JSON.stringify gives it). */
const IDEM_MEDIA = { title: 'Keyed', mediaType: 'audio', mimeType: 'audio/mpeg', fileSizeBytes: 4096 };
const errorCode = (res: CheckedResponse) => (res.body as { error: { code: string } }).error.code;

interface Media {
  id: string;
  status: string;
}
interface Upload {
  url: string;
  headers: Record<string, string>;
}
interface Item {
  id: string;
  slug: string;
  status: string;
}

const slugOf = (ctx: Ctx) =>
  ctx
    .uid('ep')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-');
const fileOf = (size: number) => Uint8Array.from({ length: size }, (_, i) => i % 251);

async function createMedia(ctx: Ctx, user: TestUser, size = 100, extra: Record<string, unknown> = {}) {
  const res = await ctx.call('createMedia', {
    body: { title: 'Contract clip', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: size, ...extra },
    cookie: user.cookie,
  });
  expect(res.status).toBe(201);
  return res.body as { media: Media; upload: Upload };
}

/** The uploadMedia request for an upload URL: its path parameter, signed query and the headers it asks for. */
function uploadSpec(media: Media, upload: Upload, body: BodyInit, headers: Record<string, string> = {}): RequestSpec {
  const url = new URL(upload.url);
  return {
    params: { id: media.id },
    query: { expires: url.searchParams.get('expires') ?? '', signature: url.searchParams.get('signature') ?? '' },
    rawBody: body,
    headers: {
      'content-type': upload.headers['Content-Type'] ?? '',
      'content-length': upload.headers['Content-Length'] ?? '',
      ...headers,
    },
  };
}

async function readyMedia(ctx: Ctx, user: TestUser, size = 100, extra: Record<string, unknown> = {}) {
  const { media, upload } = await createMedia(ctx, user, size, extra);
  const put = await ctx.call('uploadMedia', uploadSpec(media, upload, fileOf(size)));
  expect(put.status).toBe(200);
  const ready = await ctx.call('updateMedia', {
    params: { id: media.id },
    body: { status: 'ready', durationSeconds: 30, width: 640, height: 360 },
    cookie: user.cookie,
  });
  expect(ready.status).toBe(200);
  return media;
}

async function createContent(ctx: Ctx, user: TestUser, fields: Record<string, unknown> = {}) {
  const res = await ctx.call('createContent', {
    body: { title: 'Contract episode', slug: slugOf(ctx), contentType: 'video', ...fields },
    cookie: user.cookie,
  });
  expect(res.status).toBe(201);
  return res.body as Item;
}

async function publishedContent(ctx: Ctx, user: TestUser, fields: Record<string, unknown> = {}) {
  const media = await readyMedia(ctx, user);
  const item = await createContent(ctx, user, { mediaItemId: media.id, ...fields });
  const res = await ctx.call('publishContent', { params: { id: item.id }, cookie: user.cookie });
  expect(res.status).toBe(200);
  return item;
}

async function streamingUrl(ctx: Ctx, user: TestUser, contentId: string) {
  const res = await ctx.call('getStreamingUrl', { params: { contentId }, cookie: user.cookie });
  expect(res.status).toBe(200);
  return new URL((res.body as { streamingUrl: string }).streamingUrl);
}

function streamSpec(url: URL, headers: Record<string, string> = {}): RequestSpec {
  return {
    params: { contentId: url.pathname.split('/').pop() ?? '' },
    query: Object.fromEntries(url.searchParams),
    headers,
  };
}

async function contentRow(ctx: Ctx, id: string) {
  return (await ctx.db.select().from(content).where(eq(content.id, id)))[0];
}

/** A 429 case for a signed-in operation: the caller's bucket is full (set up after any other preparation). */
function limitedCase<S>(prepare: (ctx: Ctx, user: TestUser) => Promise<S>, request: (s: S) => RequestSpec) {
  return defineCase({
    name: 'rate limited per user (100/min), with Retry-After',
    status: 429,
    localOnly: true,
    async setup(ctx) {
      const user = await ctx.freshUser();
      const state = await prepare(ctx, user);
      await ctx.exhaustUserRateLimit(user.id);
      return { user, state };
    },
    request: (_ctx, s) => ({ ...request(s.state), cookie: s.user.cookie }),
    assert: (_ctx, res) => {
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    },
  });
}

/** A 429 case for an operation called without a session: the IP's bucket is full. */
function ipLimitedCase<S>(prepare: (ctx: Ctx) => Promise<S>, request: (s: S) => RequestSpec) {
  return defineCase({
    name: 'rate limited per IP without a session',
    status: 429,
    localOnly: true,
    async setup(ctx) {
      const state = await prepare(ctx);
      const ip = ctx.ip();
      await ctx.exhaustRateLimits(ip);
      return { state, ip };
    },
    request: (_ctx, s) => {
      const spec = request(s.state);
      return { ...spec, headers: { ...spec.headers, 'cf-connecting-ip': s.ip } };
    },
  });
}

/** An owner with an organization and a plain member. */
async function orgWithMember(ctx: Ctx) {
  const [owner, member] = await Promise.all([ctx.freshUser(), ctx.freshUser()]);
  const org = await ctx.call('createOrganization', {
    body: { name: 'Contract Studio', slug: slugOf(ctx) },
    cookie: owner.cookie,
  });
  expect(org.status).toBe(201);
  const orgId = (org.body as { id: string }).id;
  const add = await ctx.call('addOrganizationMember', {
    params: { id: orgId },
    body: { userId: member.id },
    cookie: owner.cookie,
  });
  expect(add.status).toBe(201);
  return { owner, member, orgId };
}

const noop = async () => undefined;

export const contentScenarios = defineScenarios({
  // ------------------------------------------------------------------------------------------------------------------
  // Content
  // ------------------------------------------------------------------------------------------------------------------
  createContent: [
    defineCase({
      name: 'creates a draft on the caller’s ready media',
      status: 201,
      negativeBase: true,
      async setup(ctx) {
        const user = await ctx.freshUser();
        return { user, media: await readyMedia(ctx, user) };
      },
      request: (ctx, s) => ({
        body: {
          title: 'Pilot',
          slug: slugOf(ctx),
          contentType: 'video',
          mediaItemId: s.media.id,
          visibility: 'purchased_only',
          priceCents: 499,
        },
        cookie: s.user.cookie,
      }),
      async assert(ctx, res, s) {
        expect(res.body).toMatchObject({
          status: 'draft',
          creatorId: s.user.id,
          mediaItemId: s.media.id,
          priceCents: 499,
          currency: 'usd',
        });
        if (ctx.live) return;
        expect(await contentRow(ctx, (res.body as Item).id)).toMatchObject({ status: 'draft', creatorId: s.user.id });
      },
    }),
    defineCase({
      name: 'an organization where the caller is a plain member → 403',
      status: 403,
      setup: orgWithMember,
      request: (ctx, s) => ({
        body: { title: 'X', slug: slugOf(ctx), contentType: 'video', organizationId: s.orgId },
        cookie: s.member.cookie,
      }),
      assert: (_ctx, res) => expect(errorCode(res)).toBe('ORGANIZATION_ROLE_REQUIRED'),
    }),
    defineCase({
      name: 'another creator’s media → 404, exactly like an unknown id',
      status: 404,
      async setup(ctx) {
        const [owner, thief] = await Promise.all([ctx.freshUser(), ctx.freshUser()]);
        return { media: await readyMedia(ctx, owner), thief };
      },
      request: (ctx, s) => ({
        body: { title: 'X', slug: slugOf(ctx), contentType: 'video', mediaItemId: s.media.id },
        cookie: s.thief.cookie,
      }),
      assert: (_ctx, res) => expect(errorCode(res)).toBe('MEDIA_NOT_FOUND'),
    }),
    defineCase({
      name: 'a slug the creator already uses → 409',
      status: 409,
      async setup(ctx) {
        const user = await ctx.freshUser();
        return { user, item: await createContent(ctx, user) };
      },
      request: (_ctx, s) => ({
        body: { title: 'Again', slug: s.item.slug, contentType: 'video' },
        cookie: s.user.cookie,
      }),
      async assert(ctx, res, s) {
        expect(errorCode(res)).toBe('SLUG_TAKEN');
        if (ctx.live) return;
        expect(await ctx.db.select().from(content).where(eq(content.slug, s.item.slug))).toHaveLength(1);
      },
    }),
    defineCase({
      name: 'purchased_only without a price → 422',
      status: 422,
      setup: (ctx) => ctx.freshUser(),
      request: (ctx, user) => ({
        body: { title: 'X', slug: slugOf(ctx), contentType: 'video', visibility: 'purchased_only' },
        cookie: user.cookie,
      }),
      assert: (_ctx, res) => expect(errorCode(res)).toBe('PRICE_REQUIRED'),
    }),
    limitedCase(noop, () => ({ body: { title: 'X', slug: 'limited', contentType: 'video' } })),
  ],

  getContent: [
    defineCase({
      name: 'published content, to anyone',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        return publishedContent(ctx, await ctx.freshUser(), { visibility: 'purchased_only', priceCents: 250 });
      },
      request: (_ctx, item) => ({ params: { id: item.id } }),
      assert: (_ctx, res, item) =>
        expect(res.body).toMatchObject({ id: item.id, status: 'published', priceCents: 250, mediaItemId: null }),
    }),
    defineCase({
      name: 'someone else’s draft → 404',
      status: 404,
      async setup(ctx) {
        return { item: await createContent(ctx, await ctx.freshUser()), other: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { id: s.item.id }, cookie: s.other.cookie }),
      assert: (_ctx, res) => expect(errorCode(res)).toBe('CONTENT_NOT_FOUND'),
    }),
    ipLimitedCase(
      async () => undefined,
      () => ({ params: { id: UNKNOWN_ID } }),
    ),
  ],

  updateContent: [
    defineCase({
      name: 'changes only the fields sent',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        const user = await ctx.freshUser();
        return { user, item: await createContent(ctx, user, { description: 'keep' }) };
      },
      request: (_ctx, s) => ({ params: { id: s.item.id }, body: { title: 'Renamed' }, cookie: s.user.cookie }),
      async assert(ctx, res, s) {
        expect(res.body).toMatchObject({ title: 'Renamed', description: 'keep', slug: s.item.slug });
        if (ctx.live) return;
        expect(await contentRow(ctx, s.item.id)).toMatchObject({ title: 'Renamed', description: 'keep' });
      },
    }),
    defineCase({
      name: 'another user on published content → 403, nothing changes',
      status: 403,
      async setup(ctx) {
        return { item: await publishedContent(ctx, await ctx.freshUser()), other: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { id: s.item.id }, body: { title: 'Hijack' }, cookie: s.other.cookie }),
      async assert(ctx, res, s) {
        expect(errorCode(res)).toBe('NOT_CONTENT_OWNER');
        if (ctx.live) return;
        expect((await contentRow(ctx, s.item.id))?.title).toBe('Contract episode');
      },
    }),
    defineCase({
      name: 'another user on a draft → 404',
      status: 404,
      async setup(ctx) {
        return { item: await createContent(ctx, await ctx.freshUser()), other: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { id: s.item.id }, body: { title: 'Hijack' }, cookie: s.other.cookie }),
    }),
    defineCase({
      name: 'a slug the creator already uses → 409',
      status: 409,
      async setup(ctx) {
        const user = await ctx.freshUser();
        return { user, a: await createContent(ctx, user), b: await createContent(ctx, user) };
      },
      request: (_ctx, s) => ({ params: { id: s.b.id }, body: { slug: s.a.slug }, cookie: s.user.cookie }),
      assert: (_ctx, res) => expect(errorCode(res)).toBe('SLUG_TAKEN'),
    }),
    defineCase({
      name: 'clearing the price of purchased_only content → 422',
      status: 422,
      async setup(ctx) {
        const user = await ctx.freshUser();
        return { user, item: await createContent(ctx, user, { visibility: 'purchased_only', priceCents: 100 }) };
      },
      request: (_ctx, s) => ({ params: { id: s.item.id }, body: { priceCents: null }, cookie: s.user.cookie }),
      async assert(ctx, res, s) {
        expect(errorCode(res)).toBe('PRICE_REQUIRED');
        if (ctx.live) return;
        expect((await contentRow(ctx, s.item.id))?.priceCents).toBe(100);
      },
    }),
    limitedCase(
      (ctx, user) => createContent(ctx, user),
      (item) => ({ params: { id: item.id }, body: { title: 'X' } }),
    ),
  ],

  publishContent: [
    defineCase({
      name: 'publishes content whose media is ready',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        const user = await ctx.freshUser();
        const media = await readyMedia(ctx, user);
        return { user, item: await createContent(ctx, user, { mediaItemId: media.id }) };
      },
      request: (_ctx, s) => ({ params: { id: s.item.id }, cookie: s.user.cookie }),
      async assert(ctx, res, s) {
        expect(res.body).toMatchObject({ status: 'published' });
        if (ctx.live) return;
        expect((await contentRow(ctx, s.item.id))?.status).toBe('published');
      },
    }),
    defineCase({
      name: 'media still uploading → 422 MEDIA_NOT_READY with the media status',
      status: 422,
      async setup(ctx) {
        const user = await ctx.freshUser();
        const { media } = await createMedia(ctx, user);
        return { user, item: await createContent(ctx, user, { mediaItemId: media.id }) };
      },
      request: (_ctx, s) => ({ params: { id: s.item.id }, cookie: s.user.cookie }),
      async assert(ctx, res, s) {
        expect((res.body as { error: { code: string; details: unknown } }).error).toMatchObject({
          code: 'MEDIA_NOT_READY',
          details: { mediaStatus: 'uploading' },
        });
        if (ctx.live) return;
        expect((await contentRow(ctx, s.item.id))?.status).toBe('draft');
      },
    }),
    defineCase({
      name: 'another user on published content → 403',
      status: 403,
      async setup(ctx) {
        return { item: await publishedContent(ctx, await ctx.freshUser()), other: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { id: s.item.id }, cookie: s.other.cookie }),
    }),
    defineCase({
      name: 'unknown content → 404',
      status: 404,
      setup: (ctx) => ctx.freshUser(),
      request: (_ctx, user) => ({ params: { id: UNKNOWN_ID }, cookie: user.cookie }),
    }),
    limitedCase(
      (ctx, user) => createContent(ctx, user),
      (item) => ({ params: { id: item.id } }),
    ),
  ],

  unpublishContent: [
    defineCase({
      name: 'back to a draft',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        const user = await ctx.freshUser();
        return { user, item: await publishedContent(ctx, user) };
      },
      request: (_ctx, s) => ({ params: { id: s.item.id }, cookie: s.user.cookie }),
      async assert(ctx, res, s) {
        expect(res.body).toMatchObject({ status: 'draft', publishedAt: null });
        if (ctx.live) return;
        expect((await contentRow(ctx, s.item.id))?.status).toBe('draft');
      },
    }),
    defineCase({
      name: 'another user on published content → 403',
      status: 403,
      async setup(ctx) {
        return { item: await publishedContent(ctx, await ctx.freshUser()), other: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { id: s.item.id }, cookie: s.other.cookie }),
      async assert(ctx, _res, s) {
        if (ctx.live) return;
        expect((await contentRow(ctx, s.item.id))?.status).toBe('published');
      },
    }),
    defineCase({
      name: 'unknown content → 404',
      status: 404,
      setup: (ctx) => ctx.freshUser(),
      request: (_ctx, user) => ({ params: { id: UNKNOWN_ID }, cookie: user.cookie }),
    }),
    limitedCase(
      (ctx, user) => createContent(ctx, user),
      (item) => ({ params: { id: item.id } }),
    ),
  ],

  deleteContent: [
    defineCase({
      name: 'soft-deletes for the creator',
      status: 204,
      negativeBase: true,
      async setup(ctx) {
        const user = await ctx.freshUser();
        return { user, item: await createContent(ctx, user) };
      },
      request: (_ctx, s) => ({ params: { id: s.item.id }, cookie: s.user.cookie }),
      async assert(ctx, _res, s) {
        if (ctx.live) return;
        expect((await contentRow(ctx, s.item.id))?.deletedAt).toBeInstanceOf(Date);
      },
    }),
    defineCase({
      name: 'another user on published content → 403',
      status: 403,
      async setup(ctx) {
        return { item: await publishedContent(ctx, await ctx.freshUser()), other: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { id: s.item.id }, cookie: s.other.cookie }),
      async assert(ctx, _res, s) {
        if (ctx.live) return;
        expect((await contentRow(ctx, s.item.id))?.deletedAt).toBeNull();
      },
    }),
    defineCase({
      name: 'unknown content → 404',
      status: 404,
      setup: (ctx) => ctx.freshUser(),
      request: (_ctx, user) => ({ params: { id: UNKNOWN_ID }, cookie: user.cookie }),
    }),
    limitedCase(
      (ctx, user) => createContent(ctx, user),
      (item) => ({ params: { id: item.id } }),
    ),
  ],

  listCreatorContent: [
    defineCase({
      name: 'published content of a creator, paginated, to anyone',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        const user = await ctx.freshUser();
        const published = await publishedContent(ctx, user);
        await createContent(ctx, user);
        return { user, published };
      },
      request: (_ctx, s) => ({
        params: { creatorId: s.user.id },
        query: { page: 1, limit: 10, sort: 'createdAt', order: 'desc' },
      }),
      assert: (_ctx, res, s) => {
        const body = res.body as { items: Item[]; pagination: { total: number } };
        expect(body.items.map((i) => i.id)).toEqual([s.published.id]);
        expect(body.pagination).toMatchObject({ page: 1, limit: 10, total: 1, totalPages: 1 });
      },
    }),
    ipLimitedCase(
      async () => undefined,
      () => ({ params: { creatorId: UNKNOWN_ID } }),
    ),
  ],

  // ------------------------------------------------------------------------------------------------------------------
  // Media
  // ------------------------------------------------------------------------------------------------------------------
  createMedia: [
    defineCase({
      name: 'creates the item in uploading with a signed upload URL',
      status: 201,
      negativeBase: true,
      setup: (ctx) => ctx.freshUser(),
      request: (_ctx, user) => ({
        body: { title: 'Raw', mediaType: 'audio', mimeType: 'audio/mpeg', fileSizeBytes: 4096 },
        cookie: user.cookie,
      }),
      async assert(ctx, res, user) {
        const body = res.body as { media: Media; upload: Upload & { method: string } };
        expect(body.media).toMatchObject({ status: 'uploading', creatorId: user.id, fileSizeBytes: 4096 });
        expect(body.upload).toMatchObject({
          method: 'PUT',
          headers: { 'Content-Type': 'audio/mpeg', 'Content-Length': '4096' },
        });
        // The storage key (media/<creator>/<media>/original) is never returned.
        expect(res.text).not.toContain(`media/${user.id}/`);
        if (ctx.live) return;
        const [row] = await ctx.db.select().from(mediaItems).where(eq(mediaItems.id, body.media.id));
        expect(row?.storageKey).toBe(`media/${user.id}/${body.media.id}/original`);
      },
    }),
    defineCase({
      name: 'for an organization where the caller is a plain member → 403',
      status: 403,
      setup: orgWithMember,
      request: (_ctx, s) => ({
        body: { title: 'X', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 1, organizationId: s.orgId },
        cookie: s.member.cookie,
      }),
    }),
    defineCase({
      name: 'for an unknown organization → 404',
      status: 404,
      setup: (ctx) => ctx.freshUser(),
      request: (_ctx, user) => ({
        body: { title: 'X', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 1, organizationId: UNKNOWN_ID },
        cookie: user.cookie,
      }),
    }),
    limitedCase(noop, () => ({ body: { title: 'X', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 1 } })),
    defineCase({
      name: 'the same Idempotency-Key and body again: the first answer, marked as a replay; one row',
      status: 201,
      async setup(ctx) {
        const user = await ctx.freshUser();
        const key = `idem-${ctx.uid()}`;
        const first = await ctx.call('createMedia', {
          body: IDEM_MEDIA,
          headers: { 'Idempotency-Key': key },
          cookie: user.cookie,
        });
        expect(first.status).toBe(201);
        return { user, key, first: first.body as { media: Media } };
      },
      request: (_ctx, s) => ({ body: IDEM_MEDIA, headers: { 'Idempotency-Key': s.key }, cookie: s.user.cookie }),
      async assert(ctx, res, s) {
        expect(res.headers.get('idempotent-replayed')).toBe('true');
        expect(res.body).toEqual(s.first);
        if (ctx.live) return;
        expect(await ctx.db.select().from(mediaItems).where(eq(mediaItems.creatorId, s.user.id))).toHaveLength(1);
      },
    }),
    defineCase({
      name: 'the same Idempotency-Key with another body → 422 IDEMPOTENCY_KEY_REUSED, nothing created',
      status: 422,
      async setup(ctx) {
        const user = await ctx.freshUser();
        const key = `idem-${ctx.uid()}`;
        const first = await ctx.call('createMedia', {
          body: IDEM_MEDIA,
          headers: { 'Idempotency-Key': key },
          cookie: user.cookie,
        });
        expect(first.status).toBe(201);
        return { user, key };
      },
      request: (_ctx, s) => ({
        body: { ...IDEM_MEDIA, fileSizeBytes: 4097 },
        headers: { 'Idempotency-Key': s.key },
        cookie: s.user.cookie,
      }),
      async assert(ctx, res, s) {
        expect(errorCode(res)).toBe('IDEMPOTENCY_KEY_REUSED');
        if (ctx.live) return;
        expect(await ctx.db.select().from(mediaItems).where(eq(mediaItems.creatorId, s.user.id))).toHaveLength(1);
      },
    }),
    defineCase({
      name: 'while the first request with the key runs → 409 IDEMPOTENCY_KEY_IN_PROGRESS with Retry-After',
      status: 409,
      localOnly: true,
      async setup(ctx) {
        const user = await ctx.freshUser();
        const key = `idem-${ctx.uid()}`;
        // The claim a request with this key, path and body holds while its handler runs.
        const hex = async (v: string) =>
          Buffer.from(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(v))).toString('hex');
        const requestHash = await hex(`createMedia\nPOST /api/media\n${await hex(JSON.stringify(IDEM_MEDIA))}`);
        await ctx.db.insert(idempotencyKeys).values({
          userId: user.id,
          key,
          operation: 'createMedia',
          requestHash,
          expiresAt: new Date(Date.now() + 3_600_000),
        });
        return { user, key };
      },
      request: (_ctx, s) => ({ body: IDEM_MEDIA, headers: { 'Idempotency-Key': s.key }, cookie: s.user.cookie }),
      async assert(ctx, res, s) {
        expect(errorCode(res)).toBe('IDEMPOTENCY_KEY_IN_PROGRESS');
        expect(res.headers.get('retry-after')).toBe('1');
        expect(await ctx.db.select().from(mediaItems).where(eq(mediaItems.creatorId, s.user.id))).toHaveLength(0);
      },
    }),
  ],

  uploadMedia: [
    defineCase({
      name: 'stores the bytes and moves the media to transcoding',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        const user = await ctx.freshUser();
        return { user, ...(await createMedia(ctx, user, 2000)) };
      },
      request: (_ctx, s) => uploadSpec(s.media, s.upload, fileOf(2000)),
      async assert(ctx, res, s) {
        expect(res.body).toMatchObject({ id: s.media.id, status: 'transcoding' });
        if (ctx.live) return;
        const [row] = await ctx.db.select().from(mediaItems).where(eq(mediaItems.id, s.media.id));
        expect(row?.uploadedAt).toBeInstanceOf(Date);
        expect((await ctx.platform.bucket.head(row?.storageKey ?? ''))?.size).toBe(2000);
      },
    }),
    defineCase({
      name: 'a tampered signature → 403',
      status: 403,
      setup: async (ctx) => createMedia(ctx, await ctx.freshUser()),
      request: (_ctx, s) => {
        const spec = uploadSpec(s.media, s.upload, fileOf(100));
        const sig = String(spec.query?.signature ?? '');
        return { ...spec, query: { ...spec.query, signature: (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1) } };
      },
      assert: (_ctx, res) => expect(errorCode(res)).toBe('INVALID_SIGNATURE'),
    }),
    defineCase({
      name: 'a second upload → 409',
      status: 409,
      async setup(ctx) {
        const s = await createMedia(ctx, await ctx.freshUser());
        expect((await ctx.call('uploadMedia', uploadSpec(s.media, s.upload, fileOf(100)))).status).toBe(200);
        return s;
      },
      request: (_ctx, s) => uploadSpec(s.media, s.upload, fileOf(100)),
      assert: (_ctx, res) => expect(errorCode(res)).toBe('ALREADY_UPLOADED'),
    }),
    defineCase({
      name: 'no Content-Length (a streamed body) → 411',
      status: 411,
      localOnly: true,
      setup: async (ctx) => createMedia(ctx, await ctx.freshUser()),
      request: (_ctx, s) => {
        const spec = uploadSpec(s.media, s.upload, fileOf(100));
        const headers = { ...spec.headers };
        delete headers['content-length'];
        return { ...spec, headers };
      },
      assert: (_ctx, res) => expect(errorCode(res)).toBe('LENGTH_REQUIRED'),
    }),
    defineCase({
      name: 'a Content-Length over the 5 GiB maximum → 413',
      status: 413,
      localOnly: true,
      setup: async (ctx) => createMedia(ctx, await ctx.freshUser()),
      request: (_ctx, s) => uploadSpec(s.media, s.upload, fileOf(100), { 'content-length': String(5 * 1024 ** 3 + 1) }),
    }),
    defineCase({
      name: 'a Content-Type other than the declared mimeType → 415, media unchanged',
      status: 415,
      setup: async (ctx) => createMedia(ctx, await ctx.freshUser()),
      request: (_ctx, s) => uploadSpec(s.media, s.upload, fileOf(100), { 'content-type': 'video/webm' }),
      async assert(ctx, res, s) {
        expect(errorCode(res)).toBe('CONTENT_TYPE_MISMATCH');
        if (ctx.live) return;
        const [row] = await ctx.db.select().from(mediaItems).where(eq(mediaItems.id, s.media.id));
        expect(row?.status).toBe('uploading');
      },
    }),
    defineCase({
      name: 'a body of another size than declared → 422, media unchanged',
      status: 422,
      setup: async (ctx) => createMedia(ctx, await ctx.freshUser()),
      request: (_ctx, s) => uploadSpec(s.media, s.upload, fileOf(99), { 'content-length': '99' }),
      async assert(ctx, res, s) {
        expect(errorCode(res)).toBe('SIZE_MISMATCH');
        if (ctx.live) return;
        const [row] = await ctx.db.select().from(mediaItems).where(eq(mediaItems.id, s.media.id));
        expect(row?.status).toBe('uploading');
      },
    }),
    ipLimitedCase(
      async (ctx) => createMedia(ctx, await ctx.freshUser()),
      (s) => uploadSpec(s.media, s.upload, fileOf(100)),
    ),
  ],

  getMedia: [
    defineCase({
      name: 'the creator’s media item',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        const user = await ctx.freshUser();
        return { user, ...(await createMedia(ctx, user)) };
      },
      request: (_ctx, s) => ({ params: { id: s.media.id }, cookie: s.user.cookie }),
      assert: (_ctx, res, s) => expect(res.body).toMatchObject({ id: s.media.id, status: 'uploading' }),
    }),
    defineCase({
      name: 'someone else’s media → 404',
      status: 404,
      async setup(ctx) {
        return { ...(await createMedia(ctx, await ctx.freshUser())), other: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { id: s.media.id }, cookie: s.other.cookie }),
      assert: (_ctx, res) => expect(errorCode(res)).toBe('MEDIA_NOT_FOUND'),
    }),
    limitedCase(
      (ctx, user) => createMedia(ctx, user),
      (s) => ({ params: { id: s.media.id } }),
    ),
  ],

  updateMedia: [
    defineCase({
      name: 'reports the transcoding result: transcoding → ready',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        const user = await ctx.freshUser();
        const s = await createMedia(ctx, user);
        expect((await ctx.call('uploadMedia', uploadSpec(s.media, s.upload, fileOf(100)))).status).toBe(200);
        return { user, media: s.media };
      },
      request: (_ctx, s) => ({
        params: { id: s.media.id },
        body: { status: 'ready', durationSeconds: 12, width: 1280, height: 720, hlsMasterKey: 'hls/master.m3u8' },
        cookie: s.user.cookie,
      }),
      async assert(ctx, res, s) {
        expect(res.body).toMatchObject({ status: 'ready', durationSeconds: 12, hasHls: true });
        if (ctx.live) return;
        const [row] = await ctx.db.select().from(mediaItems).where(eq(mediaItems.id, s.media.id));
        expect(row).toMatchObject({
          status: 'ready',
          hlsMasterKey: `media/${s.user.id}/${s.media.id}/hls/master.m3u8`,
        });
      },
    }),
    defineCase({
      name: 'skipping the upload (uploading → ready) → 422 INVALID_TRANSITION',
      status: 422,
      async setup(ctx) {
        const user = await ctx.freshUser();
        return { user, ...(await createMedia(ctx, user)) };
      },
      request: (_ctx, s) => ({
        params: { id: s.media.id },
        body: { status: 'ready', durationSeconds: 1, width: 1, height: 1 },
        cookie: s.user.cookie,
      }),
      async assert(ctx, res, s) {
        expect(errorCode(res)).toBe('INVALID_TRANSITION');
        if (ctx.live) return;
        const [row] = await ctx.db.select().from(mediaItems).where(eq(mediaItems.id, s.media.id));
        expect(row?.status).toBe('uploading');
      },
    }),
    defineCase({
      name: 'someone else’s media → 404',
      status: 404,
      async setup(ctx) {
        return { ...(await createMedia(ctx, await ctx.freshUser())), other: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { id: s.media.id }, body: { title: 'Hijack' }, cookie: s.other.cookie }),
    }),
    limitedCase(
      (ctx, user) => createMedia(ctx, user),
      (s) => ({ params: { id: s.media.id }, body: { title: 'X' } }),
    ),
  ],

  // ------------------------------------------------------------------------------------------------------------------
  // Access
  // ------------------------------------------------------------------------------------------------------------------
  getStreamingUrl: [
    defineCase({
      name: 'a signed URL for a buyer of purchased_only content',
      status: 200,
      async setup(ctx) {
        const item = await publishedContent(ctx, await ctx.freshUser(), {
          visibility: 'purchased_only',
          priceCents: 300,
        });
        const buyer = await ctx.freshUser();
        await ctx.db.insert(contentAccess).values({ userId: buyer.id, contentId: item.id, accessType: 'purchase' });
        return { item, buyer };
      },
      localOnly: true,
      request: (_ctx, s) => ({ params: { contentId: s.item.id }, query: { ttlSeconds: 600 }, cookie: s.buyer.cookie }),
      assert: (_ctx, res, s) => {
        const body = res.body as { streamingUrl: string; expiresAt: string };
        expect(new URL(body.streamingUrl).pathname).toBe(`/api/access/stream/${s.item.id}`);
        expect(Date.parse(body.expiresAt) - Date.now()).toBeLessThanOrEqual(600_000);
      },
    }),
    defineCase({
      name: 'public content, to any signed-in user',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        return { item: await publishedContent(ctx, await ctx.freshUser()), viewer: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { contentId: s.item.id }, cookie: s.viewer.cookie }),
    }),
    defineCase({
      name: 'purchased_only without a purchase → 403 NO_PURCHASE',
      status: 403,
      async setup(ctx) {
        const item = await publishedContent(ctx, await ctx.freshUser(), {
          visibility: 'purchased_only',
          priceCents: 300,
        });
        return { item, viewer: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { contentId: s.item.id }, cookie: s.viewer.cookie }),
      assert: (_ctx, res) => expect(errorCode(res)).toBe('NO_PURCHASE'),
    }),
    defineCase({
      name: 'members_only for a non-member → 403 NOT_A_MEMBER',
      status: 403,
      async setup(ctx) {
        const { owner, orgId } = await orgWithMember(ctx);
        const item = await publishedContent(ctx, owner, { visibility: 'members_only', organizationId: orgId });
        return { item, outsider: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { contentId: s.item.id }, cookie: s.outsider.cookie }),
      assert: (_ctx, res) => expect(errorCode(res)).toBe('NOT_A_MEMBER'),
    }),
    defineCase({
      name: 'someone else’s draft → 404',
      status: 404,
      async setup(ctx) {
        return { item: await createContent(ctx, await ctx.freshUser()), viewer: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { contentId: s.item.id }, cookie: s.viewer.cookie }),
    }),
    defineCase({
      name: 'the creator’s draft whose media is not ready → 422 MEDIA_NOT_READY',
      status: 422,
      async setup(ctx) {
        const user = await ctx.freshUser();
        const { media } = await createMedia(ctx, user);
        return { user, item: await createContent(ctx, user, { mediaItemId: media.id }) };
      },
      request: (_ctx, s) => ({ params: { contentId: s.item.id }, cookie: s.user.cookie }),
      assert: (_ctx, res) => expect(errorCode(res)).toBe('MEDIA_NOT_READY'),
    }),
    limitedCase(
      (ctx, user) => publishedContent(ctx, user),
      (item) => ({ params: { contentId: item.id } }),
    ),
  ],

  streamContent: [
    defineCase({
      name: 'ready media whose file is missing from storage → 404 MEDIA_FILE_MISSING (nothing internal leaks)',
      status: 404,
      localOnly: true,
      async setup(ctx) {
        const item = await publishedContent(ctx, await ctx.freshUser());
        const url = await streamingUrl(ctx, await ctx.freshUser(), item.id);
        const [row] = await ctx.db
          .select({ key: mediaItems.storageKey })
          .from(mediaItems)
          .innerJoin(content, eq(content.mediaItemId, mediaItems.id))
          .where(eq(content.id, item.id));
        await ctx.platform.bucket.delete(row?.key ?? '');
        return { url, key: row?.key ?? '' };
      },
      request: (_ctx, s) => streamSpec(s.url),
      assert: (_ctx, res, s) => {
        expect((res.body as { error: { code: string } }).error.code).toBe('MEDIA_FILE_MISSING');
        expect(res.text).not.toContain(s.key);
      },
    }),
    defineCase({
      name: 'the whole file with its type and Accept-Ranges',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        const item = await publishedContent(ctx, await ctx.freshUser());
        return streamingUrl(ctx, await ctx.freshUser(), item.id);
      },
      request: (_ctx, url) => streamSpec(url),
      assert: (_ctx, res) => {
        expect(res.contentType).toBe('video/mp4');
        expect(res.headers.get('accept-ranges')).toBe('bytes');
        expect(res.headers.get('content-length')).toBe('100');
      },
    }),
    defineCase({
      name: 'a byte range → 206 with Content-Range',
      status: 206,
      async setup(ctx) {
        const item = await publishedContent(ctx, await ctx.freshUser());
        return streamingUrl(ctx, await ctx.freshUser(), item.id);
      },
      request: (_ctx, url) => streamSpec(url, { range: 'bytes=-10' }),
      assert: (_ctx, res) => {
        expect(res.headers.get('content-range')).toBe('bytes 90-99/100');
        expect(res.headers.get('content-length')).toBe('10');
      },
    }),
    defineCase({
      name: 'a tampered URL (another user) → 403',
      status: 403,
      async setup(ctx) {
        const item = await publishedContent(ctx, await ctx.freshUser());
        return { url: await streamingUrl(ctx, await ctx.freshUser(), item.id), other: await ctx.freshUser() };
      },
      request: (_ctx, s) => {
        const url = new URL(s.url);
        url.searchParams.set('uid', s.other.id);
        return streamSpec(url);
      },
      assert: (_ctx, res) => expect(errorCode(res)).toBe('INVALID_SIGNATURE'),
    }),
    defineCase({
      name: 'a range past the end → 416 with Content-Range: bytes */size',
      status: 416,
      async setup(ctx) {
        const item = await publishedContent(ctx, await ctx.freshUser());
        return streamingUrl(ctx, await ctx.freshUser(), item.id);
      },
      request: (_ctx, url) => streamSpec(url, { range: 'bytes=100-' }),
      assert: (_ctx, res) => expect(res.headers.get('content-range')).toBe('bytes */100'),
    }),
  ],

  savePlaybackProgress: [
    defineCase({
      name: 'a position after the end → 422 INVALID_PROGRESS, nothing saved',
      status: 422,
      async setup(ctx) {
        return { item: await publishedContent(ctx, await ctx.freshUser()), viewer: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({
        params: { contentId: s.item.id },
        body: { positionSeconds: 121, durationSeconds: 120, completed: false },
        cookie: s.viewer.cookie,
      }),
      async assert(ctx, res, s) {
        expect((res.body as { error: { code: string } }).error.code).toBe('INVALID_PROGRESS');
        if (ctx.live) return;
        const rows = await ctx.db.select().from(playbackProgress).where(eq(playbackProgress.userId, s.viewer.id));
        expect(rows).toHaveLength(0);
      },
    }),
    defineCase({
      name: 'saves the position (one row per user and content)',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        return { item: await publishedContent(ctx, await ctx.freshUser()), viewer: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({
        params: { contentId: s.item.id },
        body: { positionSeconds: 42.7, durationSeconds: 120, completed: false },
        cookie: s.viewer.cookie,
      }),
      async assert(ctx, res, s) {
        expect(res.body).toMatchObject({
          contentId: s.item.id,
          positionSeconds: 42,
          durationSeconds: 120,
          completed: false,
        });
        if (ctx.live) return;
        const rows = await ctx.db
          .select()
          .from(playbackProgress)
          .where(and(eq(playbackProgress.userId, s.viewer.id), eq(playbackProgress.contentId, s.item.id)));
        expect(rows).toHaveLength(1);
      },
    }),
    defineCase({
      name: 'purchased_only without a purchase → 403',
      status: 403,
      async setup(ctx) {
        const item = await publishedContent(ctx, await ctx.freshUser(), {
          visibility: 'purchased_only',
          priceCents: 300,
        });
        return { item, viewer: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({
        params: { contentId: s.item.id },
        body: { positionSeconds: 1, durationSeconds: 2, completed: false },
        cookie: s.viewer.cookie,
      }),
    }),
    defineCase({
      name: 'unknown content → 404',
      status: 404,
      setup: (ctx) => ctx.freshUser(),
      request: (_ctx, user) => ({
        params: { contentId: UNKNOWN_ID },
        body: { positionSeconds: 1, durationSeconds: 2, completed: false },
        cookie: user.cookie,
      }),
    }),
    limitedCase(
      (ctx, user) => publishedContent(ctx, user),
      (item) => ({
        params: { contentId: item.id },
        body: { positionSeconds: 1, durationSeconds: 2, completed: false },
      }),
    ),
  ],

  getPlaybackProgress: [
    defineCase({
      name: 'the saved position, to resume',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        const item = await publishedContent(ctx, await ctx.freshUser());
        const viewer = await ctx.freshUser();
        const saved = await ctx.call('savePlaybackProgress', {
          params: { contentId: item.id },
          body: { positionSeconds: 10, durationSeconds: 20, completed: false },
          cookie: viewer.cookie,
        });
        expect(saved.status).toBe(200);
        return { item, viewer };
      },
      request: (_ctx, s) => ({ params: { contentId: s.item.id }, cookie: s.viewer.cookie }),
      assert: (_ctx, res) => expect(res.body).toMatchObject({ positionSeconds: 10, durationSeconds: 20 }),
    }),
    defineCase({
      name: 'nothing saved yet → 404',
      status: 404,
      async setup(ctx) {
        return { item: await publishedContent(ctx, await ctx.freshUser()), viewer: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { contentId: s.item.id }, cookie: s.viewer.cookie }),
      assert: (_ctx, res) => expect(errorCode(res)).toBe('PROGRESS_NOT_FOUND'),
    }),
    defineCase({
      name: 'members_only for a non-member → 403',
      status: 403,
      async setup(ctx) {
        const { owner, orgId } = await orgWithMember(ctx);
        const item = await publishedContent(ctx, owner, { visibility: 'members_only', organizationId: orgId });
        return { item, outsider: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ params: { contentId: s.item.id }, cookie: s.outsider.cookie }),
    }),
    limitedCase(
      (ctx, user) => publishedContent(ctx, user),
      (item) => ({ params: { contentId: item.id } }),
    ),
  ],
});
