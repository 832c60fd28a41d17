/**
 * The rate-limit middleware through real workers on the local platform (the RateLimiter Durable Object in
 * Miniflare): the RATE_LIMITS override, headers, the refusal log event, one budget across workers, failing closed.
 */
import { organizations } from '@codex/database';
import { json, jsonInit, type LocalPlatform, registerUser, startLocalPlatform, type TestUser } from '@codex/local';
import authApp from '@codex/worker-auth';
import contentApp from '@codex/worker-content-api';
import identityApp from '@codex/worker-identity-api';
import {
  callRateLimiter,
  effectivePreset,
  maxLease,
  parseRateLimitOverrides,
  RATE_LIMIT_PRESETS,
} from '@codex/worker-kit';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

let platform: LocalPlatform;
let user: TestUser;
let ipCounter = 0;
const freshIp = () => `192.0.2.${++ipCounter}`;

type Worker = 'identity-api' | 'content-api';
const apps = { 'identity-api': identityApp, 'content-api': contentApp };

/** A request to a worker with extra vars (e.g. RATE_LIMITS) over the platform's bindings. */
function call(worker: Worker, path: string, init: RequestInit, env: Record<string, unknown> = {}) {
  const req = new Request(new URL(path, 'http://localhost'), init);
  return apps[worker].fetch(req, platform.envFor(worker, env));
}

const checkSlug = (ip: string, env: Record<string, unknown> = {}, cookie?: string) =>
  call(
    'identity-api',
    `/api/organizations/check-slug/free-${Math.random().toString(36).slice(2, 8)}`,
    jsonInit('GET', undefined, cookie, { 'cf-connecting-ip': ip }),
    env,
  );

const headersOf = (res: Response) => ({
  status: res.status,
  limit: res.headers.get('x-ratelimit-limit'),
  remaining: res.headers.get('x-ratelimit-remaining'),
});

beforeAll(async () => {
  platform = await startLocalPlatform({
    apps: { auth: authApp, ...apps },
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test' },
  });
  user = await registerUser(platform, { name: 'Rita Limit' });
});

afterAll(async () => {
  await platform?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('RATE_LIMITS override', () => {
  it('replaces a preset: api=3/60 lets three through, then 429 with the headers and Retry-After', async () => {
    const ip = freshIp();
    const env = { RATE_LIMITS: 'api=3/60' };
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await checkSlug(ip, env));
    expect(answers.map(headersOf)).toEqual([
      { status: 200, limit: '3', remaining: '2' },
      { status: 200, limit: '3', remaining: '1' },
      { status: 200, limit: '3', remaining: '0' },
      { status: 429, limit: '3', remaining: '0' },
    ]);
    const refused = answers[3] as Response;
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.headers.get('x-ratelimit-reset')).toBe(String(retryAfter));
    expect((await json(refused)).error).toEqual({
      code: 'RATE_LIMITED',
      message: 'Too many requests, retry later',
      details: { retryAfterSeconds: retryAfter },
    });
  });

  it('reads bucket=limit/seconds entries and sets aside the ones it cannot read', () => {
    const parsed = parseRateLimitOverrides(' api=20/60, login=10/900 ,webhook=lots/60,register=0/900,=5/5,x');
    expect(Object.fromEntries(parsed.limits)).toEqual({
      api: { limit: 20, windowSeconds: 60 },
      login: { limit: 10, windowSeconds: 900 },
    });
    expect(parsed.invalid).toEqual(['webhook=lots/60', 'register=0/900', '=5/5', 'x']);
  });

  it('an unreadable entry leaves the preset in force', async () => {
    const res = await checkSlug(freshIp(), { RATE_LIMITS: 'api=lots/60' });
    expect(headersOf(res)).toEqual({ status: 200, limit: '100', remaining: '99' });
  });
});

describe('budgets', () => {
  it("one API budget per user across workers: identity-api and content-api spend the same user's 4", async () => {
    const env = { RATE_LIMITS: 'api=4/60' };
    const u = await registerUser(platform);
    const list = (w: Worker, path: string) => call(w, path, jsonInit('GET', undefined, u.cookie), env);
    const statuses = [
      (await list('identity-api', '/api/organizations')).status,
      (await list('content-api', `/api/content/${u.id}/list`)).status,
      (await list('identity-api', '/api/organizations')).status,
      (await list('content-api', `/api/content/${u.id}/list`)).status,
      (await list('identity-api', '/api/organizations')).status,
      (await list('content-api', `/api/content/${u.id}/list`)).status,
    ];
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
    // The user's budget is theirs: another user (and the IP) are unaffected.
    const other = await registerUser(platform);
    expect(
      (await call('identity-api', '/api/organizations', jsonInit('GET', undefined, other.cookie), env)).status,
    ).toBe(200);
  });

  it('calls without a valid session spend the IP budget on signed-in routes: 401, 401, then 429', async () => {
    const ip = freshIp();
    const env = { RATE_LIMITS: 'api=2/60' };
    const create = (cookie?: string) =>
      call(
        'identity-api',
        '/api/organizations',
        jsonInit('POST', { name: 'Nope', slug: `nope-${ipCounter}` }, cookie, { 'cf-connecting-ip': ip }),
        env,
      );
    const first = await create();
    const second = await create('codex-session=forged.value');
    const third = await create();
    expect([first.status, second.status, third.status]).toEqual([401, 401, 429]);
    expect((await json(second)).error.code).toBe('SESSION_INVALID');
    expect((await json(third)).error.code).toBe('RATE_LIMITED');
    expect(
      await platform.db
        .select()
        .from(organizations)
        .where(eq(organizations.slug, `nope-${ipCounter}`)),
    ).toEqual([]);
  });
});

