/**
 * Observability across workers: one request id ties the log lines of every worker a request touched (content-api's
 * session lookup forwards x-request-id to the auth worker over AUTH_SERVICE, and auth logs it), authentication
 * events are structured lines without PII, and a rate-limit refusal is logged with the refused request's id.
 * The workers log to the console (one JSON object per line, as Workers Logs collects it); the lines are read here.
 */
import { sessions, users } from '@codex/database';
import { json, type LocalPlatform, registerUser, startLocalPlatform } from '@codex/local';
import authApp from '@codex/worker-auth';
import { outbox } from '@codex/worker-auth/email';
import { SESSION_MEMORY_TTL_MS, sessionCacheKey, sessionTokenOf } from '@codex/worker-kit';
import { eq } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import contentApp from '../src/index';
import { freshIp, UNKNOWN_ID, uid } from './helpers';

type Line = Record<string, unknown> & { service: string; msg: string; requestId?: string; event?: string };

let platform: LocalPlatform;
let spies: MockInstance[] = [];
let lines: Line[] = [];
let raw: string[] = [];

beforeAll(async () => {
  platform = await startLocalPlatform({
    apps: { auth: authApp, 'content-api': contentApp },
    vars: { LOG_LEVEL: 'info', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test' },
  });
});

afterAll(async () => {
  await platform?.close();
});

beforeEach(() => {
  lines = [];
  raw = [];
  const take = (...args: unknown[]) => {
    const text = args.map(String).join(' ');
    raw.push(text);
    try {
      const parsed = JSON.parse(text) as Line;
      if (parsed && typeof parsed === 'object' && 'service' in parsed) lines.push(parsed);
    } catch {
      // not a log line of ours
    }
  };
  spies = (['log', 'info', 'warn', 'error'] as const).map((m) => vi.spyOn(console, m).mockImplementation(take));
});

afterEach(() => {
  for (const s of spies) s.mockRestore();
});

const post = (worker: 'auth' | 'content-api', path: string, body: unknown, headers: Record<string, string> = {}) =>
  platform.request(worker, path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': freshIp(), ...headers },
    body: JSON.stringify(body),
  });

const events = (name: string) => lines.filter((l) => l.event === name);
const cookieValueOf = (cookie: string) => decodeURIComponent(cookie.slice('codex-session='.length));

describe('one request id across content-api → auth', () => {
  it("content-api's session lookup carries the caller's x-request-id to auth, and both workers log it", async () => {
    const user = await registerUser(platform);
    // A cold session cache: content-api must ask the auth worker (over the AUTH_SERVICE binding). KV directly, and
    // this process's memory of the registration by waiting it out.
    await platform.kv.AUTH_SESSION_KV.delete(await sessionCacheKey(sessionTokenOf(cookieValueOf(user.cookie))));
    await new Promise((r) => setTimeout(r, SESSION_MEMORY_TTL_MS + 50));
    lines = [];
    const requestId = `trace-${uid()}-${uid()}`;
    const res = await platform.request('content-api', `/api/access/streaming-url/${UNKNOWN_ID}`, {
      headers: { cookie: user.cookie, 'x-request-id': requestId, 'cf-connecting-ip': freshIp() },
    });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe(requestId);
    expect((await json(res)).requestId).toBe(requestId);

    const tied = lines.filter((l) => l.requestId === requestId);
    const auth = tied.find((l) => l.service === 'auth-worker' && l.msg === 'request');
    const content = tied.find((l) => l.service === 'content-api' && l.msg === 'request');
    expect(auth).toMatchObject({ method: 'GET', path: '/api/auth/session', status: 200 });
    expect(content).toMatchObject({ method: 'GET', status: 404, userId: user.id });
    // Nothing else in the run carries another id for this request.
    expect(lines.filter((l) => l.msg === 'request' && l.path === '/api/auth/session')).toHaveLength(1);
    // The lookup refilled the cache, from the session row.
    expect(await platform.db.select().from(sessions).where(eq(sessions.userId, user.id))).toHaveLength(1);
    expect(
      await platform.kv.AUTH_SESSION_KV.get(await sessionCacheKey(sessionTokenOf(cookieValueOf(user.cookie)))),
    ).not.toBeNull();
  });
});

