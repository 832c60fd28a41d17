/**
 * The seed's Pattern 2, end to end through the generated client (@codex/client), as a frontend would drive it:
 * register → create media → upload → ready → create content → publish → (another user) streaming URL → fetch
 * bytes with a Range header. The client reaches each worker by its own base URL; the network between them is
 * the in-process local platform.
 */
import { createCodexClient } from '@codex/client';
import { content, mediaItems } from '@codex/database';
import { DEV_PORTS, type LocalPlatform, localNetwork, uniqueEmail } from '@codex/local';
import authApp from '@codex/worker-auth';
import identityApp from '@codex/worker-identity-api';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import contentApp from '../src/index';
import { bytesOf, startPlatform } from './helpers';

let platform: LocalPlatform;

beforeAll(async () => {
  platform = await startPlatform();
});

afterAll(async () => {
  await platform?.close();
});

function client() {
  return createCodexClient({
    baseUrls: {
      auth: `http://localhost:${DEV_PORTS.auth}`,
      content: `http://localhost:${DEV_PORTS['content-api']}`,
      identity: `http://localhost:${DEV_PORTS['identity-api']}`,
      ecom: `http://localhost:${DEV_PORTS['ecom-api']}`,
    },
    fetch: localNetwork(platform, { auth: authApp, 'identity-api': identityApp, 'content-api': contentApp }),
    cookies: 'jar',
  });
}

async function signedUp(name: string) {
  const api = client();
  const res = await api.POST('/api/auth/email/register', {
    body: { email: uniqueEmail('pattern2'), password: 'Sup3r-secret-pass', name },
  });
  expect(res.response.status).toBe(201);
  return { api, id: res.data?.user.id as string };
}

describe('Pattern 2 through the generated client: create content → publish → stream', () => {
  it('walks the whole flow and streams the uploaded bytes', async () => {
    const creator = await signedUp('Cora Creator');
    const viewer = await signedUp('Vic Viewer');
    const file = bytesOf(4096);

    // 1. Media item, with its signed upload URL.
    const created = await creator.api.POST('/api/media', {
      body: { title: 'Pilot (master)', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: file.byteLength },
    });
    expect(created.response.status).toBe(201);
    const media = created.data?.media;
    const upload = created.data?.upload;
    if (!media || !upload) throw new Error(`createMedia failed: ${JSON.stringify(created.error)}`);
    expect(media).toMatchObject({ status: 'uploading', fileSizeBytes: 4096, creatorId: creator.id });
    expect(upload).toMatchObject({ method: 'PUT', headers: { 'Content-Type': 'video/mp4', 'Content-Length': '4096' } });

    // 2. Upload the bytes to the signed URL exactly as returned (no cookie: the URL is the credential).
    const put = await creator.api.upload(upload, file);
    expect(put.response.status).toBe(200);
    expect(put.data?.status).toBe('transcoding');

    // 3. Report the transcoding result.
    const ready = await creator.api.PATCH('/api/media/{id}', {
      params: { path: { id: media.id } },
      body: { status: 'ready', durationSeconds: 42, width: 1280, height: 720, hlsMasterKey: 'hls/master.m3u8' },
    });
    expect(ready.response.status).toBe(200);
    expect(ready.data).toMatchObject({ status: 'ready', durationSeconds: 42, hasHls: true, hasThumbnail: false });

    // 4. Content pointing at the media: a draft.
    const draft = await creator.api.POST('/api/content', {
      body: {
        title: 'The Pilot',
        slug: 'the-pilot',
        contentType: 'video',
        mediaItemId: media.id,
        visibility: 'public',
      },
    });
    expect(draft.response.status).toBe(201);
    const item = draft.data;
    if (!item) throw new Error(`createContent failed: ${JSON.stringify(draft.error)}`);
    expect(item).toMatchObject({ status: 'draft', slug: 'the-pilot', mediaItemId: media.id, publishedAt: null });

    // 5. Publish.
    const published = await creator.api.POST('/api/content/{id}/publish', { params: { path: { id: item.id } } });
    expect(published.response.status).toBe(200);
    expect(published.data?.status).toBe('published');

    // 6. A viewer asks for a streaming URL.
    const urlRes = await viewer.api.GET('/api/access/streaming-url/{contentId}', {
      params: { path: { contentId: item.id } },
    });
    expect(urlRes.response.status).toBe(200);
    expect(urlRes.requestId).toBe(urlRes.response.headers.get('x-request-id'));
    const { streamingUrl, expiresAt } = urlRes.data ?? { streamingUrl: '', expiresAt: '' };
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(3590_000);

    // 7. The player fetches bytes with a Range header, from the streaming URL exactly as returned.
    const chunk = await viewer.api.stream(streamingUrl, { range: { start: 1000, end: 1999 } });
    expect(chunk.response.status).toBe(206);
    expect(chunk.contentRange).toEqual({ start: 1000, end: 1999, size: 4096 });
    expect(chunk.response.headers.get('content-type')).toBe('video/mp4');
    if (!chunk.data) throw new Error(`stream failed: ${chunk.error?.message}`);
    expect(new Uint8Array(await new Response(chunk.data).arrayBuffer())).toEqual(file.slice(1000, 2000));

    // The database agrees.
    const [mediaRow] = await platform.db.select().from(mediaItems).where(eq(mediaItems.id, media.id));
    expect(mediaRow).toMatchObject({ status: 'ready', durationSeconds: 42, width: 1280, height: 720 });
    expect(mediaRow?.uploadedAt).toBeInstanceOf(Date);
    const [contentRow] = await platform.db.select().from(content).where(eq(content.id, item.id));
    expect(contentRow?.status).toBe('published');
    expect(contentRow?.publishedAt).toBeInstanceOf(Date);
  });
});