describe('leases', () => {
  it('at a high limit a busy key asks its counter a few times, never lets more than the limit through', async () => {
    const overrides = 'api=300/60';
    const env = { RATE_LIMITS: overrides };
    expect(maxLease(300)).toBe(3);
    const ip = freshIp();
    const asks = vi.spyOn(platform.rateLimiter, 'getByName');
    const answers = await Promise.all(Array.from({ length: 400 }, () => checkSlug(ip, env)));
    const counterCalls = asks.mock.calls.length;
    asks.mockRestore();
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(300);
    expect(statuses.filter((s) => s === 429)).toHaveLength(100);
    // Each request let through saw its own remainder: 299 … 0, each once.
    const remaining = answers
      .filter((r) => r.status === 200)
      .map((r) => Number(r.headers.get('x-ratelimit-remaining')))
      .sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: 300 }, (_, i) => i));
    // The counter granted exactly what went through (one isolate wastes nothing) in leases of up to 3…
    const counter = await callRateLimiter(
      platform.rateLimiter,
      effectivePreset(RATE_LIMIT_PRESETS.api, overrides),
      `ip:${ip}`,
      'peek',
    );
    expect(counter).toMatchObject({ limit: 300, remaining: 0 });
    expect(counterCalls).toBeGreaterThanOrEqual(100);
    expect(counterCalls).toBeLessThan(300);
    // …and the refusals after it answered "none left" did not ask again.
    const before = vi.spyOn(platform.rateLimiter, 'getByName');
    expect((await checkSlug(ip, env)).status).toBe(429);
    expect(before).not.toHaveBeenCalled();
    before.mockRestore();
  });

  it('at the api preset (100) every request asks: exact across workers', async () => {
    expect(maxLease(RATE_LIMIT_PRESETS.api.limit)).toBe(1);
    const ip = freshIp();
    const asks = vi.spyOn(platform.rateLimiter, 'getByName');
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await checkSlug(ip));
    expect(asks).toHaveBeenCalledTimes(5);
    asks.mockRestore();
    expect(answers.map((r) => r.headers.get('x-ratelimit-remaining'))).toEqual(['99', '98', '97', '96', '95']);
  });
});

describe('refusal log', () => {
  it('one structured event per refusal: bucket, key kind and a tag of the key — never the user id or the IP', async () => {
    const ip = freshIp();
    const env = { RATE_LIMITS: 'api=1/60', LOG_LEVEL: 'warn' };
    const lines: string[] = [];
    vi.spyOn(console, 'warn').mockImplementation((line: unknown) => void lines.push(String(line)));
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const signedIn = () =>
      call(
        'identity-api',
        '/api/organizations',
        jsonInit('GET', undefined, user.cookie, { 'cf-connecting-ip': ip }),
        env,
      );
    expect((await signedIn()).status).toBe(200);
    expect((await signedIn()).status).toBe(429);
    expect((await signedIn()).status).toBe(429);
    expect((await checkSlug(ip, env)).status).toBe(200);
    expect((await checkSlug(ip, env)).status).toBe(429);

    const events = lines.map((l) => JSON.parse(l)).filter((e) => e.event === 'rate_limit.refused');
    expect(events).toHaveLength(3);
    const [u1, u2, anon] = events;
    expect(u1).toMatchObject({
      level: 'warn',
      msg: 'rate limit refused',
      service: 'identity-api',
      bucket: 'api',
      keyKind: 'user',
      limit: 1,
      windowSeconds: 60,
      retryAfterSeconds: expect.any(Number),
      requestId: expect.any(String),
    });
    expect(u1.keyTag).toMatch(/^[0-9a-f]{12}$/);
    expect(u2.keyTag).toBe(u1.keyTag);
    expect(anon).toMatchObject({ bucket: 'api', keyKind: 'ip' });
    expect(anon.keyTag).not.toBe(u1.keyTag);
    for (const line of lines) {
      expect(line).not.toContain(user.id);
      expect(line).not.toContain(user.email);
      expect(line).not.toContain(ip);
    }
  });
});

describe('fails closed', () => {
  it('without the RATE_LIMITER binding a limited route answers 503 RATE_LIMITER_UNAVAILABLE and does nothing', async () => {
    const slug = `closed-${ipCounter}-${Date.now().toString(36)}`;
    const res = await call(
      'identity-api',
      '/api/organizations',
      jsonInit('POST', { name: 'Closed', slug }, user.cookie, { 'cf-connecting-ip': freshIp() }),
      { RATE_LIMITER: undefined },
    );
    expect(res.status).toBe(503);
    expect((await json(res)).error.code).toBe('RATE_LIMITER_UNAVAILABLE');
    expect(await platform.db.select().from(organizations).where(eq(organizations.slug, slug))).toEqual([]);
  });
});
