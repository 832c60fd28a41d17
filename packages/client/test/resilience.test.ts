/**
 * What @codex/client does when things go wrong, against the real worker apps on the local platform and real
 * network conditions (a closed port, a host that never answers): retries with one idempotency key, typed errors,
 * timeouts and abort, the rate limiter's 429 and Retry-After, the session after a failed sign-out, pagination,
 * middleware and the logger.
 */
import { createServer, type Server } from 'node:net';
import { content, organizations } from '@codex/database';
import { DEV_PORTS, type LocalPlatform, startLocalPlatform, uniqueEmail, type WorkerName } from '@codex/local';
import authApp from '@codex/worker-auth';
import contentApp from '@codex/worker-content-api';
import identityApp from '@codex/worker-identity-api';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  type CodexClientOptions,
  type CodexLogger,
  createCodexClient,
  detectCookieMode,
  InternalServerError,
  type Middleware,
  NotFoundError,
  RateLimitError,
} from '../src/index';
import { backoffMs, retryAfterResponse } from '../src/retry';

const apps = { auth: authApp, 'content-api': contentApp, 'identity-api': identityApp };
const baseUrls: CodexClientOptions['baseUrls'] = {
  auth: `http://localhost:${DEV_PORTS.auth}`,
  content: `http://localhost:${DEV_PORTS['content-api']}`,
  identity: `http://localhost:${DEV_PORTS['identity-api']}`,
  ecom: `http://localhost:${DEV_PORTS['ecom-api']}`,
};
const FAST = { initialDelayMs: 20, maxDelayMs: 50 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let platform: LocalPlatform;
const servers: Server[] = [];

interface Attempt {
  worker: WorkerName;
  method: string;
  path: string;
  idempotencyKey: string | null;
}

/**
 * The network to the workers, in-process: `outage(worker)` says how many of the next requests to that worker find
 * its database unavailable (the binding missing, as when Neon is unreachable) — the worker answers 503 as it would.
 */
function network(options: { rateLimits?: string } = {}) {
  const attempts: Attempt[] = [];
  const down: Partial<Record<WorkerName, number>> = {};
  let ip = 0;
  const fetch = async (request: Request) => {
    const url = new URL(request.url);
    const worker = (Object.keys(apps) as WorkerName[]).find((w) => String(DEV_PORTS[w]) === url.port);
    const app = worker ? apps[worker as keyof typeof apps] : undefined;
    if (!worker || !app) throw new TypeError(`fetch failed: nothing listens on ${url.host}`);
    attempts.push({
      worker,
      method: request.method,
      path: url.pathname,
      idempotencyKey: request.headers.get('idempotency-key'),
    });
    const headers = new Headers(request.headers);
    ip += 1;
    headers.set('cf-connecting-ip', `10.91.${Math.floor(ip / 250) % 250}.${(ip % 250) + 1}`);
    const remaining = down[worker] ?? 0;
    const overrides: Record<string, unknown> = remaining > 0 ? { EMBEDDED_DB: undefined, DATABASE_URL: undefined } : {};
    if (options.rateLimits) overrides.RATE_LIMITS = options.rateLimits;
    if (remaining > 0) down[worker] = remaining - 1;
    return app.fetch(new Request(request, { headers }), platform.envFor(worker, overrides));
  };
  return { attempts, fetch, outage: (worker: WorkerName, requests: number) => (down[worker] = requests) };
}

async function signedIn(net: ReturnType<typeof network>, extra: Partial<CodexClientOptions> = {}) {
  const client = createCodexClient({ baseUrls, fetch: net.fetch, cookies: 'jar', retry: FAST, ...extra });
  const reg = await client.POST('/api/auth/email/register', {
    body: { email: uniqueEmail('resilience'), password: 'Sup3r-secret-pass', name: 'Rita Retry' },
  });
  if (reg.error) throw reg.error;
  return { client, user: reg.data.user };
}

/** A port that refuses connections: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A host that accepts connections and never answers. */
async function silentHost(): Promise<number> {
  const server = createServer(() => undefined);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

const slug = () => `res-${Math.random().toString(36).slice(2, 10)}`;

beforeAll(async () => {
  platform = await startLocalPlatform({
    apps,
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test' },
  });
});

afterAll(async () => {
  for (const s of servers) s.close();
  await platform?.close();
});

describe('retries', () => {
  it('retries a creating POST through a 503 with one Idempotency-Key: one row, the same key on both attempts', async () => {
    const net = network();
    const { client, user } = await signedIn(net);
    const s = slug();
    net.outage('content-api', 1);
    const created = await client.POST('/api/content', {
      body: { title: 'Through the outage', slug: s, contentType: 'video' },
    });
    if (created.error) throw created.error;
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ slug: s, visibility: 'public', status: 'draft', creatorId: user.id });

    const tries = net.attempts.filter((a) => a.path === '/api/content');
    expect(tries).toHaveLength(2);
    expect(tries[0]?.idempotencyKey).toMatch(UUID);
    expect(tries[1]?.idempotencyKey).toBe(tries[0]?.idempotencyKey);
    expect(await platform.db.select().from(content).where(eq(content.slug, s))).toHaveLength(1);
  });

  it('retries a GET up to maxRetries, then returns the typed 503', async () => {
    const net = network();
    const { client } = await signedIn(net);
    const created = await client.POST('/api/content', { body: { title: 'Flaky', slug: slug(), contentType: 'audio' } });
    if (created.error) throw created.error;
    const id = created.data.id;

    net.outage('content-api', 2);
    const recovered = await client.GET('/api/content/{id}', { params: { path: { id } } });
    expect(recovered.data?.id).toBe(id);
    expect(net.attempts.filter((a) => a.path === `/api/content/${id}`)).toHaveLength(3);

    net.outage('content-api', 5);
    const before = net.attempts.length;
    const failed = await client.GET('/api/content/{id}', { params: { path: { id } }, maxRetries: 1 });
    expect(net.attempts.length - before).toBe(2);
    expect(failed.data).toBeUndefined();
    const error = failed.error;
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error).toBeInstanceOf(APIError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ status: 503, code: 'DATABASE_UNAVAILABLE', requestId: failed.requestId });
    expect(error?.requestId).toMatch(UUID);
    net.outage('content-api', 0);
  });

  it('does not repeat a POST that carries no Idempotency-Key (publish)', async () => {
    const net = network();
    const { client } = await signedIn(net);
    const created = await client.POST('/api/content', { body: { title: 'Once', slug: slug(), contentType: 'video' } });
    if (created.error) throw created.error;
    net.outage('content-api', 1);
    const published = await client.POST('/api/content/{id}/publish', { params: { path: { id: created.data.id } } });
    expect(published.error?.status).toBe(503);
    const tries = net.attempts.filter((a) => a.path.endsWith('/publish'));
    expect(tries).toEqual([expect.objectContaining({ method: 'POST', idempotencyKey: null })]);
    const [row] = await platform.db.select().from(content).where(eq(content.id, created.data.id));
    expect(row?.status).toBe('draft');
  });

  it('retries a refused connection for a GET, then throws APIConnectionError; a POST without key is tried once', async () => {
    const port = await closedPort();
    let seen = 0;
    const counter: Middleware = {
      onRequest() {
        seen += 1;
        return undefined;
      },
    };
    const client = createCodexClient({
      baseUrls: { ...baseUrls, identity: `http://127.0.0.1:${port}` },
      cookies: 'jar',
      retry: FAST,
    });
    client.use(counter);
    const get = client.GET('/api/organizations');
    await expect(get).rejects.toBeInstanceOf(APIConnectionError);
    await expect(get).rejects.toThrow(/Connection error/);
    expect(seen).toBe(3);

    seen = 0;
    await expect(client.POST('/api/organizations/{id}/leave', { params: { path: { id: 'x' } } })).rejects.toThrow(
      APIConnectionError,
    );
    expect(seen).toBe(1);
  });

  it('times out each attempt, retries, then throws APIConnectionTimeoutError; an abort is never retried', async () => {
    const port = await silentHost();
    const client = createCodexClient({
      baseUrls: { ...baseUrls, identity: `http://127.0.0.1:${port}` },
      cookies: 'jar',
      retry: FAST,
      timeout: 150,
      maxRetries: 1,
    });
    let started = Date.now();
    const timedOut = client.GET('/api/organizations');
    await expect(timedOut).rejects.toBeInstanceOf(APIConnectionTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);

    const controller = new AbortController();
    started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const aborted = client.GET('/api/organizations', { signal: controller.signal, timeout: 10_000, maxRetries: 5 });
    await expect(aborted).rejects.toBeInstanceOf(APIUserAbortError);
    expect(Date.now() - started).toBeLessThan(2000);

    const early = new AbortController();
    early.abort();
    await expect(client.GET('/api/organizations', { signal: early.signal })).rejects.toBeInstanceOf(APIUserAbortError);
  });

  it('a 429 comes back typed with Retry-After; with retries on, the client waits that long and succeeds', {
    timeout: 120_000,
  }, async () => {
    // A short window where the limiter reads RATE_LIMITS (bucket=limit/seconds); else the preset's 100 per 60 s.
    const net = network({ rateLimits: 'api=8/3' });
    const { client } = await signedIn(net, { maxRetries: 0 });
    let limited: RateLimitError | undefined;
    for (let i = 0; i < 200 && !limited; i += 1) {
      const r = await client.GET('/api/organizations', { params: { query: { limit: 1 } } });
      if (r.error instanceof RateLimitError) limited = r.error;
      else if (r.error) throw r.error;
    }
    if (!limited) throw new Error('the api rate limit never answered 429');
    expect(limited).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(limited.retryAfter).toBeGreaterThanOrEqual(1);
    expect(limited.headers.get('retry-after')).toBe(String(limited.retryAfter));

    // A Retry-After beyond what the caller accepts to wait comes back at once, after one attempt.
    const impatient = createCodexClient({
      baseUrls,
      fetch: net.fetch,
      cookies: 'jar',
      retry: { maxRetryAfterSeconds: 0 },
    });
    impatient.session.set(client.session.get());
    let before = net.attempts.length;
    const refused = await impatient.GET('/api/organizations', { params: { query: { limit: 1 } } });
    expect(refused.error?.status).toBe(429);
    expect(net.attempts.length - before).toBe(1);

    const patient = createCodexClient({
      baseUrls,
      fetch: net.fetch,
      cookies: 'jar',
      retry: { ...FAST, maxRetryAfterSeconds: 60 },
    });
    patient.session.set(client.session.get());
    const started = Date.now();
    before = net.attempts.length;
    const waited = await patient.GET('/api/organizations', { params: { query: { limit: 1 } } });
    const tries = net.attempts.length - before;
    expect(waited.error).toBeUndefined();
    expect(waited.data?.pagination.limit).toBe(1);
    expect(tries).toBe(2);
    const asked = Number(limited.headers.get('retry-after'));
    expect(Date.now() - started).toBeGreaterThanOrEqual((asked - 2) * 1000);
  });
});

