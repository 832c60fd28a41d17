/**
 * Storage faults are answered, not crashed: a ready media item whose file is missing is 404 MEDIA_FILE_MISSING in
 * the envelope (and an error log line that says so); a failing bucket is 503 STORAGE_UNAVAILABLE with Retry-After,
 * for streams and uploads. The failing bucket is a real R2 binding of a Miniflare instance that has been shut down.
 *
 * And the demo data ships a real file: after seedDemoData + seedDemoMedia (what `npm run dev` runs), every seeded
 * content streams, whole and by range, with the stored bytes.
 */

import { readFile } from 'node:fs/promises';
import { content, mediaItems } from '@codex/database';
import {
  DEMO_CREATOR_EMAIL,
  DEMO_CREATOR_PASSWORD,
  DEMO_IDS,
  DEMO_MEDIA,
  seedDemoData,
  seedDemoMedia,
} from '@codex/database/seed';
import type { LocalPlatform } from '@codex/local';
import { eq } from 'drizzle-orm';
import { Miniflare } from 'miniflare';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import contentApp from '../src/index';
import { api, bytesOf, freshIp, json, registerUser, startPlatform, type TestUser } from './helpers';

let platform: LocalPlatform;
let h: ReturnType<typeof api>;
let creator: TestUser;
let viewer: TestUser;
let deadBucket: R2Bucket;

beforeAll(async () => {
  platform = await startPlatform();
  h = api(platform);
  creator = await registerUser(platform);
  viewer = await registerUser(platform);
  // A real R2 binding whose runtime is gone: every call fails as an unreachable storage does.
  const mf = new Miniflare({ modules: true, script: 'export default {}', r2Buckets: ['B'] });
  deadBucket = (await mf.getR2Bucket('B')) as unknown as R2Bucket;
  await mf.dispose();
}, 120_000);

