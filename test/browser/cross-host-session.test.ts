/**
 * One sign-in across the four hosts, as a browser sees it: headless Chromium with five host names under one
 * domain mapped to 127.0.0.1 (`--host-resolver-rules`): the web app (app.codex.test) and the four workers
 * (auth., content., identity., ecom.codex.test), each worker served over real HTTP with the local platform's
 * bindings, as `npm run dev` serves them. The auth worker sets the session cookie with `COOKIE_DOMAIN=.codex.test`
 * (production: `.revelations.studio`), SameSite=Strict and Secure kept: Chromium is told to treat these http
 * origins as secure (`--unsafely-treat-insecure-origin-as-secure`), as https hosts are in production.
 *
 * From the web app's page (fetch with credentials, CORS): sign in on auth's host; signed-in calls to content,
 * identity and ecom (an idempotent create whose replay marker the page reads); a 206 whose Content-Range the page
 * reads; sign-out on auth, after which all four refuse the cookie (401).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { organizations, purchases, sessions } from '@codex/database';
import { type LocalPlatform, startLocalPlatform, uniqueEmail, type WorkerName } from '@codex/local';
import { hasChromium, launchChromium } from '@codex/local/chromium';
import { ecomVars, type StripeTestServer, startStripeTestServer } from '@codex/local/stripe';
import authApp from '@codex/worker-auth';
import contentApp from '@codex/worker-content-api';
import ecomApp from '@codex/worker-ecom-api';
import identityApp from '@codex/worker-identity-api';
import { eq } from 'drizzle-orm';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FetchApp, type ServedApp, serveApp, WaitUntilTracker } from '../../scripts/lib/worker-host';

const HAS_CHROMIUM = hasChromium('cross-host-session');

const APPS = { auth: authApp, 'content-api': contentApp, 'identity-api': identityApp, 'ecom-api': ecomApp } as const;
type Served = keyof typeof APPS;
const HOST: Record<Served, string> = {
  auth: 'auth.codex.test',
  'content-api': 'content.codex.test',
  'identity-api': 'identity.codex.test',
  'ecom-api': 'ecom.codex.test',
};
const APP_HOST = 'app.codex.test';
const COOKIE_DOMAIN = '.codex.test';
const PASSWORD = 'Sup3r-secret-pass';
const MEDIA_BYTES = 1000;

/**
 * The web app's own script: fetch with credentials, reading the status, the body and the named response headers
 * (whatever CORS does not expose reads as null).
 */
const WEB_APP_SCRIPT = `
window.web = {
  async read(res, names = []) {
    const text = await res.text();
    let body;
    try { body = JSON.parse(text); } catch { body = text.length; }
    const headers = {};
    for (const n of ['x-request-id', ...names]) headers[n] = res.headers.get(n);
    return { status: res.status, body, headers };
  },
  api(url, init = {}, names = []) {
    return fetch(url, { credentials: 'include', ...init }).then((r) => web.read(r, names));
  },
  post(url, body, headers = {}, names = []) {
    return web.api(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }, names);
  },
  /** One signed-in call to each worker. */
  async signedIn(a) {
    const rate = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];
    const [session, identity, content, ecom] = await Promise.all([
      web.api(a.hosts.auth + '/api/auth/session'),
      web.api(a.hosts.identity + '/api/organizations?scope=member', {}, rate),
      web.post(a.hosts.content + '/api/media', { title: 'From the page', mediaType: 'audio', mimeType: 'audio/mpeg', fileSizeBytes: 10 }),
      web.post(a.hosts.ecom + '/checkout/create', a.checkout, { 'Idempotency-Key': a.idemKey + '-checkout' }),
    ]);
    return { session, identity, content, ecom };
  },
};
`;

/** The page's `window.web` (evaluated in the browser; the project compiles without the DOM lib). */
type Seen = { status: number; body: unknown; headers: Record<string, string | null> };
interface WebApp {
  read(res: Response, names?: string[]): Promise<Seen>;
  api(url: string, init?: RequestInit, names?: string[]): Promise<Seen>;
  post(url: string, body: unknown, headers?: Record<string, string>, names?: string[]): Promise<Seen>;
  signedIn(args: unknown): Promise<unknown>;
}
declare const web: WebApp;

