/**
 * Pattern 2's last step as a viewer's browser does it: a `<video>` element in headless Chromium plays the
 * streaming URL and seeks in it. The auth, identity-api and content-api apps are served over real HTTP on
 * 127.0.0.1 (free ports) with the local platform's bindings, as `npm run dev` serves them; the flow before the
 * browser (register → create media → upload to the signed URL → ready → public content → publish → streaming
 * URL) goes over that HTTP too, so the URLs the worker hands out (built from the request's origin) point at
 * the served content-api.
 *
 * The fixture (test/fixtures/clip-4s-160x120.webm, 31 776 bytes) is a 4.000 s, 160×120, 15 fps VP8 WebM
 * without audio, a keyframe every second, with Cues (seekable). Made once with:
 *   ffmpeg -f lavfi -i testsrc2=size=160x120:rate=15 -t 4 -c:v libvpx -b:v 60k -g 15 -deadline good -an \
 *     -fflags +bitexact -map_metadata -1 clip-4s-160x120.webm
 * ffmpeg is not needed to run this test.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { content, mediaItems } from '@codex/database';
import { type LocalPlatform, startLocalPlatform, uniqueEmail, type WorkerName } from '@codex/local';
import { hasChromium, launchChromium } from '@codex/local/chromium';
import authApp from '@codex/worker-auth';
import identityApp from '@codex/worker-identity-api';
import { eq } from 'drizzle-orm';
import type { Browser, Request as PwRequest } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FetchApp, type ServedApp, serveApp, WaitUntilTracker } from '../../../scripts/lib/worker-host';
import contentApp from '../src/index';

// The page.evaluate callback runs in the browser; the project compiles without the DOM lib.
// biome-ignore lint/suspicious/noExplicitAny: browser globals, typed loosely on purpose
declare const document: any;

const HAS_CHROMIUM = hasChromium('video-browser');

const FIXTURE = readFileSync(fileURLToPath(new URL('./fixtures/clip-4s-160x120.webm', import.meta.url)));
const FIXTURE_SECONDS = 4;
const SEEK_TO = 3.5;

interface StreamHit {
  method: string;
  range: string | null;
  status: number;
  contentRange: string | null;
}

const APPS = { auth: authApp, 'identity-api': identityApp, 'content-api': contentApp } as const;
type Served = keyof typeof APPS;

describe.skipIf(!HAS_CHROMIUM)('a <video> element plays and seeks a streaming URL (headless Chromium)', () => {
  let browser: Browser;
  let platform: LocalPlatform;
  const tracker = new WaitUntilTracker();
  const served = {} as Record<Served, ServedApp>;
  const origin = (w: Served) => `http://127.0.0.1:${served[w].port}`;
  /** What the content-api answered on the stream route, seen from the server. */
  const streamHits: StreamHit[] = [];
  let pageServer: Server;
  let pageOrigin: string;

  beforeAll(async () => {
    platform = await startLocalPlatform({
      apps: APPS,
      vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test' },
    });
    for (const worker of Object.keys(APPS) as Served[]) {
      const app: FetchApp = APPS[worker];
      served[worker] = await serveApp(
        {
          fetch: async (request, env, ctx) => {
            const res = await app.fetch(request, env, ctx);
            if (worker === 'content-api' && new URL(request.url).pathname.startsWith('/api/access/stream/')) {
              streamHits.push({
                method: request.method,
                range: request.headers.get('range'),
                status: res.status,
                contentRange: res.headers.get('content-range'),
              });
            }
            return res;
          },
        },
        {
          port: 0,
          hostname: '127.0.0.1',
          tracker,
          // Each worker knows its own served origin and where auth is.
          env: () => platform.envFor(worker as WorkerName, { PUBLIC_URL: origin(worker), AUTH_URL: origin('auth') }),
        },
      );
    }
    // The page the video lives in: a blank document from another 127.0.0.1 origin, as a web app would be.
    pageServer = createServer((req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end('<!doctype html><html><head><title>player</title></head><body></body></html>');
      } else res.writeHead(404).end();
    });
    pageOrigin = await new Promise<string>((resolve) =>
      pageServer.listen(0, '127.0.0.1', () =>
        resolve(`http://127.0.0.1:${(pageServer.address() as AddressInfo).port}`),
      ),
    );
    browser = await launchChromium(['--autoplay-policy=no-user-gesture-required']);
  });

  afterAll(async () => {
    await browser?.close();
    if (pageServer) await new Promise((r) => pageServer.close(r));
    for (const s of Object.values(served)) await s.close();
    await tracker.drain();
    await platform?.close();
  });

  async function call(worker: Served, path: string, init: RequestInit & { cookie?: string; json?: unknown } = {}) {
    const { cookie, json: body, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (cookie) headers.set('cookie', cookie);
    if (body !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${origin(worker)}${path}`, {
      ...rest,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  async function register(name: string) {
    const res = await call('auth', '/api/auth/email/register', {
      method: 'POST',
      json: { email: uniqueEmail('video'), password: 'Sup3r-secret-pass', name },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const cookie = /codex-session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    if (!cookie) throw new Error('register returned no codex-session cookie');
    const body = (await res.json()) as { user: { id: string } };
    return { id: body.user.id, cookie: `codex-session=${cookie}` };
  }

  it('loads metadata, plays, seeks near the end with Range requests (206), and stays on 127.0.0.1', async () => {
    // --- Pattern 2 over HTTP -------------------------------------------------------------------------------------
    const creator = await register('Cora Creator');
    const viewer = await register('Vic Viewer');
    // The session works across the served workers (identity-api resolves it through auth too).
    const orgs = await call('identity-api', '/api/organizations?scope=member', { cookie: viewer.cookie });
    expect(orgs.status, await orgs.clone().text()).toBe(200);
    expect(((await orgs.json()) as { items: unknown[] }).items).toEqual([]);

    const created = await call('content-api', '/api/media', {
      method: 'POST',
      cookie: creator.cookie,
      json: { title: 'Test pattern', mediaType: 'video', mimeType: 'video/webm', fileSizeBytes: FIXTURE.byteLength },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { media, upload } = (await created.json()) as {
      media: { id: string; status: string };
      upload: { url: string; headers: Record<string, string> };
    };
    expect(media.status).toBe('uploading');
    expect(new URL(upload.url).origin).toBe(origin('content-api'));

    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: FIXTURE });
    expect(put.status, await put.clone().text()).toBe(200);
    expect(((await put.json()) as { status: string }).status).toBe('transcoding');

    const ready = await call('content-api', `/api/media/${media.id}`, {
      method: 'PATCH',
      cookie: creator.cookie,
      json: { status: 'ready', durationSeconds: FIXTURE_SECONDS, width: 160, height: 120 },
    });
    expect(ready.status, await ready.clone().text()).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', durationSeconds: FIXTURE_SECONDS });

    const draft = await call('content-api', '/api/content', {
      method: 'POST',
      cookie: creator.cookie,
      json: {
        title: 'Test pattern',
        slug: `test-pattern-${Date.now().toString(36)}`,
        contentType: 'video',
        mediaItemId: media.id,
        visibility: 'public',
      },
    });
    expect(draft.status, await draft.clone().text()).toBe(201);
    const item = (await draft.json()) as { id: string };
    const published = await call('content-api', `/api/content/${item.id}/publish`, {
      method: 'POST',
      cookie: creator.cookie,
    });
    expect(published.status, await published.clone().text()).toBe(200);
    expect(((await published.json()) as { status: string }).status).toBe('published');

    const urlRes = await call('content-api', `/api/access/streaming-url/${item.id}`, { cookie: viewer.cookie });
    expect(urlRes.status, await urlRes.clone().text()).toBe(200);
    const { streamingUrl } = (await urlRes.json()) as { streamingUrl: string };
    const stream = new URL(streamingUrl);
    expect(stream.origin).toBe(origin('content-api'));
    expect(stream.pathname).toBe(`/api/access/stream/${item.id}`);

    // The database and the bucket hold what was uploaded.
    const [mediaRow] = await platform.db.select().from(mediaItems).where(eq(mediaItems.id, media.id));
    expect(mediaRow).toMatchObject({
      status: 'ready',
      mimeType: 'video/webm',
      fileSizeBytes: FIXTURE.byteLength,
      durationSeconds: FIXTURE_SECONDS,
    });
    const [contentRow] = await platform.db.select().from(content).where(eq(content.id, item.id));
    expect(contentRow?.status).toBe('published');
    const listed = await platform.bucket.list({ prefix: `media/${creator.id}/${media.id}/` });
    expect(listed.objects.map((o) => o.size)).toEqual([FIXTURE.byteLength]);

    // --- The browser -----------------------------------------------------------------------------------------------
    const page = await browser.newPage();
    const requests: PwRequest[] = [];
    page.on('request', (r) => requests.push(r));
    try {
      const res = await page.goto(`${pageOrigin}/`, { waitUntil: 'load' });
      expect(res?.status()).toBe(200);

      const seen = await page.evaluate(
        async ({ src, seekTo }) => {
          const video = document.createElement('video');
          video.muted = true;
          video.preload = 'auto';
          document.body.appendChild(video);
          const failure = () =>
            new Error(
              `media error ${video.error?.code ?? '?'}: ${video.error?.message ?? ''} (readyState ${video.readyState})`,
            );
          // Resolves on `event`, rejects on a media error or after 20 s.
          const next = (event: string) =>
            new Promise<void>((resolve, reject) => {
              const timer = setTimeout(
                () => reject(new Error(`no ${event} within 20 s; ${failure().message}`)),
                20_000,
              );
              const done = (fn: () => void) => () => {
                clearTimeout(timer);
                video.removeEventListener(event, ok);
                video.removeEventListener('error', ko);
                fn();
              };
              const ok = done(resolve);
              const ko = done(() => reject(failure()));
              video.addEventListener(event, ok);
              video.addEventListener('error', ko);
            });

          const metadata = next('loadedmetadata');
          video.src = src;
          await metadata;
          const afterMetadata = { duration: video.duration, width: video.videoWidth, height: video.videoHeight };

          // Play from the start until the clock moves.
          await video.play();
          while (video.currentTime < 0.3) await next('timeupdate');
          video.pause();
          const playedTo = video.currentTime;

          // Seek near the end, then play to the end.
          const seeked = next('seeked');
          video.currentTime = seekTo;
          await seeked;
          const afterSeek = { currentTime: video.currentTime, readyState: video.readyState, error: video.error };
          const ended = next('ended');
          await video.play();
          await ended;
          return {
            ...afterMetadata,
            playedTo,
            afterSeek: { ...afterSeek, error: afterSeek.error ? String(afterSeek.error.code) : null },
            ended: video.ended,
            finalTime: video.currentTime,
            error: video.error ? `${video.error.code}: ${video.error.message}` : null,
          };
        },
        { src: streamingUrl, seekTo: SEEK_TO },
      );

      expect(seen.duration).toBeCloseTo(FIXTURE_SECONDS, 1);
      expect([seen.width, seen.height]).toEqual([160, 120]);
      expect(seen.playedTo).toBeGreaterThanOrEqual(0.3);
      expect(seen.afterSeek.error).toBeNull();
      expect(seen.afterSeek.currentTime).toBeCloseTo(SEEK_TO, 1);
      expect(seen.afterSeek.readyState).toBeGreaterThanOrEqual(2); // HAVE_CURRENT_DATA
      expect(seen.ended).toBe(true);
      expect(seen.finalTime).toBeCloseTo(FIXTURE_SECONDS, 1);
      expect(seen.error).toBeNull();

      // The browser's requests for the stream: Range requests answered 206 with Content-Range. For a file this
      // small Chromium asks once (`bytes=0-`) and seeks in what it buffered — it would play a 200 as well, so
      // this is the check that the player is offered, and gets, ranges.
      const streamRequests = requests.filter((r) => r.url().startsWith(`${stream.origin}${stream.pathname}`));
      expect(streamRequests.length).toBeGreaterThan(0);
      const exchanges = await Promise.all(
        streamRequests.map(async (r) => {
          const response = await r.response();
          return {
            range: (await r.allHeaders()).range ?? null,
            status: response?.status() ?? null,
            contentRange: response ? ((await response.allHeaders())['content-range'] ?? null) : null,
            contentType: response ? ((await response.allHeaders())['content-type'] ?? null) : null,
          };
        }),
      );
      const ranged = exchanges.filter((e) => e.range !== null && e.status === 206);
      expect(ranged.length, JSON.stringify(exchanges)).toBeGreaterThan(0);
      for (const e of ranged) {
        expect(e.range).toMatch(/^bytes=\d+-\d*$/);
        expect(e.contentType).toBe('video/webm');
        const start = Number(/^bytes=(\d+)-/.exec(e.range ?? '')?.[1]);
        expect(e.contentRange).toMatch(new RegExp(`^bytes ${start}-\\d+/${FIXTURE.byteLength}$`));
      }
      // The server saw the same: every stream request answered 200/206, never an error.
      expect(streamHits.length).toBeGreaterThan(0);
      expect(streamHits.filter((h) => h.status !== 200 && h.status !== 206)).toEqual([]);
      expect(streamHits.some((h) => h.range !== null && h.status === 206 && h.contentRange !== null)).toBe(true);

      // Nothing left the machine.
      const urls = requests.map((r) => r.url()).filter((u) => !u.startsWith('data:') && !u.startsWith('blob:'));
      expect(urls.filter((u) => new URL(u).hostname !== '127.0.0.1')).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