afterAll(async () => {
  await platform?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

/** Calls content-api directly with binding overrides (the platform's bindings otherwise). */
function callWith(path: string, init: RequestInit, overrides: Record<string, unknown>) {
  const headers = new Headers(init.headers);
  headers.set('cf-connecting-ip', freshIp());
  return contentApp.fetch(
    new Request(`http://localhost:4001${path}`, { ...init, headers }),
    platform.envFor('content-api', overrides),
  );
}

const relative = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

async function streamingUrlOf(contentId: string, user?: TestUser) {
  const res = await h.streamingUrl(contentId, user);
  expect(res.status, await res.clone().text()).toBe(200);
  return relative((await json(res)).streamingUrl as string);
}

describe('a ready media item whose file is missing', () => {
  it('is 404 MEDIA_FILE_MISSING in the envelope, with an error log line, for GET and HEAD', async () => {
    const item = await h.publishedContent(creator, { visibility: 'public' });
    const url = await streamingUrlOf(item.id, viewer);
    const [media] = await platform.db.select().from(mediaItems).where(eq(mediaItems.id, item.mediaId));
    expect(media?.status).toBe('ready');
    await platform.bucket.delete(media?.storageKey ?? '');

    const lines: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((line: unknown) => {
      lines.push(String(line));
    });
    const res = await callWith(url, { method: 'GET' }, { LOG_LEVEL: 'error' });
    expect(res.status).toBe(404);
    const body = await json(res);
    expect(body).toMatchObject({ error: { code: 'MEDIA_FILE_MISSING' }, requestId: expect.any(String) });
    expect(JSON.stringify(body)).not.toContain(media?.storageKey ?? '(none)');
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({ level: 'error', msg: 'media file missing from storage', contentId: item.id }),
    );
    // Never a 500, and the log says nothing of the storage key.
    expect(logged.some((l) => l.status === 500)).toBe(false);
    expect(lines.join('\n')).not.toContain(media?.storageKey ?? '(none)');

    const head = await callWith(url, { method: 'HEAD' }, {});
    expect(head.status).toBe(404);
    // The row is untouched: still ready (the creator decides what to do).
    const [after] = await platform.db.select().from(mediaItems).where(eq(mediaItems.id, item.mediaId));
    expect(after?.status).toBe('ready');
  });
});

describe('a failing bucket', () => {
  it('streams: 503 STORAGE_UNAVAILABLE with Retry-After, never a 500', async () => {
    const item = await h.publishedContent(creator, { visibility: 'public' });
    const url = await streamingUrlOf(item.id, viewer);
    for (const method of ['GET', 'HEAD']) {
      const res = await callWith(url, { method, headers: { range: 'bytes=0-9' } }, { MEDIA_BUCKET: deadBucket });
      expect(res.status, method).toBe(503);
      expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
      if (method === 'GET') expect(await json(res)).toMatchObject({ error: { code: 'STORAGE_UNAVAILABLE' } });
    }
    // The same URL works once storage is back.
    const ok = await callWith(url, { method: 'GET', headers: { range: 'bytes=0-9' } }, {});
    expect(ok.status).toBe(206);
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(bytesOf(10));
  });

  it('uploads: 503 STORAGE_UNAVAILABLE and the media stays uploading; a retry with the same URL succeeds', async () => {
    const { media, upload } = await h.createMedia(creator, { fileSizeBytes: 500 });
    const init = {
      method: 'PUT',
      headers: { 'content-type': 'video/mp4', 'content-length': '500' },
      body: bytesOf(500),
    };
    const res = await callWith(relative(upload.url), init, { MEDIA_BUCKET: deadBucket });
    expect(res.status).toBe(503);
    expect(await json(res)).toMatchObject({ error: { code: 'STORAGE_UNAVAILABLE' } });
    const [row] = await platform.db.select().from(mediaItems).where(eq(mediaItems.id, media.id));
    expect(row).toMatchObject({ status: 'uploading', uploadedAt: null });

    const retry = await h.upload(upload, bytesOf(500));
    expect(retry.status, await retry.clone().text()).toBe(200);
    const [stored] = await platform.db.select().from(mediaItems).where(eq(mediaItems.id, media.id));
    expect(stored?.status).toBe('transcoding');
  });
});

describe('the demo data', () => {
  it('ships a real file: every seeded content streams (200 whole, 206 by range)', async () => {
    const seeded = await seedDemoData(platform.db);
    const stored = await seedDemoMedia(platform.bucket);
    expect(stored).toEqual({ key: DEMO_MEDIA.storageKey, size: DEMO_MEDIA.fileSizeBytes });
    const file = new Uint8Array(
      await readFile(new URL('../../../packages/database/assets/demo-clip.webm', import.meta.url)),
    );
    // A WebM (EBML) file, the one the media row describes.
    expect([...file.slice(0, 4)]).toEqual([0x1a, 0x45, 0xdf, 0xa3]);
    const [media] = await platform.db.select().from(mediaItems).where(eq(mediaItems.id, DEMO_IDS.mediaItem));
    expect(media).toMatchObject({ status: 'ready', mimeType: 'video/webm', fileSizeBytes: file.byteLength });

    const login = await platform.request('auth', '/api/auth/email/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': freshIp() },
      body: JSON.stringify({ email: DEMO_CREATOR_EMAIL, password: DEMO_CREATOR_PASSWORD }),
    });
    expect(login.status, await login.clone().text()).toBe(200);
    const cookie = /codex-session=[^;]+/.exec(login.headers.get('set-cookie') ?? '')?.[0] ?? '';
    const demo: TestUser = { id: seeded.creatorId, email: DEMO_CREATOR_EMAIL, name: 'Codex Creator', cookie };

    const items = await platform.db.select().from(content).where(eq(content.mediaItemId, DEMO_IDS.mediaItem));
    expect(items.map((i) => i.id).sort()).toEqual([seeded.paidContentId, seeded.publicContentId].sort());
    for (const item of items) {
      // The public item streams for any signed-in user; the paid one for its managers (preview) — and buyers.
      const url = await streamingUrlOf(item.id, item.visibility === 'public' ? viewer : demo);
      const whole = await h.fetchStream(`http://localhost${url}`);
      expect(whole.status, item.slug).toBe(200);
      expect(whole.headers.get('content-type')).toBe('video/webm');
      expect(new Uint8Array(await whole.arrayBuffer())).toEqual(file);
      const part = await h.fetchStream(`http://localhost${url}`, { range: 'bytes=100-199' });
      expect(part.status).toBe(206);
      expect(part.headers.get('content-range')).toBe(`bytes 100-199/${file.byteLength}`);
      expect(new Uint8Array(await part.arrayBuffer())).toEqual(file.slice(100, 200));
    }
    // Seeding again changes nothing.
    expect(await seedDemoData(platform.db)).toEqual(seeded);
  });
});