describe('retry policy', () => {
  const answer = (status: number, headers: Record<string, string> = {}) => new Response(null, { status, headers });

  it('honours Retry-After as seconds and as an HTTP date, refuses to wait past the cap, and backs off with jitter', () => {
    expect(retryAfterResponse(answer(429, { 'retry-after': '3' }), false, 0)).toEqual({
      retry: true,
      delayMs: 3000,
      reason: '429, Retry-After 3 s',
    });
    const at = new Date(Date.now() + 5000).toUTCString();
    const dated = retryAfterResponse(answer(503, { 'retry-after': at }), true, 0);
    expect(dated.retry && dated.delayMs).toBeGreaterThan(3000);
    expect(dated.retry && dated.delayMs).toBeLessThanOrEqual(5000);
    expect(retryAfterResponse(answer(429, { 'retry-after': '900' }), true, 0)).toEqual({ retry: false });
    expect(retryAfterResponse(answer(503), false, 0)).toEqual({ retry: false });
    expect(retryAfterResponse(answer(503), true, 1, FAST)).toMatchObject({ retry: true });
    expect(retryAfterResponse(answer(409), true, 0)).toEqual({ retry: false });
    expect(retryAfterResponse(answer(409, { 'retry-after': '1' }), true, 0)).toMatchObject({ retry: true });
    expect(retryAfterResponse(answer(400), true, 0)).toEqual({ retry: false });
    expect(retryAfterResponse(answer(404), true, 0)).toEqual({ retry: false });

    expect(backoffMs(0, {}, () => 0)).toBe(500);
    expect(backoffMs(1, {}, () => 0)).toBe(1000);
    expect(backoffMs(2, {}, () => 1)).toBe(1500);
    expect(backoffMs(10, {}, () => 0)).toBe(8000);
  });
});