describe('authentication events', () => {
  it('registration, failed and successful login, logout, password reset: one event each, no email, no token', async () => {
    const email = `obs-${uid()}@example.test`;
    const password = 'Sup3r-secret-pass';
    const reg = await post('auth', '/api/auth/email/register', { email, password, name: 'Olive Obs' });
    expect(reg.status).toBe(201);
    const userId = (await json(reg)).user.id as string;

    const bad = await post('auth', '/api/auth/email/login', { email, password: 'Wrong-password-1' });
    expect(bad.status).toBe(401);
    const badId = bad.headers.get('x-request-id');
    const login = await post('auth', '/api/auth/email/login', { email, password });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const out = await post('auth', '/api/auth/signout', undefined, { cookie });
    expect(out.status).toBe(200);

    expect(await post('auth', '/api/auth/email/send-reset-password-email', { email })).toHaveProperty('status', 200);
    const link = outbox.filter((m) => m.to === email && m.kind === 'reset-password').at(-1)?.link ?? '';
    const token = new URL(link).searchParams.get('token') ?? '';
    const reset = await post('auth', '/api/auth/email/reset-password', { token, newPassword: 'An0ther-pass-word' });
    expect(reset.status).toBe(200);

    expect(events('auth.register.succeeded')).toEqual([expect.objectContaining({ userId, level: 'info' })]);
    const [failed] = events('auth.login.failed');
    expect(failed).toMatchObject({ level: 'warn', reason: 'invalid_credentials', requestId: badId });
    expect(failed?.emailFingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(failed).not.toHaveProperty('userId');
    expect(events('auth.login.succeeded')).toEqual([expect.objectContaining({ userId })]);
    expect(events('auth.logout.succeeded')).toEqual([expect.objectContaining({ userId })]);
    const [requested] = events('auth.password_reset.requested');
    // The same address always gets the same fingerprint (attempts on one account can be grouped).
    expect(requested?.emailFingerprint).toBe(failed?.emailFingerprint);
    expect(events('auth.password_reset.completed')).toEqual([expect.objectContaining({ userId })]);

    // No PII and no secret in any line: not the address, not the password, not the session or reset token.
    const sessionToken = sessionTokenOf(cookieValueOf(cookie));
    for (const text of raw) {
      expect(text).not.toContain(email);
      expect(text).not.toContain(password);
      expect(text).not.toContain(sessionToken);
      expect(text).not.toContain(token);
    }
    // The database effect: the account exists, every session ended with the reset.
    const [row] = await platform.db.select().from(users).where(eq(users.email, email));
    expect(row?.id).toBe(userId);
    expect(await platform.db.select().from(sessions).where(eq(sessions.userId, userId))).toHaveLength(0);
  });

  it('a rate-limit refusal is one structured warning with the refused request id and no IP', async () => {
    const ip = freshIp();
    const attempt = () =>
      post(
        'auth',
        '/api/auth/email/login',
        { email: `nobody-${uid()}@example.test`, password: 'Wrong-password-1' },
        {
          'cf-connecting-ip': ip,
        },
      );
    let refused: Response | undefined;
    for (let i = 0; i < 20 && !refused; i++) {
      const res = await attempt();
      if (res.status === 429) refused = res;
      else expect(res.status).toBe(401);
    }
    expect(refused?.status).toBe(429);
    const body = await json(refused as Response);
    expect(body.error.code).toBe('RATE_LIMITED');
    const line = events('rate_limit.refused').at(-1);
    expect(line).toMatchObject({
      level: 'warn',
      service: 'auth-worker',
      bucket: 'login',
      keyKind: 'ip',
      requestId: refused?.headers.get('x-request-id'),
    });
    expect(JSON.stringify(line)).not.toContain(ip);
  });
});
