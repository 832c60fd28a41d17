import { accounts, sessions, users } from '@codex/database';
import type { LocalPlatform } from '@codex/local';
import { sessionCacheKey } from '@codex/worker-kit';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accountRows,
  cacheEntry,
  cookieFrom,
  freshIp,
  login,
  PASSWORD,
  register,
  seenBodies,
  send,
  sessionRows,
  sessionSetCookie,
  startAuthPlatform,
  tokenOf,
  uniqueEmail,
  userRow,
  withoutRequestFields,
} from './helpers';

let platform: LocalPlatform;
/** Session tokens handed out in this file (checked against every response body at the end). */
const tokens: string[] = [];

beforeAll(async () => {
  platform = await startAuthPlatform();
});

afterAll(async () => {
  await platform?.close();
});

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('register', () => {
  it('creates the user, the credential account and a 24 h session, and sets only codex-session', async () => {
    const email = uniqueEmail('reg');
    const before = Date.now();
    const { res, body } = await send(platform, 'POST', '/api/auth/email/register', {
      body: { email, password: PASSWORD, name: 'Ada Lovelace' },
    });
    expect(res.status).toBe(201);
    expect(Object.keys(body).sort()).toEqual(['session', 'user']);
    expect(Object.keys(body.user).sort()).toEqual(
      ['createdAt', 'email', 'emailVerified', 'id', 'image', 'name', 'role', 'updatedAt'].sort(),
    );
    expect(body.user).toMatchObject({ email, name: 'Ada Lovelace', role: 'viewer', emailVerified: false, image: null });
    expect(body.user.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(body.user.createdAt).toMatch(ISO);
    expect(Object.keys(body.session).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'userId']);
    expect(body.session.userId).toBe(body.user.id);
    const expiresIn = Date.parse(body.session.expiresAt) - before;
    expect(expiresIn).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3600_000 + 60_000);

    // The cookie: exactly one, named codex-session, HttpOnly, SameSite=Strict, Secure (ENVIRONMENT=test), 24 h.
    const line = sessionSetCookie(res);
    const attrs = line.split(';').map((s) => s.trim().toLowerCase());
    expect(attrs).toContain('httponly');
    expect(attrs).toContain('samesite=strict');
    expect(attrs).toContain('secure');
    expect(attrs).toContain('path=/');
    expect(attrs).toContain('max-age=86400');
    const cookie = cookieFrom(res);
    const token = tokenOf(cookie);
    tokens.push(token);

    // Database effects.
    const user = await userRow(platform, email);
    expect(user).toMatchObject({ id: body.user.id, name: 'Ada Lovelace', role: 'viewer', emailVerified: false });
    const accs = await accountRows(platform, body.user.id);
    expect(accs).toHaveLength(1);
    expect(accs[0]).toMatchObject({ providerId: 'credential', accountId: body.user.id });
    expect(accs[0]?.password).toMatch(/^\$2[aby]\$10\$/);
    const rows = await sessionRows(platform, body.user.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: body.session.id, token, ipAddress: expect.any(String) });
    expect(rows[0]?.expiresAt.toISOString()).toBe(body.session.expiresAt);

    // Pattern 1 step 6: the session is cached in KV for other workers.
    expect(await cacheEntry(platform, cookie)).not.toBeNull();
  });

  it('normalizes the email to lowercase and refuses the same address in any case with 409', async () => {
    const local = uniqueEmail('Case');
    const mixed = `  ${local.toUpperCase()} `;
    const first = await register(platform, { email: mixed });
    expect(first.body.user.email).toBe(local.toLowerCase());
    tokens.push(tokenOf(first.cookie));

    const again = await send(platform, 'POST', '/api/auth/email/register', {
      body: { email: local.toLowerCase(), password: 'another-password', name: 'Impostor' },
    });
    expect(again.res.status).toBe(409);
    expect(again.body.error.code).toBe('EMAIL_TAKEN');
    expect(again.res.headers.getSetCookie()).toEqual([]);

    const rows = await platform.db.select().from(users).where(eq(users.email, local.toLowerCase()));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.name).toBe('Ada Lovelace');
    expect(await accountRows(platform, first.userId)).toHaveLength(1);
    expect(await sessionRows(platform, first.userId)).toHaveLength(1);
  });

  it('lets exactly one of several concurrent registrations of one address win; the others get 409, never a 500', async () => {
    const email = uniqueEmail('race');
    const attempts = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        send(platform, 'POST', '/api/auth/email/register', {
          body: { email: i % 2 ? email.toUpperCase() : email, password: PASSWORD, name: `Racer ${i}` },
        }),
      ),
    );
    const statuses = attempts.map((a) => a.res.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409]);
    for (const a of attempts.filter((x) => x.res.status === 409)) expect(a.body.error.code).toBe('EMAIL_TAKEN');
    const winner = attempts.find((a) => a.res.status === 201);
    tokens.push(tokenOf(cookieFrom(winner?.res as Response)));
    const rows = await platform.db.select().from(users).where(eq(users.email, email));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.id).toBe(winner?.body.user.id);
    expect(await accountRows(platform, rows[0]?.id as string)).toHaveLength(1);
    expect(await sessionRows(platform, rows[0]?.id as string)).toHaveLength(1);
  });

  it.each([
    ['role', { role: 'admin' }],
    ['emailVerified', { emailVerified: true }],
    ['id', { id: '00000000-0000-4000-8000-000000000000' }],
    ['image', { image: 'https://evil.example/x.png' }],
  ])('rejects the server-owned field %s with 400 and creates nothing', async (field, extra) => {
    const email = uniqueEmail('strict');
    const { res, body } = await send(platform, 'POST', '/api/auth/email/register', {
      body: { email, password: PASSWORD, name: 'Mallory', ...extra },
    });
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(body.error.details)).toContain(field);
    expect(res.headers.getSetCookie()).toEqual([]);
    expect(await userRow(platform, email)).toBeUndefined();
  });

  it('leaves an existing user unchanged when a registration for it tries to set its role', async () => {
    const existing = await register(platform);
    tokens.push(tokenOf(existing.cookie));
    const { res } = await send(platform, 'POST', '/api/auth/email/register', {
      body: { email: existing.email, password: PASSWORD, name: 'Ada Lovelace', role: 'admin', emailVerified: true },
    });
    expect(res.status).toBe(400);
    const row = await userRow(platform, existing.email);
    expect(row).toMatchObject({ role: 'viewer', emailVerified: false });
  });

  it.each([
    ['a 7-character password', { password: 'a'.repeat(7) }, 'password'],
    ['a 129-character password', { password: 'a'.repeat(129) }, 'password'],
    ['an empty name', { name: '' }, 'name'],
    ['a 101-character name', { name: 'n'.repeat(101) }, 'name'],
    ['an invalid email', { email: 'not-an-email' }, 'email'],
    ['a missing field', { name: undefined }, 'name'],
  ])('refuses %s with 400 naming the field and creates nothing', async (_label, fields, field) => {
    const email = uniqueEmail('invalid');
    const { res, body } = await send(platform, 'POST', '/api/auth/email/register', {
      body: { email, password: PASSWORD, name: 'Valid Name', ...fields },
    });
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('VALIDATION_ERROR');
    expect(body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(await userRow(platform, email)).toBeUndefined();
  });

  it('accepts 8- and 128-character passwords (all 128 count: a longer variant does not match)', async () => {
    const short = await register(platform, { password: 'p'.repeat(8) });
    tokens.push(tokenOf(short.cookie));
    const long = 'L'.repeat(100) + 'x'.repeat(28);
    const reg = await register(platform, { password: long });
    tokens.push(tokenOf(reg.cookie));
    const ok = await login(platform, reg.email, long);
    tokens.push(tokenOf(ok.cookie));
    // Same first 72+ bytes, different tail: bcrypt alone would accept it.
    const wrong = await send(platform, 'POST', '/api/auth/email/login', {
      body: { email: reg.email, password: `${'L'.repeat(100)}${'y'.repeat(28)}` },
    });
    expect(wrong.res.status).toBe(401);
  });

  it('answers malformed JSON, a wrong content type and an oversized body in the envelope', async () => {
    const malformed = await send(platform, 'POST', '/api/auth/email/register', { rawBody: '{"email": "a@b.c",' });
    expect(malformed.res.status).toBe(400);
    expect(malformed.body.error.code).toBe('MALFORMED_JSON');
    expect(malformed.body.requestId).toEqual(expect.any(String));

    const form = await send(platform, 'POST', '/api/auth/email/login', {
      rawBody: 'email=a@b.c&password=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form.res.status).toBe(415);
    expect(form.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');

    const huge = await send(platform, 'POST', '/api/auth/email/register', {
      rawBody: JSON.stringify({ email: 'big@example.test', password: PASSWORD, name: 'x'.repeat(1024 * 1024 + 10) }),
    });
    expect(huge.res.status).toBe(413);
    expect(huge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await userRow(platform, 'big@example.test')).toBeUndefined();
  });

  it('limits registrations to 10 per 15 minutes per IP, counting refused attempts, before reading the body', async () => {
    const ip = freshIp();
    for (let i = 0; i < 10; i++) {
      const { res } = await send(platform, 'POST', '/api/auth/email/register', { ip, rawBody: '{broken' });
      expect(res.status).toBe(400);
    }
    const email = uniqueEmail('limited');
    const { res, body } = await send(platform, 'POST', '/api/auth/email/register', {
      ip,
      body: { email, password: PASSWORD, name: 'Late' },
    });
    expect(res.status).toBe(429);
    expect(body.error.code).toBe('RATE_LIMITED');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await userRow(platform, email)).toBeUndefined();
  });

  it('does not set Secure in development (plain http://localhost)', async () => {
    const { res } = await send(platform, 'POST', '/api/auth/email/register', {
      body: { email: uniqueEmail('dev'), password: PASSWORD, name: 'Dev' },
      env: { ENVIRONMENT: 'development' },
    });
    expect(res.status).toBe(201);
    const attrs = sessionSetCookie(res)
      .split(';')
      .map((s) => s.trim().toLowerCase());
    expect(attrs).toContain('httponly');
    expect(attrs).toContain('samesite=strict');
    expect(attrs).not.toContain('secure');
    tokens.push(tokenOf(cookieFrom(res)));
  });
});

describe('login, session, sign-out', () => {
  it('walks register → session → login → sign-out, and the signed-out cookie is refused at once', async () => {
    const reg = await register(platform);
    tokens.push(tokenOf(reg.cookie));

    const session = await send(platform, 'GET', '/api/auth/session', { cookie: reg.cookie });
    expect(session.res.status).toBe(200);
    expect(session.body).toEqual(reg.body);
    expect(session.res.headers.get('cache-control')).toBe('no-store');

    const signedIn = await login(platform, reg.email.toUpperCase());
    tokens.push(tokenOf(signedIn.cookie));
    expect(signedIn.body.user).toEqual(reg.body.user);
    expect(signedIn.body.session.id).not.toBe(reg.body.session.id);
    const attrs = sessionSetCookie(signedIn.res)
      .split(';')
      .map((s) => s.trim().toLowerCase());
    expect(attrs).toEqual(expect.arrayContaining(['httponly', 'samesite=strict', 'secure', 'max-age=86400']));
    expect(await sessionRows(platform, reg.userId)).toHaveLength(2);

    // Warm the cache for the login cookie, then sign out with it.
    expect((await send(platform, 'GET', '/api/auth/session', { cookie: signedIn.cookie })).res.status).toBe(200);
    expect(await cacheEntry(platform, signedIn.cookie)).not.toBeNull();

    const out = await send(platform, 'POST', '/api/auth/signout', { cookie: signedIn.cookie });
    expect(out.res.status).toBe(200);
    expect(out.body).toEqual({ success: true });
    const cleared = sessionSetCookie(out.res).toLowerCase();
    expect(cleared.startsWith('codex-session=;')).toBe(true);
    expect(cleared).toContain('max-age=0');

    // The row and the cache entry are gone; the same cookie is refused immediately.
    const rows = await sessionRows(platform, reg.userId);
    expect(rows.map((r) => r.id)).toEqual([reg.body.session.id]);
    expect(await cacheEntry(platform, signedIn.cookie)).toBeNull();
    const after = await send(platform, 'GET', '/api/auth/session', { cookie: signedIn.cookie });
    expect(after.res.status).toBe(401);
    expect(after.body.error.code).toBe('SESSION_INVALID');
    const twice = await send(platform, 'POST', '/api/auth/signout', { cookie: signedIn.cookie });
    expect(twice.res.status).toBe(401);

    // The other session of the user is untouched.
    expect((await send(platform, 'GET', '/api/auth/session', { cookie: reg.cookie })).res.status).toBe(200);
  });

  it('answers a warm session from the KV cache without touching the database', async () => {
    const reg = await register(platform);
    tokens.push(tokenOf(reg.cookie));
    expect(await cacheEntry(platform, reg.cookie)).not.toBeNull();
    // No database binding at all: a cache hit still answers, a miss cannot.
    const noDb = { EMBEDDED_DB: undefined, DATABASE_URL: undefined };
    const hit = await send(platform, 'GET', '/api/auth/session', { cookie: reg.cookie, env: noDb });
    expect(hit.res.status).toBe(200);
    expect(hit.body).toEqual(reg.body);
    await platform.kv.AUTH_SESSION_KV.delete(await sessionCacheKey(tokenOf(reg.cookie)));
    const miss = await send(platform, 'GET', '/api/auth/session', { cookie: reg.cookie, env: noDb });
    expect(miss.res.status).toBe(503);
    // Back with the database: the miss is answered and cached again.
    const again = await send(platform, 'GET', '/api/auth/session', { cookie: reg.cookie });
    expect(again.res.status).toBe(200);
    expect(again.body).toEqual(reg.body);
    expect(await cacheEntry(platform, reg.cookie)).not.toBeNull();
  });

  it('refuses missing, unsigned and forged cookies with 401', async () => {
    const reg = await register(platform);
    tokens.push(tokenOf(reg.cookie));
    const token = tokenOf(reg.cookie);
    const cases = [
      undefined,
      `codex-session=${token}`,
      `codex-session=${token}.${encodeURIComponent('A'.repeat(43))}%3D`,
      'codex-session=garbage',
      `better-auth.session_token=${reg.cookie.slice('codex-session='.length)}`,
    ];
    for (const cookie of cases) {
      const sent = await send(platform, 'GET', '/api/auth/session', cookie ? { cookie } : {});
      expect(sent.res.status, String(cookie)).toBe(401);
      const sessionCookieSent = cookie?.startsWith('codex-session=') ?? false;
      expect(sent.body.error.code).toBe(sessionCookieSent ? 'SESSION_INVALID' : 'AUTHENTICATION_REQUIRED');
      const out = await send(platform, 'POST', '/api/auth/signout', cookie ? { cookie } : {});
      expect(out.res.status, String(cookie)).toBe(401);
    }
    // None of that ended the real session.
    expect(await sessionRows(platform, reg.userId)).toHaveLength(1);
  });

  it('gives an unknown email and a wrong password the same 401', async () => {
    const reg = await register(platform);
    tokens.push(tokenOf(reg.cookie));
    const wrong = await send(platform, 'POST', '/api/auth/email/login', {
      body: { email: reg.email, password: 'wrong-password' },
    });
    const unknown = await send(platform, 'POST', '/api/auth/email/login', {
      body: { email: uniqueEmail('nobody'), password: 'wrong-password' },
    });
    expect(wrong.res.status).toBe(401);
    expect(unknown.res.status).toBe(401);
    expect(withoutRequestFields(wrong.body)).toEqual(withoutRequestFields(unknown.body));
    expect(wrong.body.error).toEqual({ code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' });
    expect(wrong.res.headers.getSetCookie()).toEqual([]);
    expect(unknown.res.headers.getSetCookie()).toEqual([]);
    expect(await sessionRows(platform, reg.userId)).toHaveLength(1);
  });

  it('refuses extra fields on login with 400', async () => {
    const reg = await register(platform);
    tokens.push(tokenOf(reg.cookie));
    const { res, body } = await send(platform, 'POST', '/api/auth/email/login', {
      body: { email: reg.email, password: PASSWORD, rememberMe: false },
    });
    expect(res.status).toBe(400);
    expect(body.error.code).toBe('VALIDATION_ERROR');
    expect(await sessionRows(platform, reg.userId)).toHaveLength(1);
  });

  it('refuses the 11th login attempt from one IP with 429 and Retry-After; other IPs are unaffected', async () => {
    const reg = await register(platform);
    tokens.push(tokenOf(reg.cookie));
    const ip = freshIp();
    const remaining: string[] = [];
    for (let i = 0; i < 10; i++) {
      const { res } = await send(platform, 'POST', '/api/auth/email/login', {
        ip,
        body: { email: reg.email, password: 'nope-nope' },
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('x-ratelimit-limit')).toBe('10');
      expect(Number(res.headers.get('x-ratelimit-reset'))).toBeLessThanOrEqual(15 * 60);
      remaining.push(res.headers.get('x-ratelimit-remaining') ?? '');
    }
    expect(remaining).toEqual(['9', '8', '7', '6', '5', '4', '3', '2', '1', '0']);
    const limited = await send(platform, 'POST', '/api/auth/email/login', {
      ip,
      body: { email: reg.email, password: PASSWORD },
    });
    expect(limited.res.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    const retryAfter = Number(limited.res.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    expect(limited.res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.res.headers.get('x-ratelimit-reset')).toBe(String(retryAfter));
    expect(limited.res.headers.getSetCookie()).toEqual([]);
    expect(await sessionRows(platform, reg.userId)).toHaveLength(1);

    const elsewhere = await send(platform, 'POST', '/api/auth/email/login', {
      body: { email: reg.email, password: PASSWORD },
    });
    expect(elsewhere.res.status).toBe(200);
    tokens.push(tokenOf(cookieFrom(elsewhere.res)));
  });
});

describe('secrets', () => {
  it('never returned a password hash or a session token in any body', async () => {
    const hashes = (await platform.db.select({ password: accounts.password }).from(accounts)).map((r) => r.password);
    const liveTokens = (await platform.db.select({ token: sessions.token }).from(sessions)).map((r) => r.token);
    const secrets = [...new Set([...tokens, ...liveTokens, ...hashes.filter((h): h is string => !!h)])];
    expect(secrets.length).toBeGreaterThan(10);
    for (const text of seenBodies) {
      expect(text).not.toMatch(/\$2[aby]\$/);
      for (const s of secrets) expect(text.includes(s)).toBe(false);
    }
  });
});