describe('idempotency keys', () => {
  it('sends one with every POST that creates, uses the caller’s, and none with other requests', async () => {
    const net = network();
    const { client } = await signedIn(net);
    const register = net.attempts.find((a) => a.path === '/api/auth/email/register');
    expect(register?.idempotencyKey).toMatch(UUID);

    await client.POST('/api/organizations', { body: { name: 'Keyed', slug: slug() }, idempotencyKey: 'caller-key-1' });
    await client.GET('/api/organizations');
    await client.POST('/api/auth/email/login', { body: { email: 'nobody@example.test', password: 'wrong-password' } });
    const keys = net.attempts.slice(-3).map((a) => [a.method, a.path, a.idempotencyKey]);
    expect(keys).toEqual([
      ['POST', '/api/organizations', 'caller-key-1'],
      ['GET', '/api/organizations', null],
      ['POST', '/api/auth/email/login', null],
    ]);
  });
});

describe('session', () => {
  it('forgets the session when sign-out fails (503, or 401 for a session the server no longer has)', async () => {
    const net = network();
    const { client } = await signedIn(net);
    expect(client.session.get()).toBeTruthy();
    net.outage('auth', 1);
    const out = await client.POST('/api/auth/signout', { maxRetries: 0 });
    expect(out.error).toBeInstanceOf(InternalServerError);
    expect(client.session.get()).toBeUndefined();

    // Sign-out is retried like an idempotent request: through a 503, the session really ends on the server.
    const second = await signedIn(net);
    const session = second.client.session.get();
    net.outage('auth', 1);
    const before = net.attempts.length;
    const ended = await second.client.POST('/api/auth/signout');
    expect(ended.data).toEqual({ success: true });
    expect(net.attempts.length - before).toBe(2);
    second.client.session.set(session);
    expect((await second.client.GET('/api/auth/session')).error?.status).toBe(401);

    client.session.set('not-a-session');
    const again = await client.POST('/api/auth/signout');
    expect(again.error).toBeInstanceOf(AuthenticationError);
    expect(again.error?.code).toBe('SESSION_INVALID');
    expect(client.session.get()).toBeUndefined();
  });

  it('picks the cookie mode from the runtime: jar in Node and the Workers runtime, browser in a page and a Web Worker', () => {
    expect(detectCookieMode()).toBe('jar');
    expect(detectCookieMode({ navigator: { userAgent: 'Cloudflare-Workers' } })).toBe('jar');
    expect(detectCookieMode({ document: {} })).toBe('browser');
    class WorkerGlobalScope {}
    const workerGlobal = Object.assign(Object.create(WorkerGlobalScope.prototype), { WorkerGlobalScope });
    expect(detectCookieMode(workerGlobal)).toBe('browser');
    expect(detectCookieMode({})).toBe('jar');
  });
});