describe.skipIf(!HAS_CHROMIUM)('one sign-in across four hosts (headless Chromium, CORS with credentials)', () => {
  let browser: Browser;
  let platform: LocalPlatform;
  let stripe: StripeTestServer;
  const tracker = new WaitUntilTracker();
  const served = {} as Record<Served, ServedApp>;
  let pageServer: Server;
  let appOrigin = '';
  const origin = (w: Served) => `http://${HOST[w]}:${served[w].port}`;
  /** How node (not the browser) reaches a worker. */
  const local = (w: Served) => `http://127.0.0.1:${served[w].port}`;

  beforeAll(async () => {
    stripe = await startStripeTestServer();
    platform = await startLocalPlatform({
      apps: APPS,
      vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test' },
      workerVars: { 'ecom-api': ecomVars(stripe) },
    });
    pageServer = createServer((req, res) => {
      if (req.url === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(
          `<!doctype html><html><head><title>web app</title><script>${WEB_APP_SCRIPT}</script></head><body></body></html>`,
        );
      } else res.writeHead(404).end();
    });
    const appPort = await new Promise<number>((resolve) =>
      pageServer.listen(0, '127.0.0.1', () => resolve((pageServer.address() as AddressInfo).port)),
    );
    appOrigin = `http://${APP_HOST}:${appPort}`;
    for (const worker of Object.keys(APPS) as Served[]) {
      const app: FetchApp = APPS[worker];
      served[worker] = await serveApp(app, {
        port: 0,
        hostname: '127.0.0.1',
        tracker,
        env: () =>
          platform.envFor(worker as WorkerName, {
            PUBLIC_URL: origin(worker),
            AUTH_URL: local('auth'),
            CORS_ORIGINS: appOrigin,
            ...(worker === 'auth' ? { COOKIE_DOMAIN } : {}),
          }),
      });
    }
    const secure = [appOrigin, ...(Object.keys(APPS) as Served[]).map(origin)].join(',');
    browser = await launchChromium([
      '--host-resolver-rules=MAP *.codex.test 127.0.0.1',
      `--unsafely-treat-insecure-origin-as-secure=${secure}`,
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    if (pageServer) await new Promise((r) => pageServer.close(r));
    for (const s of Object.values(served)) await s?.close();
    await tracker.drain();
    await platform?.close();
    await stripe?.close();
  });

  /** A call from node (setup), with a cookie. */
  async function call(worker: Served, path: string, init: { method?: string; cookie?: string; json?: unknown } = {}) {
    const headers: Record<string, string> = {};
    if (init.cookie) headers.cookie = init.cookie;
    if (init.json !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${local(worker)}${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
    });
    return res;
  }

  async function register(name: string) {
    const email = uniqueEmail('xhost');
    const res = await call('auth', '/api/auth/email/register', {
      method: 'POST',
      json: { email, password: PASSWORD, name },
    });
    expect(res.status, await res.clone().text()).toBe(201);
    const cookie = /codex-session=([^;]+)/.exec(res.headers.get('set-cookie') ?? '')?.[1];
    expect(res.headers.get('set-cookie')).toContain(`Domain=${COOKIE_DOMAIN}`);
    const body = (await res.json()) as { user: { id: string } };
    return { id: body.user.id, email, cookie: `codex-session=${cookie}` };
  }

  /** Ready media and published content of the creator; returns the content id. */
  async function publishedContent(cookie: string, fields: Record<string, unknown>) {
    const created = await call('content-api', '/api/media', {
      method: 'POST',
      cookie,
      json: { title: 'Clip', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: MEDIA_BYTES },
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { media, upload } = (await created.json()) as {
      media: { id: string };
      upload: { url: string; headers: Record<string, string> };
    };
    const url = new URL(upload.url);
    const bytes = new Uint8Array(MEDIA_BYTES).map((_, i) => i % 251);
    const put = await fetch(`${local('content-api')}${url.pathname}${url.search}`, {
      method: 'PUT',
      headers: upload.headers,
      body: bytes,
    });
    expect(put.status, await put.clone().text()).toBe(200);
    const ready = await call('content-api', `/api/media/${media.id}`, {
      method: 'PATCH',
      cookie,
      json: { status: 'ready', durationSeconds: 4, width: 160, height: 120 },
    });
    expect(ready.status, await ready.clone().text()).toBe(200);
    const draft = await call('content-api', '/api/content', {
      method: 'POST',
      cookie,
      json: {
        title: 'Cross-host',
        slug: `xhost-${crypto.randomUUID().slice(0, 8)}`,
        contentType: 'video',
        mediaItemId: media.id,
        ...fields,
      },
    });
    expect(draft.status, await draft.clone().text()).toBe(201);
    const { id } = (await draft.json()) as { id: string };
    const pub = await call('content-api', `/api/content/${id}/publish`, { method: 'POST', cookie });
    expect(pub.status, await pub.clone().text()).toBe(200);
    return id;
  }

  it('signs in on auth, is signed in on content, identity and ecom, reads a 206, and signs out everywhere', async () => {
    const creator = await register('Cora Creator');
    const freeId = await publishedContent(creator.cookie, { visibility: 'public' });
    const pricedId = await publishedContent(creator.cookie, { visibility: 'purchased_only', priceCents: 499 });
    const viewer = await register('Vic Viewer');
    const sessionsOf = async () =>
      (await platform.db.select().from(sessions).where(eq(sessions.userId, viewer.id))).length;
    const sessionsBefore = await sessionsOf();

    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') pageErrors.push(m.text());
    });
    expect((await page.goto(`${appOrigin}/`))?.status()).toBe(200);

    const hosts = {
      auth: origin('auth'),
      content: origin('content-api'),
      identity: origin('identity-api'),
      ecom: origin('ecom-api'),
    };
    const orgSlug = `xhost-${crypto.randomUUID().slice(0, 8)}`;
    const idemKey = crypto.randomUUID();

    const checkout = {
      contentId: pricedId,
      successUrl: 'https://app.codex.test/purchase/success?session_id={CHECKOUT_SESSION_ID}',
      cancelUrl: 'https://app.codex.test/content/x',
    };
    const args = { hosts, email: viewer.email, password: PASSWORD, freeId, orgSlug, idemKey, checkout };
    type Args = typeof args;
    type Signed = Record<'session' | 'identity' | 'content' | 'ecom', Seen>;

    // --- In the web app's page (its script: window.web, see WEB_APP_SCRIPT) ------------------------------------------
    const signedInCalls = (a: Args) => web.signedIn(a) as Promise<Signed>;
    const before = await page.evaluate(signedInCalls, args);
    const login = (await page.evaluate(
      (a: Args) => web.post(`${a.hosts.auth}/api/auth/email/login`, { email: a.email, password: a.password }),
      args,
    )) as Seen;
    // Before signing in: 401 everywhere.
    for (const k of ['session', 'identity', 'content', 'ecom'] as const) {
      expect(before[k].status, `${k} before sign-in`).toBe(401);
      expect(before[k].body).toMatchObject({ error: { code: 'AUTHENTICATION_REQUIRED' } });
    }
    // Sign-in on auth's host.
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body).toMatchObject({ user: { id: viewer.id, email: viewer.email } });
    expect(await sessionsOf()).toBe(sessionsBefore + 1);

    // Signed in on all four hosts.
    const during = await page.evaluate(signedInCalls, args);
    expect(during.session.status).toBe(200);
    expect(during.session.body).toMatchObject({ user: { id: viewer.id } });
    expect(during.identity.status).toBe(200);
    expect(during.identity.body).toMatchObject({ items: [] });
    expect(during.identity.headers['x-ratelimit-limit']).toMatch(/^\d+$/);
    expect(during.identity.headers['x-ratelimit-remaining']).toMatch(/^\d+$/);
    expect(during.content.status, JSON.stringify(during.content.body)).toBe(201);
    expect(during.content.body).toMatchObject({ media: { creatorId: viewer.id } });
    expect(during.ecom.status, JSON.stringify(during.ecom.body)).toBe(201);
    expect(during.ecom.body).toMatchObject({ sessionId: expect.any(String), checkoutUrl: expect.any(String) });
    for (const k of ['session', 'identity', 'content', 'ecom'] as const) {
      expect(during[k].headers['x-request-id'], `${k} x-request-id readable`).toMatch(/.{8,}/);
    }
    // The cookie the browser holds: Domain=.codex.test, HttpOnly, Secure, SameSite=Strict.
    const cookies = (await page.context().cookies()).filter((c) => c.name === 'codex-session');
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatchObject({ domain: COOKIE_DOMAIN, httpOnly: true, secure: true, sameSite: 'Strict' });

    const pending = await platform.db.select().from(purchases).where(eq(purchases.userId, viewer.id));
    expect(pending.map((p) => p.contentId)).toEqual([pricedId]);

    // An idempotent create from the page, retried: the replay marker is readable cross-origin.
    const [org, orgAgain] = (await page.evaluate(async (a: Args) => {
      const send = () =>
        web.post(
          `${a.hosts.identity}/api/organizations`,
          { name: 'Page Studio', slug: a.orgSlug },
          { 'Idempotency-Key': a.idemKey },
          ['idempotent-replayed'],
        );
      return [await send(), await send()];
    }, args)) as [Seen, Seen];
    expect(org.status, JSON.stringify(org.body)).toBe(201);
    expect(org.headers['idempotent-replayed']).toBeNull();
    expect(orgAgain.status).toBe(201);
    expect(orgAgain.headers['idempotent-replayed']).toBe('true');
    expect(orgAgain.body).toEqual(org.body);
    expect(await platform.db.select().from(organizations).where(eq(organizations.slug, orgSlug))).toHaveLength(1);

    // The 206 and its headers, read by the page.
    const { url, range } = (await page.evaluate(async (a: Args) => {
      const url = await web.api(`${a.hosts.content}/api/access/streaming-url/${a.freeId}`);
      const streamingUrl = (url.body as { streamingUrl: string }).streamingUrl;
      const range = await web.read(await fetch(streamingUrl, { headers: { Range: 'bytes=100-199' } }), [
        'content-range',
        'accept-ranges',
        'content-length',
      ]);
      return { url, range };
    }, args)) as { url: Seen; range: Seen };
    expect(url.status).toBe(200);
    expect(new URL((url.body as { streamingUrl: string }).streamingUrl).origin).toBe(origin('content-api'));
    expect(range.status).toBe(206);
    expect(range.body).toBe(100);
    expect(range.headers['content-range']).toBe(`bytes 100-199/${MEDIA_BYTES}`);
    expect(range.headers['accept-ranges']).toBe('bytes');
    expect(range.headers['content-length']).toBe('100');

    // Sign-out on auth's host ends the session on all four.
    const signOut = (await page.evaluate(
      (a: Args) => web.api(`${a.hosts.auth}/api/auth/signout`, { method: 'POST' }),
      args,
    )) as Seen;
    expect(signOut.status).toBe(200);
    expect(await sessionsOf()).toBe(sessionsBefore);
    expect((await page.context().cookies()).filter((c) => c.name === 'codex-session')).toHaveLength(0);
    const after = await page.evaluate(signedInCalls, args);
    for (const k of ['session', 'identity', 'content', 'ecom'] as const) {
      expect(after[k].status, `${k} after sign-out`).toBe(401);
    }
    expect(pageErrors.filter((e) => /CORS|cookie/i.test(e))).toEqual([]);
    console.log(
      `[cross-host] app ${appOrigin}; signed in on ${origin('auth')}; 200/201 from ${origin('identity-api')}, ` +
        `${origin('content-api')}, ${origin('ecom-api')}; 206 ${range.headers['content-range']}; after sign-out: ` +
        Object.entries(after)
          .map(([k, v]) => `${k} ${(v as { status: number }).status}`)
          .join(', '),
    );
    await page.close();
  });
});
