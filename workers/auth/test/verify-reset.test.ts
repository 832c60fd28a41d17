import { sessions, verificationTokens } from '@codex/database';
import type { LocalPlatform } from '@codex/local';
import { sessionCacheKey } from '@codex/worker-kit';
import { and, eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cacheEntry,
  freshIp,
  lastEmail,
  login,
  PASSWORD,
  register,
  seenBodies,
  send,
  sessionRows,
  signJwt,
  startAuthPlatform,
  TEST_SECRET,
  tokenFromLink,
  tokenOf,
  uniqueEmail,
  userRow,
  withoutRequestFields,
} from './helpers';

let platform: LocalPlatform;

beforeAll(async () => {
  platform = await startAuthPlatform();
});

afterAll(async () => {
  await platform?.close();
});

function linkPath(link: string) {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}

describe('email verification', () => {
  it('emails a link on register; opening it shows a self-contained page and verifies at once, cache included', async () => {
    const reg = await register(platform);
    const mail = lastEmail(reg.email, 'verify-email');
    expect(mail).toBeDefined();
    expect(mail?.subject).toBe('Confirm your email address');
    expect(mail?.link).toMatch(/^http:\/\/localhost:42069\/api\/auth\/verify-email\?token=[\w.-]+$/);
    expect(mail?.text).toContain(mail?.link);

    // Warm the cache with emailVerified: false.
    const before = await send(platform, 'GET', '/api/auth/session', { cookie: reg.cookie });
    expect(before.body.user.emailVerified).toBe(false);
    expect(await cacheEntry(platform, reg.cookie)).not.toBeNull();

    const page = await send(platform, 'GET', linkPath(mail?.link ?? ''));
    expect(page.res.status).toBe(200);
    expect(page.res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.text).toContain('Email verified');
    // Self-contained: no external resource, no script; the CSP allows only its own nonce'd style.
    expect(page.text).not.toMatch(/<script|<link|src=|href=|@import|url\(/i);
    const csp = page.res.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'none'/);
    const nonce = /style-src 'nonce-([0-9a-f]+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(page.text).toContain(`<style nonce="${nonce}">`);
    expect(page.res.headers.get('cache-control')).toBe('no-store');

    expect((await userRow(platform, reg.email))?.emailVerified).toBe(true);
    // The cached session was evicted: the next answer is fresh.
    expect(await cacheEntry(platform, reg.cookie)).toBeNull();
    const after = await send(platform, 'GET', '/api/auth/session', { cookie: reg.cookie });
    expect(after.res.status).toBe(200);
    expect(after.body.user.emailVerified).toBe(true);

    // The link again: still fine (idempotent while the token is valid).
    const again = await send(platform, 'GET', linkPath(mail?.link ?? ''));
    expect(again.res.status).toBe(200);
  });

  it('shows the "link invalid" page (400) for a bad, missing, foreign-signed or expired token, and verifies nothing', async () => {
    const reg = await register(platform);
    const foreign = await signJwt(
      { email: reg.email, userId: reg.userId, exp: Math.floor(Date.now() / 1000) + 3600 },
      'x'.repeat(40),
    );
    const expired = await signJwt(
      { email: reg.email, userId: reg.userId, iat: 1, exp: Math.floor(Date.now() / 1000) - 60 },
      TEST_SECRET,
    );
    const otherUser = await signJwt(
      { email: reg.email, userId: '00000000-0000-4000-8000-000000000000', exp: Math.floor(Date.now() / 1000) + 3600 },
      TEST_SECRET,
    );
    for (const query of [
      '?token=not-a-token',
      '',
      '?token=',
      `?token=${foreign}`,
      `?token=${expired}`,
      `?token=${otherUser}`,
    ]) {
      const page = await send(platform, 'GET', `/api/auth/verify-email${query}`);
      expect(page.res.status, query).toBe(400);
      expect(page.res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.text).toContain('Link invalid or expired');
      expect(page.text).not.toMatch(/<script|src=|href=/i);
    }
    expect((await userRow(platform, reg.email))?.emailVerified).toBe(false);
  });

  it('verifies through the JSON route and returns the user', async () => {
    const reg = await register(platform);
    const token = tokenFromLink(lastEmail(reg.email, 'verify-email')?.link ?? '');
    await send(platform, 'GET', '/api/auth/session', { cookie: reg.cookie });
    expect(await cacheEntry(platform, reg.cookie)).not.toBeNull();

    const { res, body } = await send(platform, 'POST', '/api/auth/email/verify-email', { body: { token } });
    expect(res.status).toBe(200);
    expect(body).toEqual({
      verified: true,
      user: { ...reg.body.user, emailVerified: true, updatedAt: expect.any(String) },
    });
    expect((await userRow(platform, reg.email))?.emailVerified).toBe(true);
    expect(await cacheEntry(platform, reg.cookie)).toBeNull();

    const replay = await send(platform, 'POST', '/api/auth/email/verify-email', { body: { token } });
    expect(replay.res.status).toBe(200);
    expect(replay.body.verified).toBe(true);
  });

  it('refuses an invalid token with 422 INVALID_TOKEN and extra fields with 400 VALIDATION_ERROR', async () => {
    const reg = await register(platform);
    const bad = await send(platform, 'POST', '/api/auth/email/verify-email', { body: { token: 'abc.def.ghi' } });
    expect(bad.res.status).toBe(422);
    expect(bad.body.error.code).toBe('INVALID_TOKEN');
    const token = tokenFromLink(lastEmail(reg.email, 'verify-email')?.link ?? '');
    const extra = await send(platform, 'POST', '/api/auth/email/verify-email', { body: { token, userId: reg.userId } });
    expect(extra.res.status).toBe(400);
    expect(extra.body.error.code).toBe('VALIDATION_ERROR');
    const empty = await send(platform, 'POST', '/api/auth/email/verify-email', { body: {} });
    expect(empty.res.status).toBe(400);
    expect((await userRow(platform, reg.email))?.emailVerified).toBe(false);
  });

  it('lets an unverified user sign in (decision: verification is reported, not required)', async () => {
    const reg = await register(platform);
    const signedIn = await login(platform, reg.email);
    expect(signedIn.body.user.emailVerified).toBe(false);
  });
});