describe('errors', () => {
  it('narrows by status and instanceof, with code, details and request id', async () => {
    const net = network();
    const { client } = await signedIn(net);
    const missing = await client.GET('/api/content/{id}', {
      params: { path: { id: '6f1c1c1e-7a0a-4c3b-9a55-1b7f3a1e0b11' } },
    });
    const error = missing.error;
    if (!error) throw new Error('expected a 404');
    expect(error).toBeInstanceOf(NotFoundError);
    if (error.status === 404) expect(error.name).toBe('NotFoundError');
    expect(error.requestId).toBe(missing.requestId);
    expect(error.message).toMatch(/^404 /);

    const invalid = await client.POST('/api/organizations', { body: { name: 'Bad', slug: 'Not A Slug' } });
    expect(invalid.error?.status).toBe(400);
    expect(invalid.error?.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(invalid.error?.details)).toContain('slug');
    expect(await platform.db.select().from(organizations).where(eq(organizations.slug, 'Not A Slug'))).toHaveLength(0);
  });
});

describe('pagination, middleware, logger, HEAD', () => {
  it('iterates every item across pages and the pages themselves', async () => {
    const net = network();
    const { client } = await signedIn(net);
    const tag = slug();
    for (const n of [1, 2, 3]) {
      const r = await client.POST('/api/organizations', { body: { name: `${tag} ${n}`, slug: `${tag}-${n}` } });
      if (r.error) throw r.error;
    }
    const query = { limit: 1, search: tag, sort: 'name', order: 'asc', scope: 'owned' } as const;
    const names: string[] = [];
    for await (const org of client.paginate('/api/organizations', { params: { query } })) names.push(org.name);
    expect(names).toEqual([`${tag} 1`, `${tag} 2`, `${tag} 3`]);

    const pages: number[] = [];
    for await (const page of client.paginate('/api/organizations', { params: { query } }).pages()) {
      pages.push(page.pagination.page);
      expect(page.pagination).toMatchObject({ limit: 1, total: 3, totalPages: 3 });
    }
    expect(pages).toEqual([1, 2, 3]);

    const none: string[] = [];
    for await (const org of client.paginate('/api/organizations', { params: { query: { search: `${tag}-none` } } })) {
      none.push(org.id);
    }
    expect(none).toEqual([]);
  });

  it('runs middleware on every attempt, logs without signatures, and answers HEAD without a body', async () => {
    const net = network();
    const lines: Array<[string, string]> = [];
    const logger: CodexLogger = {
      debug: (m) => lines.push(['debug', m]),
      info: (m) => lines.push(['info', m]),
      warn: (m) => lines.push(['warn', m]),
      error: (m) => lines.push(['error', m]),
    };
    const { client } = await signedIn(net, { logger, logLevel: 'debug' });
    const seen: string[] = [];
    const tagger: Middleware = {
      onRequest({ request }) {
        seen.push(request.method);
        const headers = new Headers(request.headers);
        headers.set('x-request-id', 'mw-tagged-0001');
        return new Request(request, { headers });
      },
      onResponse({ response }) {
        seen.push(String(response.status));
        return undefined;
      },
    };
    client.use(tagger);
    const created = await client.POST('/api/content', {
      body: { title: 'Logged', slug: slug(), contentType: 'video' },
    });
    expect(created.requestId).toBe('mw-tagged-0001');
    net.outage('content-api', 1);
    const got = await client.GET('/api/content/{id}', { params: { path: { id: created.data?.id ?? '' } } });
    expect(got.data?.title).toBe('Logged');
    expect(seen).toEqual(['POST', '201', 'GET', '503', 'GET', '200']);
    expect(lines.some(([level, m]) => level === 'info' && /retrying GET .*\/api\/content\/.* \(503[),]/.test(m))).toBe(
      true,
    );
    expect(lines.filter(([level]) => level === 'debug').length).toBeGreaterThanOrEqual(6);

    client.eject(tagger);
    const head = await client.worker('content').HEAD('/health');
    expect(head.response.status).toBe(200);
    expect(head.data).toBeUndefined();
    expect(seen).toHaveLength(6);

    // A signed URL is logged without its query values.
    const media = await client.POST('/api/media', {
      body: { title: 'Signed', mediaType: 'audio', mimeType: 'audio/mpeg', fileSizeBytes: 3 },
    });
    if (media.error) throw media.error;
    await client.upload(media.data.upload, new Uint8Array([1, 2, 3]));
    const signature = new URL(media.data.upload.url).searchParams.get('signature') ?? '';
    expect(signature.length).toBeGreaterThan(10);
    expect(lines.some(([, m]) => m.includes('/upload?'))).toBe(true);
    expect(lines.some(([, m]) => m.includes(signature))).toBe(false);
  });
});
