import { MEDIA_MAX_BYTES } from '@codex/contract';
import { mediaItems } from '@codex/database';
import type { LocalPlatform } from '@codex/local';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import contentApp from '../src/index';
import { api, bytesOf, json, registerUser, startPlatform, type TestUser, UNKNOWN_ID } from './helpers';

let platform: LocalPlatform;
let h: ReturnType<typeof api>;
let owner: TestUser;
let other: TestUser;

beforeAll(async () => {
  platform = await startPlatform();
  h = api(platform);
  other = await registerUser(platform, { name: 'Ozzy Other' });
});

// A fresh owner per test keeps each one well under the API rate limit (100 requests a minute per user).
beforeEach(async () => {
  owner = await registerUser(platform, { name: 'Mo Media' });
});

afterAll(async () => {
  await platform?.close();
});

const mediaRow = async (id: string) => (await platform.db.select().from(mediaItems).where(eq(mediaItems.id, id)))[0];

describe('POST /api/media', () => {
  it('creates the item in uploading with a server-chosen key and a signed 15-minute upload URL', async () => {
    const res = await h.call(
      '/api/media',
      'POST',
      { title: 'Raw cut', description: 'v1', mediaType: 'audio', mimeType: 'audio/ogg', fileSizeBytes: 2048 },
      owner,
    );
    expect(res.status).toBe(201);
    const { media, upload } = await json(res);
    expect(media).toMatchObject({
      creatorId: owner.id,
      organizationId: null,
      title: 'Raw cut',
      description: 'v1',
      mediaType: 'audio',
      mimeType: 'audio/ogg',
      fileSizeBytes: 2048,
      status: 'uploading',
      uploadedAt: null,
      hasHls: false,
    });
    const url = new URL(upload.url);
    expect(url.pathname).toBe(`/api/media/${media.id}/upload`);
    expect(url.searchParams.get('signature')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(upload.method).toBe('PUT');
    expect(upload.headers).toEqual({ 'Content-Type': 'audio/ogg', 'Content-Length': '2048' });
    const ttl = Date.parse(upload.expiresAt) - Date.now();
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
    // No storage key in the response; the one in the database is ours.
    expect(JSON.stringify(media)).not.toContain('media/');
    const row = await mediaRow(media.id);
    expect(row).toMatchObject({
      storageKey: `media/${owner.id}/${media.id}/original`,
      status: 'uploading',
      creatorId: owner.id,
    });
  });

  it.each([
    ['a mimeType of the other media type', { mimeType: 'audio/mpeg' }, 'mimeType'],
    ['a mimeType off the allow-list', { mimeType: 'application/x-msdownload' }, 'mimeType'],
    ['an unknown mediaType', { mediaType: 'image' }, 'mediaType'],
    ['a size of 0', { fileSizeBytes: 0 }, 'fileSizeBytes'],
    ['a size over 5 GiB', { fileSizeBytes: MEDIA_MAX_BYTES + 1 }, 'fileSizeBytes'],
    ['a fractional size', { fileSizeBytes: 10.5 }, 'fileSizeBytes'],
    ['an empty title', { title: '' }, 'title'],
    ['a client-chosen storage key', { storageKey: 'media/victim/x/original' }, 'storageKey'],
    ['a client-chosen status', { status: 'ready' }, 'status'],
    ['a client-chosen creatorId', { creatorId: UNKNOWN_ID }, 'creatorId'],
  ])('refuses %s with 400 naming the field, writing nothing', async (_label, fields, field) => {
    const title = `refused-${Math.random()}`;
    const res = await h.call(
      '/api/media',
      'POST',
      { title, mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 10, ...fields },
      owner,
    );
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe('VALIDATION_ERROR');
    expect(body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    const rows = await platform.db
      .select()
      .from(mediaItems)
      .where(eq(mediaItems.title, (fields as { title?: string }).title ?? title));
    expect(rows).toHaveLength(0);
  });

  it('accepts the 5 GiB maximum', async () => {
    const { media } = await h.createMedia(owner, { fileSizeBytes: MEDIA_MAX_BYTES });
    expect((await mediaRow(media.id))?.fileSizeBytes).toBe(MEDIA_MAX_BYTES);
  });

  it('needs a session, JSON and a body under 1 MiB', async () => {
    expect(
      (await h.call('/api/media', 'POST', { title: 'x', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 1 }))
        .status,
    ).toBe(401);
    const text = await platform.request('content-api', '/api/media', {
      method: 'POST',
      headers: { cookie: owner.cookie, 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(text.status).toBe(415);
    expect((await json(text)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const big = await h.call(
      '/api/media',
      'POST',
      { title: 'x'.repeat(1024 * 1024 + 10), mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 1 },
      owner,
    );
    expect(big.status).toBe(413);
    const malformed = await platform.request('content-api', '/api/media', {
      method: 'POST',
      headers: { cookie: owner.cookie, 'content-type': 'application/json' },
      body: '{"title":',
    });
    expect(malformed.status).toBe(400);
  });

  it('creates organization media for owners and admins only', async () => {
    const org = await h.createOrg(owner);
    const admin = await registerUser(platform);
    const member = await registerUser(platform);
    await h.addMember(org.id, owner, admin, 'admin');
    await h.addMember(org.id, owner, member, 'member');
    const asAdmin = await h.createMedia(admin, { organizationId: org.id });
    expect(asAdmin.media).toMatchObject({ organizationId: org.id, creatorId: admin.id });
    for (const [user, status, code] of [
      [member, 403, 'ORGANIZATION_ROLE_REQUIRED'],
      [other, 403, 'ORGANIZATION_ROLE_REQUIRED'],
    ] as const) {
      const res = await h.call(
        '/api/media',
        'POST',
        { title: 'org', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 5, organizationId: org.id },
        user,
      );
      expect(res.status).toBe(status);
      expect((await json(res)).error.code).toBe(code);
    }
    const unknown = await h.call(
      '/api/media',
      'POST',
      { title: 'org', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 5, organizationId: UNKNOWN_ID },
      owner,
    );
    expect(unknown.status).toBe(404);
    const rows = await platform.db.select().from(mediaItems).where(eq(mediaItems.organizationId, org.id));
    expect(rows.map((r) => r.creatorId)).toEqual([admin.id]);
  });
});

describe('PUT /api/media/{id}/upload', () => {
  it('streams the body into R2 and moves the media to transcoding', async () => {
    const { media, upload } = await h.createMedia(owner, { fileSizeBytes: 70_000 });
    const body = bytesOf(70_000);
    const res = await h.upload(upload, body);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ id: media.id, status: 'transcoding' });
    const row = await mediaRow(media.id);
    expect(row?.status).toBe('transcoding');
    expect(row?.uploadedAt).toBeInstanceOf(Date);
    const object = await platform.bucket.get(`media/${owner.id}/${media.id}/original`);
    expect(object?.size).toBe(70_000);
    expect(object?.httpMetadata?.contentType).toBe('video/mp4');
    expect(new Uint8Array(await (object as R2ObjectBody).arrayBuffer())).toEqual(body);
  });

  it('accepts a streamed (chunked) body of the declared length', async () => {
    const { media, upload } = await h.createMedia(owner, { fileSizeBytes: 300_000 });
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent >= 300_000) return c.close();
        const n = Math.min(64 * 1024, 300_000 - sent);
        c.enqueue(bytesOf(n, sent));
        sent += n;
      },
    });
    const url = new URL(upload.url);
    const res = await platform.request('content-api', url.pathname + url.search, {
      method: 'PUT',
      headers: { 'content-type': 'video/mp4', 'content-length': '300000' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    const object = await platform.bucket.get(`media/${owner.id}/${media.id}/original`);
    expect(new Uint8Array(await (object as R2ObjectBody).arrayBuffer())).toEqual(bytesOf(300_000));
  });

  /** Each refusal leaves the row in uploading, without uploadedAt, and nothing in the bucket. */
  async function expectUntouched(mediaId: string) {
    const row = await mediaRow(mediaId);
    expect(row).toMatchObject({ status: 'uploading', uploadedAt: null });
    expect(await platform.bucket.head(`media/${owner.id}/${mediaId}/original`)).toBeNull();
  }

  it('refuses a Content-Length different from the declared size (422), DB unchanged', async () => {
    const { media, upload } = await h.createMedia(owner, { fileSizeBytes: 1000 });
    const res = await h.upload(upload, bytesOf(999), { 'content-length': '999' });
    expect(res.status).toBe(422);
    expect((await json(res)).error).toMatchObject({ code: 'SIZE_MISMATCH', details: { expected: 1000 } });
    await expectUntouched(media.id);
  });

  it('refuses a body shorter than its Content-Length (422), DB unchanged', async () => {
    const { media, upload } = await h.createMedia(owner, { fileSizeBytes: 1000 });
    const res = await h.upload(upload, bytesOf(500));
    expect(res.status).toBe(422);
    expect((await json(res)).error.code).toBe('SIZE_MISMATCH');
    await expectUntouched(media.id);
  });

  it('refuses a body longer than its Content-Length (422), DB unchanged', async () => {
    const { media, upload } = await h.createMedia(owner, { fileSizeBytes: 1000 });
    const res = await h.upload(upload, bytesOf(1500));
    expect(res.status).toBe(422);
    await expectUntouched(media.id);
  });

  it('refuses a Content-Type different from the declared mimeType (415), DB unchanged', async () => {
    const { media, upload } = await h.createMedia(owner, { fileSizeBytes: 100 });
    for (const type of ['video/webm', 'application/octet-stream', 'application/json']) {
      const res = await h.upload(upload, bytesOf(100), { 'content-type': type });
      expect(res.status).toBe(415);
      expect((await json(res)).error.code).toBe('CONTENT_TYPE_MISMATCH');
    }
    const none = await h.upload(upload, bytesOf(100), { 'content-type': null });
    expect(none.status).toBe(415);
    await expectUntouched(media.id);
    // Parameters and case are tolerated.
    const ok = await h.upload(upload, bytesOf(100), { 'content-type': 'Video/MP4; codecs="avc1"' });
    expect(ok.status).toBe(200);
  });

  it('needs a Content-Length (411) and refuses one over the maximum (413)', async () => {
    const { media, upload } = await h.createMedia(owner, { fileSizeBytes: 100 });
    const none = await h.upload(upload, bytesOf(100), { 'content-length': null });
    expect(none.status).toBe(411);
    expect((await json(none)).error.code).toBe('LENGTH_REQUIRED');
    const huge = await h.upload(upload, bytesOf(100), { 'content-length': String(MEDIA_MAX_BYTES + 1) });
    expect(huge.status).toBe(413);
    await expectUntouched(media.id);
  });

  it('refuses tampered, foreign and expired URLs with 403', async () => {
    const { media, upload } = await h.createMedia(owner, { fileSizeBytes: 100 });
    const theirs = await h.createMedia(other, { fileSizeBytes: 100 });
    const url = new URL(upload.url);
    const variants: Array<[string, string]> = [];
    const later = new URL(url);
    later.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    variants.push(['later expiry', later.pathname + later.search]);
    const flipped = new URL(url);
    const sig = url.searchParams.get('signature') ?? '';
    flipped.searchParams.set('signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    variants.push(['flipped signature', flipped.pathname + flipped.search]);
    const garbage = new URL(url);
    garbage.searchParams.set('signature', 'not-a-real-signature');
    variants.push(['garbage signature', garbage.pathname + garbage.search]);
    // The signature of one media item does not open another.
    const swapped = new URL(url);
    swapped.pathname = `/api/media/${theirs.media.id}/upload`;
    variants.push(['other media id', swapped.pathname + swapped.search]);
    variants.push(['unknown media id', `/api/media/${UNKNOWN_ID}/upload${url.search}`]);
    for (const [label, path] of variants) {
      const res = await platform.request('content-api', path, {
        method: 'PUT',
        headers: { 'content-type': 'video/mp4', 'content-length': '100' },
        body: bytesOf(100),
      });
      expect(res.status, label).toBe(403);
      expect((await json(res)).error.code, label).toBe('INVALID_SIGNATURE');
    }
    await expectUntouched(media.id);
    expect((await mediaRow(theirs.media.id))?.status).toBe('uploading');

    vi.useFakeTimers({ now: Date.now() + 16 * 60_000, toFake: ['Date'] });
    try {
      const expired = await h.upload(upload, bytesOf(100));
      expect(expired.status).toBe(403);
      expect((await json(expired)).error.code).toBe('URL_EXPIRED');
    } finally {
      vi.useRealTimers();
    }
    await expectUntouched(media.id);
  });

  it('refuses a second upload (replay) with 409', async () => {
    const { upload } = await h.createMedia(owner, { fileSizeBytes: 10 });
    expect((await h.upload(upload, bytesOf(10))).status).toBe(200);
    const again = await h.upload(upload, bytesOf(10, 5));
    expect(again.status).toBe(409);
    expect((await json(again)).error.code).toBe('ALREADY_UPLOADED');
  });

  it('400s a missing or malformed signature query', async () => {
    const { media } = await h.createMedia(owner, { fileSizeBytes: 10 });
    for (const q of ['', '?expires=abc&signature=x', '?expires=1']) {
      const res = await platform.request('content-api', `/api/media/${media.id}/upload${q}`, {
        method: 'PUT',
        headers: { 'content-type': 'video/mp4', 'content-length': '10' },
        body: bytesOf(10),
      });
      expect(res.status).toBe(400);
      expect((await json(res)).error.code).toBe('VALIDATION_ERROR');
    }
  });
});

describe('GET and PATCH /api/media/{id}', () => {
  it('is private to its creator: 404 for anyone else, 401 anonymous', async () => {
    const { media } = await h.createMedia(owner);
    const mine = await h.call(`/api/media/${media.id}`, 'GET', undefined, owner);
    expect(mine.status).toBe(200);
    expect((await json(mine)).id).toBe(media.id);
    const theirs = await h.call(`/api/media/${media.id}`, 'GET', undefined, other);
    expect(theirs.status).toBe(404);
    expect((await json(theirs)).error.code).toBe('MEDIA_NOT_FOUND');
    expect((await h.call(`/api/media/${UNKNOWN_ID}`, 'GET', undefined, other)).status).toBe(404);
    expect((await h.call(`/api/media/${media.id}`)).status).toBe(401);
    expect((await h.call('/api/media/not-a-uuid', 'GET', undefined, owner)).status).toBe(400);
    const patch = await h.call(`/api/media/${media.id}`, 'PATCH', { title: 'Hijacked' }, other);
    expect(patch.status).toBe(404);
    expect((await mediaRow(media.id))?.title).toBe('Clip');
  });

  it('changes only the fields sent', async () => {
    const { media } = await h.createMedia(owner, { description: 'keep' });
    const res = await h.call(`/api/media/${media.id}`, 'PATCH', { title: 'Renamed' }, owner);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ title: 'Renamed', description: 'keep', status: 'uploading' });
    expect(await mediaRow(media.id)).toMatchObject({ title: 'Renamed', description: 'keep' });
  });

  it('walks uploading → transcoding → ready only in order (422 INVALID_TRANSITION otherwise)', async () => {
    const { media, upload } = await h.createMedia(owner, { fileSizeBytes: 10 });
    // The client cannot drive the upload step or skip it: only ready and failed can be reported (the contract says
    // so: other statuses are a 400), and only once the upload moved the media to transcoding (else 422).
    for (const status of ['ready', 'failed']) {
      const body = status === 'ready' ? { status, durationSeconds: 1, width: 2, height: 2 } : { status };
      const res = await h.call(`/api/media/${media.id}`, 'PATCH', body, owner);
      expect(res.status, status).toBe(422);
      expect((await json(res)).error).toMatchObject({
        code: 'INVALID_TRANSITION',
        details: { from: 'uploading', to: status },
      });
    }
    for (const status of ['uploading', 'transcoding']) {
      const res = await h.call(`/api/media/${media.id}`, 'PATCH', { status }, owner);
      expect(res.status, status).toBe(400);
      expect((await json(res)).error.details.map((d: { field: string }) => d.field)).toContain('status');
    }
    expect((await mediaRow(media.id))?.status).toBe('uploading');
    await h.upload(upload, bytesOf(10));
    // ready needs the results.
    const missing = await h.call(`/api/media/${media.id}`, 'PATCH', { status: 'ready', durationSeconds: 10 }, owner);
    expect(missing.status).toBe(422);
    expect((await json(missing)).error).toMatchObject({
      code: 'TRANSCODING_RESULTS_REQUIRED',
      details: { missing: ['width', 'height'] },
    });
    expect((await mediaRow(media.id))?.status).toBe('transcoding');
    const ready = await h.call(
      `/api/media/${media.id}`,
      'PATCH',
      { status: 'ready', durationSeconds: 10, width: 640, height: 360, thumbnailKey: 'thumbs/poster.jpg' },
      owner,
    );
    expect(ready.status).toBe(200);
    expect(await json(ready)).toMatchObject({
      status: 'ready',
      durationSeconds: 10,
      width: 640,
      height: 360,
      hasThumbnail: true,
      hasHls: false,
    });
    const row = await mediaRow(media.id);
    expect(row?.thumbnailKey).toBe(`media/${owner.id}/${media.id}/thumbs/poster.jpg`);
    // ready is final.
    for (const status of ['failed', 'ready']) {
      const body = status === 'ready' ? { status, durationSeconds: 1, width: 2, height: 2 } : { status };
      const res = await h.call(`/api/media/${media.id}`, 'PATCH', body, owner);
      expect(res.status).toBe(422);
      expect((await json(res)).error.code).toBe('INVALID_TRANSITION');
    }
    expect((await mediaRow(media.id))?.durationSeconds).toBe(10);
  });

  it('records a failure with its reason; failed is final', async () => {
    const { media, upload } = await h.createMedia(owner, { fileSizeBytes: 10 });
    await h.upload(upload, bytesOf(10));
    const res = await h.call(
      `/api/media/${media.id}`,
      'PATCH',
      { status: 'failed', failureReason: 'unsupported codec' },
      owner,
    );
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({ status: 'failed', failureReason: 'unsupported codec' });
    expect(
      (
        await h.call(
          `/api/media/${media.id}`,
          'PATCH',
          { status: 'ready', durationSeconds: 1, width: 1, height: 1 },
          owner,
        )
      ).status,
    ).toBe(422);
    expect((await mediaRow(media.id))?.status).toBe('failed');
  });

  it('checks audio results and the shape of the patch', async () => {
    const { media, upload } = await h.createMedia(owner, {
      fileSizeBytes: 10,
      mediaType: 'audio',
      mimeType: 'audio/wav',
    });
    await h.upload(upload, bytesOf(10), { 'content-type': 'audio/wav' });
    const withSize = await h.call(
      `/api/media/${media.id}`,
      'PATCH',
      { status: 'ready', durationSeconds: 5, width: 10, height: 10 },
      owner,
    );
    expect(withSize.status).toBe(422);
    expect((await json(withSize)).error.code).toBe('INVALID_TRANSCODING_RESULTS');
    for (const [body, field] of [
      [{ durationSeconds: 5 }, 'durationSeconds'],
      [{ failureReason: 'x' }, 'failureReason'],
      [{ status: 'ready', durationSeconds: 5, hlsMasterKey: '../../other/original' }, 'hlsMasterKey'],
      [{ status: 'ready', durationSeconds: 5, thumbnailKey: '/abs/path.jpg' }, 'thumbnailKey'],
      [{ status: 'ready', durationSeconds: 5, storageKey: 'media/x/y/original' }, 'storageKey'],
      [{ status: 'published' }, 'status'],
      [{}, '(root)'],
    ] as const) {
      const res = await h.call(`/api/media/${media.id}`, 'PATCH', body, owner);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((await json(res)).error.details.map((d: { field: string }) => d.field)).toContain(field);
    }
    expect((await mediaRow(media.id))?.status).toBe('transcoding');
    const ok = await h.call(`/api/media/${media.id}`, 'PATCH', { status: 'ready', durationSeconds: 5 }, owner);
    expect(ok.status).toBe(200);
    expect(await json(ok)).toMatchObject({ status: 'ready', width: null, height: null });
  });
});

describe('the URL-signing secret', () => {
  const direct = (path: string, init: RequestInit, env: Record<string, unknown>) =>
    contentApp.fetch(new Request(new URL(path, 'http://localhost:4001'), init), platform.envFor('content-api', env));
  const createInit = (user: TestUser, title: string): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: user.cookie },
    body: JSON.stringify({ title, mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 10 }),
  });

  it.each([
    ['missing', {}],
    ['too short', { STREAMING_URL_SECRET: 'short' }],
  ])('is required outside development/test (%s): 503 fail-closed, and no row is written', async (_label, extra) => {
    const title = `no-secret-${Math.random()}`;
    const res = await direct('/api/media', createInit(owner, title), { ENVIRONMENT: 'production', ...extra });
    expect(res.status).toBe(503);
    const body = await json(res);
    // A required secret missing or short invalidates the whole configuration: every route but /health answers 503.
    expect(body.error).toEqual({ code: 'SERVICE_MISCONFIGURED', message: 'The service is not configured correctly' });
    expect(await platform.db.select().from(mediaItems).where(eq(mediaItems.title, title))).toHaveLength(0);
  });

  it('signs with the configured secret; a URL signed with another secret is refused', async () => {
    const env = { ENVIRONMENT: 'production', STREAMING_URL_SECRET: 'a-production-secret-of-sufficient-length-0123' };
    const res = await direct('/api/media', createInit(owner, 'signed'), env);
    expect(res.status).toBe(201);
    const { media, upload } = await json(res);
    const url = new URL(upload.url);
    const put = (e: Record<string, unknown>) =>
      direct(
        url.pathname + url.search,
        { method: 'PUT', headers: { 'content-type': 'video/mp4', 'content-length': '10' }, body: bytesOf(10) },
        e,
      );
    // The development default does not verify it.
    const wrong = await put({});
    expect(wrong.status).toBe(403);
    expect((await mediaRow(media.id))?.status).toBe('uploading');
    const right = await put(env);
    expect(right.status).toBe(200);
    expect((await mediaRow(media.id))?.status).toBe('transcoding');
  });
});