describe('password reset', () => {
  async function requestReset(email: string, ip = freshIp()) {
    return send(platform, 'POST', '/api/auth/email/send-reset-password-email', { ip, body: { email } });
  }

  it('answers 200 whether or not the account exists, emailing and storing a token only for a real one', async () => {
    const reg = await register(platform);
    const known = await requestReset(reg.email.toUpperCase());
    const unknownEmail = uniqueEmail('ghost');
    const unknown = await requestReset(unknownEmail);
    expect(known.res.status).toBe(200);
    expect(unknown.res.status).toBe(200);
    expect(known.body).toEqual({ success: true });
    expect(withoutRequestFields(known.body)).toEqual(withoutRequestFields(unknown.body));

    const mail = lastEmail(reg.email, 'reset-password');
    expect(mail?.subject).toBe('Reset your password');
    expect(mail?.link).toMatch(/^http:\/\/localhost:42069\/reset-password\?token=\w+$/);
    const token = tokenFromLink(mail?.link ?? '');
    const [row] = await platform.db
      .select()
      .from(verificationTokens)
      .where(eq(verificationTokens.identifier, `reset-password:${token}`));
    expect(row?.value).toBe(reg.userId);
    expect(row && row.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(3600_000);
    expect(lastEmail(unknownEmail, 'reset-password')).toBeUndefined();
  });

  it('ends every session of the user at once (rows and warm cache), retires the token, and switches passwords', async () => {
    const reg = await register(platform);
    const a = await login(platform, reg.email);
    const b = await login(platform, reg.email);
    const cookies = [reg.cookie, a.cookie, b.cookie];
    for (const cookie of cookies) {
      expect((await send(platform, 'GET', '/api/auth/session', { cookie })).res.status).toBe(200);
      expect(await cacheEntry(platform, cookie)).not.toBeNull();
    }
    expect(await sessionRows(platform, reg.userId)).toHaveLength(3);
    // Two outstanding links: using one retires the other.
    expect((await requestReset(reg.email)).res.status).toBe(200);
    const older = tokenFromLink(lastEmail(reg.email, 'reset-password')?.link ?? '');
    expect((await requestReset(reg.email)).res.status).toBe(200);
    const token = tokenFromLink(lastEmail(reg.email, 'reset-password')?.link ?? '');
    expect(token).not.toBe(older);

    const newPassword = 'A-brand-new-passw0rd';
    const reset = await send(platform, 'POST', '/api/auth/email/reset-password', { body: { token, newPassword } });
    expect(reset.res.status).toBe(200);
    expect(reset.body).toEqual({ success: true });

    expect(await sessionRows(platform, reg.userId)).toHaveLength(0);
    for (const cookie of cookies) {
      expect(await cacheEntry(platform, cookie)).toBeNull();
      const s = await send(platform, 'GET', '/api/auth/session', { cookie });
      expect(s.res.status).toBe(401);
    }
    const leftovers = await platform.db
      .select()
      .from(verificationTokens)
      .where(and(like(verificationTokens.identifier, 'reset-password:%'), eq(verificationTokens.value, reg.userId)));
    expect(leftovers).toEqual([]);

    const replay = await send(platform, 'POST', '/api/auth/email/reset-password', {
      body: { token, newPassword: 'Yet-another-1' },
    });
    expect(replay.res.status).toBe(422);
    expect(replay.body.error.code).toBe('INVALID_TOKEN');
    const olderUse = await send(platform, 'POST', '/api/auth/email/reset-password', {
      body: { token: older, newPassword: 'Yet-another-1' },
    });
    expect(olderUse.res.status).toBe(422);

    const oldPassword = await send(platform, 'POST', '/api/auth/email/login', {
      body: { email: reg.email, password: PASSWORD },
    });
    expect(oldPassword.res.status).toBe(401);
    const fresh = await login(platform, reg.email, newPassword);
    expect(fresh.body.user.id).toBe(reg.userId);
    expect(await sessionRows(platform, reg.userId)).toHaveLength(1);
  });

  it('refuses an unknown token (422) and a too-short new password (400), changing nothing', async () => {
    const reg = await register(platform);
    await requestReset(reg.email);
    const token = tokenFromLink(lastEmail(reg.email, 'reset-password')?.link ?? '');
    const unknown = await send(platform, 'POST', '/api/auth/email/reset-password', {
      body: { token: 'x'.repeat(24), newPassword: 'Valid-password-1' },
    });
    expect(unknown.res.status).toBe(422);
    expect(unknown.body.error.code).toBe('INVALID_TOKEN');
    const short = await send(platform, 'POST', '/api/auth/email/reset-password', {
      body: { token, newPassword: 'short' },
    });
    expect(short.res.status).toBe(400);
    expect(short.body.error.code).toBe('VALIDATION_ERROR');
    expect(short.body.error.details.map((d: { field: string }) => d.field)).toContain('newPassword');
    const extra = await send(platform, 'POST', '/api/auth/email/reset-password', {
      body: { token, newPassword: 'Valid-password-1', userId: reg.userId },
    });
    expect(extra.res.status).toBe(400);
    // The token still works and the session still lives.
    expect(await sessionRows(platform, reg.userId)).toHaveLength(1);
    const [row] = await platform.db
      .select()
      .from(verificationTokens)
      .where(eq(verificationTokens.identifier, `reset-password:${token}`));
    expect(row).toBeDefined();
    expect((await login(platform, reg.email)).res.status).toBe(200);
  });

  it('limits reset emails to 5 per 15 minutes per IP', async () => {
    const ip = freshIp();
    for (let i = 0; i < 5; i++) expect((await requestReset(uniqueEmail('rl'), ip)).res.status).toBe(200);
    const limited = await requestReset(uniqueEmail('rl'), ip);
    expect(limited.res.status).toBe(429);
    expect(limited.body.error.code).toBe('RATE_LIMITED');
    expect(Number(limited.res.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('configuration fails closed', () => {
  const routes: Array<[string, string, unknown]> = [
    ['POST', '/api/auth/email/register', { email: 'cfg@example.test', password: PASSWORD, name: 'Cfg' }],
    ['POST', '/api/auth/email/login', { email: 'cfg@example.test', password: PASSWORD }],
    ['GET', '/api/auth/session', undefined],
    ['POST', '/api/auth/signout', undefined],
    ['GET', '/api/auth/verify-email?token=abc', undefined],
    ['POST', '/api/auth/email/verify-email', { token: 'abc' }],
    ['POST', '/api/auth/email/send-reset-password-email', { email: 'cfg@example.test' }],
    ['POST', '/api/auth/email/reset-password', { token: 'abc', newPassword: 'Valid-password-1' }],
  ];

  it.each(routes)(
    '%s %s answers 503 SERVICE_MISCONFIGURED in production without BETTER_AUTH_SECRET',
    async (method, path, body) => {
      const reg = await register(platform);
      const { res, body: out } = await send(platform, method, path, {
        ...(body !== undefined ? { body } : {}),
        cookie: reg.cookie,
        env: { ENVIRONMENT: 'production', BETTER_AUTH_SECRET: undefined },
      });
      expect(res.status).toBe(503);
      // A required secret missing makes the whole configuration invalid (README "Preview"), before any route runs.
      expect(out.error.code).toBe('SERVICE_MISCONFIGURED');
      expect(await userRow(platform, 'cfg@example.test')).toBeUndefined();
    },
  );

  it('answers 503 in the envelope on every route when the database is unreachable (never a 500, never a crash)', async () => {
    const reg = await register(platform);
    const verifyToken = tokenFromLink(lastEmail(reg.email, 'verify-email')?.link ?? '');
    await send(platform, 'POST', '/api/auth/email/send-reset-password-email', { body: { email: reg.email } });
    const resetToken = tokenFromLink(lastEmail(reg.email, 'reset-password')?.link ?? '');
    await platform.kv.AUTH_SESSION_KV.delete(await sessionCacheKey(tokenOf(reg.cookie)));
    const unreachable = {
      EMBEDDED_DB: undefined,
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
      NEON_WS_PROXY: '127.0.0.1:1/v1',
    };
    const cases: Array<[string, string, unknown]> = [
      ['POST', '/api/auth/email/register', { email: uniqueEmail('down'), password: PASSWORD, name: 'Down' }],
      ['POST', '/api/auth/email/login', { email: reg.email, password: PASSWORD }],
      ['GET', '/api/auth/session', undefined],
      ['POST', '/api/auth/signout', undefined],
      ['GET', `/api/auth/verify-email?token=${verifyToken}`, undefined],
      ['POST', '/api/auth/email/verify-email', { token: verifyToken }],
      ['POST', '/api/auth/email/send-reset-password-email', { email: reg.email }],
      ['POST', '/api/auth/email/reset-password', { token: resetToken, newPassword: 'Valid-password-1' }],
    ];
    for (const [method, path, body] of cases) {
      const sent = await send(platform, method, path, {
        ...(body !== undefined ? { body } : {}),
        cookie: reg.cookie,
        env: unreachable,
      });
      expect(sent.res.status, `${method} ${path}: ${sent.text}`).toBe(503);
      expect(sent.body.error.code).toBe('DATABASE_UNAVAILABLE');
      expect(sent.text).not.toMatch(/127\.0\.0\.1|nobody|ECONNREFUSED|select/i);
    }
    // Nothing happened meanwhile.
    expect((await userRow(platform, reg.email))?.emailVerified).toBe(false);
    expect(await sessionRows(platform, reg.userId)).toHaveLength(1);
  });

  it('answers 503 in production with a short secret or without PUBLIC_URL, and works once both are right', async () => {
    const body = { email: uniqueEmail('prod'), password: PASSWORD, name: 'Prod' };
    const short = await send(platform, 'POST', '/api/auth/email/register', {
      body,
      env: { ENVIRONMENT: 'production', BETTER_AUTH_SECRET: 'short' },
    });
    expect(short.res.status).toBe(503);
    const noUrl = await send(platform, 'POST', '/api/auth/email/register', {
      body,
      env: { ENVIRONMENT: 'production', PUBLIC_URL: undefined },
    });
    expect(noUrl.res.status).toBe(503);
    expect(await userRow(platform, body.email)).toBeUndefined();

    const ok = await send(platform, 'POST', '/api/auth/email/register', {
      body,
      env: { ENVIRONMENT: 'production', PUBLIC_URL: 'https://auth.revelations.studio' },
    });
    expect(ok.res.status).toBe(201);
    expect(ok.res.headers.getSetCookie()[0]).toMatch(/; Secure/);
    expect(lastEmail(body.email, 'verify-email')?.link).toMatch(
      /^https:\/\/auth\.revelations\.studio\/api\/auth\/verify-email\?token=/,
    );
  });
});

describe('secrets', () => {
  it('never returned a password hash, a session token or a reset token in any body', async () => {
    const liveTokens = (await platform.db.select({ token: sessions.token }).from(sessions)).map((r) => r.token);
    for (const text of seenBodies) {
      expect(text).not.toMatch(/\$2[aby]\$/);
      for (const t of liveTokens) expect(text.includes(t)).toBe(false);
      expect(text).not.toMatch(/reset-password:/);
    }
  });
});
