/**
 * The auth worker's operations. Generated negatives (missing/wrong/out-of-range fields, unknown fields, 413, 415,
 * 401 for protected operations, 503 with the database unreachable) come on top of these; the cases here cover the
 * behaviour: success with its database effect, conflicts, bad credentials, bad tokens, rate limits.
 */
import { sessions, users, verificationTokens } from '@codex/database';
import { sessionCacheKey, sessionTokenOf } from '@codex/worker-kit';
import { and, eq, like } from 'drizzle-orm';
import { expect } from 'vitest';
import { DATABASE_UNREACHABLE } from '../harness/env';
import { type CheckedResponse, type Ctx, defineCase, defineScenarios, type TestUser } from '../harness/types';

const SESSION = 'codex-session';
const NEW_PASSWORD = 'Brand-new-pass-5678';

interface SessionBody {
  user: { id: string; email: string; name: string; role: string; emailVerified: boolean };
  session: { id: string; userId: string; expiresAt: string };
}
interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

const errorOf = (res: CheckedResponse) => (res.body as ErrorBody).error;

/** The Set-Cookie line of the session cookie: HttpOnly, SameSite=Strict, Secure (outside development), path /. */
function expectSessionCookie(ctx: Ctx, res: CheckedResponse) {
  const line = res.setCookies.find((l) => l.startsWith(`${SESSION}=`));
  expect(line, 'a codex-session cookie is set').toBeDefined();
  expect(line).toMatch(/;\s*HttpOnly/i);
  expect(line).toMatch(/;\s*SameSite=Strict/i);
  if (ctx.secureCookies) expect(line).toMatch(/;\s*Secure/i);
  expect(line).toMatch(/;\s*Path=\//i);
  expect(res.cookies[SESSION]?.length ?? 0).toBeGreaterThan(10);
  return `${SESSION}=${res.cookies[SESSION]}`;
}

function expectNoSessionCookieSet(res: CheckedResponse) {
  expect(res.setCookies.filter((l) => l.startsWith(`${SESSION}=`) && !/max-age=0/i.test(l))).toEqual([]);
}

/** No token, hash or internal field ever appears in a user/session body. */
function expectNoSecrets(res: CheckedResponse) {
  expect(res.text).not.toMatch(/"(token|password|passwordHash|hash|ipAddress|userAgent)"/);
}

async function sessionRows(ctx: Ctx, userId: string) {
  return ctx.db.select().from(sessions).where(eq(sessions.userId, userId));
}

async function userRow(ctx: Ctx, email: string) {
  const [row] = await ctx.db.select().from(users).where(eq(users.email, email.toLowerCase()));
  return row;
}

/** The KV cache entry of a session cookie value (as sent in the Cookie header, URL-encoded or not). */
async function cacheKeyOf(cookieValue: string) {
  return sessionCacheKey(sessionTokenOf(decodeURIComponent(cookieValue)));
}

function login(ctx: Ctx, email: string, password: string) {
  return ctx.call('loginWithEmail', { body: { email, password } });
}

export const authScenarios = defineScenarios({
  registerWithEmail: [
    defineCase({
      name: 'creates an unverified viewer, signs in, emails a verification link',
      status: 201,
      negativeBase: true,
      request: (ctx) => ({
        body: {
          email: ctx.email('Register').replace('register', 'ReGister'),
          password: 'Str0ng-password!',
          name: 'Ada Lovelace',
        },
      }),
      async assert(ctx, res) {
        const body = res.body as SessionBody;
        const sent = body.user.email;
        expect(sent).toBe(sent.toLowerCase());
        expect(body.user).toMatchObject({ name: 'Ada Lovelace', role: 'viewer', emailVerified: false });
        expect(body.session.userId).toBe(body.user.id);
        expect(Date.parse(body.session.expiresAt)).toBeGreaterThan(Date.now() + 23 * 3600_000);
        expectSessionCookie(ctx, res);
        expectNoSecrets(res);
        if (ctx.live) return;
        const row = await userRow(ctx, sent);
        expect(row).toMatchObject({ id: body.user.id, role: 'viewer', emailVerified: false, name: 'Ada Lovelace' });
        const rows = await sessionRows(ctx, body.user.id);
        expect(rows.map((r) => r.id)).toEqual([body.session.id]);
        expect(ctx.outbox(sent).map((m) => m.kind)).toEqual(['verify-email']);
        // The session is usable at once.
        const session = await ctx.call('getSession', { cookie: `${SESSION}=${res.cookies[SESSION]}` });
        expect(session.status).toBe(200);
        expect((session.body as SessionBody).user.id).toBe(body.user.id);
      },
    }),
    defineCase({
      name: 'server-owned fields (role, emailVerified, id) are refused, no user is created',
      status: 400,
      setup: (ctx) => ({ email: ctx.email('owned') }),
      request: (_ctx, s) => ({
        body: {
          email: s.email,
          password: 'Str0ng-password!',
          name: 'Mallory',
          role: 'admin',
          emailVerified: true,
          id: '3f1f8a0e-1d5b-4c59-9f1e-0b8e6f1c2d3a',
        },
      }),
      async assert(ctx, res, s) {
        expect(errorOf(res).code).toBe('VALIDATION_ERROR');
        expect(JSON.stringify(errorOf(res).details)).toMatch(/role|emailVerified|id/);
        if (ctx.live) return;
        expect(await userRow(ctx, s.email)).toBeUndefined();
      },
    }),
    defineCase({
      name: 'an email already registered (any letter case) → 409, still one user',
      status: 409,
      setup: (ctx) => ctx.register(),
      request: (_ctx, s) => ({ body: { email: s.email.toUpperCase(), password: 'Another-pass-123', name: 'Copycat' } }),
      async assert(ctx, res, s) {
        expect(errorOf(res).code).toBe('EMAIL_TAKEN');
        expectNoSessionCookieSet(res);
        if (ctx.live) return;
        const rows = await ctx.db.select().from(users).where(eq(users.email, s.email));
        expect(rows).toHaveLength(1);
        expect(rows[0]?.name).toBe(s.name);
      },
    }),
    defineCase({
      name: 'over the limit (10 per 15 min per IP) → 429, no user',
      status: 429,
      localOnly: true,
      async setup(ctx) {
        const ip = ctx.ip();
        await ctx.exhaustRateLimits(ip);
        return { ip, email: ctx.email('limited') };
      },
      request: (_ctx, s) => ({
        body: { email: s.email, password: 'Str0ng-password!', name: 'Limited' },
        headers: { 'cf-connecting-ip': s.ip },
      }),
      async assert(ctx, res, s) {
        expect(errorOf(res).code).toBe('RATE_LIMITED');
        expect(await userRow(ctx, s.email)).toBeUndefined();
      },
    }),
  ],

  loginWithEmail: [
    defineCase({
      name: 'the right password (email in any case) starts a new session',
      status: 200,
      negativeBase: true,
      setup: (ctx) => ctx.user(),
      request: (_ctx, u: TestUser) => ({ body: { email: u.email.toUpperCase(), password: u.password } }),
      async assert(ctx, res, u) {
        const body = res.body as SessionBody;
        expect(body.user).toMatchObject({ id: u.id, email: u.email });
        const cookie = expectSessionCookie(ctx, res);
        expect(cookie).not.toBe(u.cookie);
        expectNoSecrets(res);
        if (ctx.live) return;
        const rows = await sessionRows(ctx, u.id);
        expect(rows.map((r) => r.id)).toContain(body.session.id);
        const session = await ctx.call('getSession', { cookie });
        expect((session.body as SessionBody).session.id).toBe(body.session.id);
      },
    }),
    defineCase({
      name: 'a wrong password → 401, no session',
      status: 401,
      setup: async (ctx) => {
        const u = await ctx.user();
        return { u, before: ctx.live ? [] : await sessionRows(ctx, u.id) };
      },
      request: (_ctx, s) => ({ body: { email: s.u.email, password: `${s.u.password}x` } }),
      async assert(ctx, res, s) {
        expect(errorOf(res)).toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' });
        expectNoSessionCookieSet(res);
        if (ctx.live) return;
        expect(await sessionRows(ctx, s.u.id)).toHaveLength(s.before.length);
      },
    }),
    defineCase({
      name: 'an unknown email → the same 401 as a wrong password (no account enumeration)',
      status: 401,
      request: (ctx) => ({ body: { email: ctx.email('nobody'), password: 'Whatever-pass-1' } }),
      assert(_ctx, res) {
        expect(errorOf(res)).toMatchObject({ code: 'INVALID_CREDENTIALS', message: 'Invalid email or password' });
        expectNoSessionCookieSet(res);
      },
    }),
    defineCase({
      name: 'over the limit (10 per 15 min per IP) → 429 even with the right password',
      status: 429,
      localOnly: true,
      async setup(ctx) {
        const u = await ctx.user();
        const ip = ctx.ip();
        await ctx.exhaustRateLimits(ip);
        return { u, ip, before: await sessionRows(ctx, u.id) };
      },
      request: (_ctx, s) => ({
        body: { email: s.u.email, password: s.u.password },
        headers: { 'cf-connecting-ip': s.ip },
      }),
      async assert(ctx, res, s) {
        expect(errorOf(res).code).toBe('RATE_LIMITED');
        expectNoSessionCookieSet(res);
        expect(await sessionRows(ctx, s.u.id)).toHaveLength(s.before.length);
      },
    }),
  ],

  getSession: [
    defineCase({
      name: 'the signed-in user and session, no token',
      status: 200,
      setup: (ctx) => ctx.user(),
      request: (_ctx, u: TestUser) => ({ cookie: u.cookie }),
      assert(_ctx, res, u) {
        const body = res.body as SessionBody;
        expect(body.user).toMatchObject({ id: u.id, email: u.email, name: u.name, role: 'viewer' });
        expect(body.session.userId).toBe(u.id);
        expectNoSecrets(res);
        expect(res.text).not.toContain(decodeURIComponent(u.sessionToken).split('.')[0] as string);
      },
    }),
    defineCase({
      name: 'a session cookie with a tampered signature → 401',
      status: 401,
      setup: (ctx) => ctx.user(),
      request: (_ctx, u: TestUser) => {
        const value = decodeURIComponent(u.sessionToken);
        const [token] = value.split('.');
        return { cookie: `${SESSION}=${encodeURIComponent(`${token}.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=`)}` };
      },
      assert(_ctx, res) {
        expect(errorOf(res).code).toMatch(/UNAUTHORIZED|SESSION/);
      },
    }),
    defineCase({
      name: 'database unreachable and no cache entry → 503',
      status: 503,
      async setup(ctx) {
        const u = await ctx.freshUser();
        await ctx.kv.AUTH_SESSION_KV.delete(await cacheKeyOf(u.sessionToken));
        return u;
      },
      env: DATABASE_UNREACHABLE,
      request: (_ctx, u: TestUser) => ({ cookie: u.cookie }),
      assert(_ctx, res) {
        expect(res.text).not.toMatch(/127\.0\.0\.1|nobody|ECONNREFUSED/);
      },
    }),
  ],

  signOut: [
    defineCase({
      name: 'ends the session: row and cache entry gone, cookie cleared, cookie refused after',
      status: 200,
      setup: (ctx) => ctx.freshUser(),
      request: (_ctx, u: TestUser) => ({ cookie: u.cookie }),
      async assert(ctx, res, u) {
        expect(res.body).toEqual({ success: true });
        const cleared = res.setCookies.find((l) => l.startsWith(`${SESSION}=`));
        expect(cleared).toMatch(/max-age=0|expires=Thu, 01 Jan 1970/i);
        const after = await ctx.call('getSession', { cookie: u.cookie });
        expect(after.status).toBe(401);
        if (ctx.live) return;
        expect(await sessionRows(ctx, u.id)).toHaveLength(0);
        expect(await ctx.kv.AUTH_SESSION_KV.get(await cacheKeyOf(u.sessionToken))).toBeNull();
      },
    }),
    defineCase({
      name: 'a cookie already signed out → 401',
      status: 401,
      async setup(ctx) {
        const u = await ctx.freshUser();
        const first = await ctx.call('signOut', { cookie: u.cookie });
        if (first.status !== 200) throw new Error(`first sign-out: ${first.status}`);
        return u;
      },
      request: (_ctx, u: TestUser) => ({ cookie: u.cookie }),
    }),
  ],

  verifyEmail: [
    defineCase({
      name: 'the emailed token verifies the address (and the cached session shows it at once)',
      status: 200,
      localOnly: true,
      negativeBase: true,
      async setup(ctx) {
        const u = await ctx.freshUser();
        // Warm the session cache with emailVerified: false.
        await ctx.call('getSession', { cookie: u.cookie });
        return { u, token: ctx.emailToken(u.email, 'verify-email') };
      },
      request: (_ctx, s) => ({ body: { token: s.token } }),
      async assert(ctx, res, s) {
        expect(res.body).toMatchObject({ verified: true, user: { id: s.u.id, emailVerified: true } });
        expect((await userRow(ctx, s.u.email))?.emailVerified).toBe(true);
        const session = await ctx.call('getSession', { cookie: s.u.cookie });
        expect((session.body as SessionBody).user.emailVerified).toBe(true);
        // Idempotent while the token is valid.
        const again = await ctx.call('verifyEmail', { body: { token: s.token } });
        expect(again.status).toBe(200);
      },
    }),
    defineCase({
      name: 'a forged token → 422 INVALID_TOKEN',
      status: 422,
      request: () => ({ body: { token: 'eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6Im1hbGxvcnlAZXhhbXBsZS5jb20ifQ.forged' } }),
      assert(_ctx, res) {
        expect(errorOf(res).code).toBe('INVALID_TOKEN');
      },
    }),
    defineCase({
      name: 'a token whose payload names another user (signature broken) → 422, nobody verified',
      status: 422,
      localOnly: true,
      async setup(ctx) {
        const victim = await ctx.register();
        const attacker = await ctx.register();
        const token = ctx.emailToken(attacker.email, 'verify-email');
        const [h, , sig] = token.split('.');
        const payload = Buffer.from(JSON.stringify({ email: victim.email })).toString('base64url');
        return { victim, attacker, token: `${h}.${payload}.${sig}` };
      },
      request: (_ctx, s) => ({ body: { token: s.token } }),
      async assert(ctx, res, s) {
        expect(errorOf(res).code).toBe('INVALID_TOKEN');
        expect((await userRow(ctx, s.victim.email))?.emailVerified).toBe(false);
        expect((await userRow(ctx, s.attacker.email))?.emailVerified).toBe(false);
      },
    }),
  ],

  verifyEmailLink: [
    defineCase({
      name: 'the link from the email verifies the address (HTML page)',
      status: 200,
      localOnly: true,
      negativeBase: true,
      async setup(ctx) {
        const u = await ctx.register();
        return { u, token: ctx.emailToken(u.email, 'verify-email') };
      },
      request: (_ctx, s) => ({ query: { token: s.token } }),
      async assert(ctx, res, s) {
        expect(res.contentType).toBe('text/html');
        expect(res.text).toContain('Email verified');
        expect(res.text).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/i);
        expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
        expect((await userRow(ctx, s.u.email))?.emailVerified).toBe(true);
      },
    }),
    defineCase({
      name: 'an invalid token → 400 HTML page',
      status: 400,
      request: () => ({ query: { token: 'not-a-real-token' } }),
      assert(_ctx, res) {
        expect(res.contentType).toBe('text/html');
        expect(res.text).toContain('invalid or has expired');
      },
    }),
    defineCase({
      name: 'no token at all → 400 HTML page',
      status: 400,
      request: () => ({}),
      assert(_ctx, res) {
        expect(res.contentType).toBe('text/html');
      },
    }),
  ],

  sendResetPasswordEmail: [
    defineCase({
      name: 'an existing account gets a one-hour reset link',
      status: 200,
      localOnly: true,
      negativeBase: true,
      setup: (ctx) => ctx.register(),
      request: (_ctx, s) => ({ body: { email: s.email.toUpperCase() } }),
      async assert(ctx, res, s) {
        expect(res.body).toEqual({ success: true });
        const token = ctx.emailToken(s.email, 'reset-password');
        const user = await userRow(ctx, s.email);
        const rows = await ctx.db
          .select()
          .from(verificationTokens)
          .where(
            and(like(verificationTokens.identifier, 'reset-password:%'), eq(verificationTokens.value, user?.id ?? '')),
          );
        expect(rows).toHaveLength(1);
        expect(rows[0]?.identifier).toBe(`reset-password:${token}`);
        const ttl = (rows[0]?.expiresAt.getTime() ?? 0) - Date.now();
        expect(ttl).toBeGreaterThan(55 * 60_000);
        expect(ttl).toBeLessThanOrEqual(60 * 60_000);
      },
    }),
    defineCase({
      name: 'an unknown address gets the same answer and no email',
      status: 200,
      request: (ctx) => ({ body: { email: ctx.email('unknown') } }),
      assert(ctx, res) {
        expect(res.body).toEqual({ success: true });
        if (!ctx.live) expect(ctx.outbox().filter((m) => m.to.startsWith('unknown-'))).toEqual([]);
      },
    }),
    defineCase({
      name: 'the 6th request from one IP within 15 minutes → 429',
      status: 429,
      localOnly: true,
      async setup(ctx) {
        const ip = ctx.ip();
        for (let i = 0; i < 5; i++) {
          const ok = await ctx.call('sendResetPasswordEmail', {
            body: { email: ctx.email('burst') },
            headers: { 'cf-connecting-ip': ip },
          });
          if (ok.status !== 200) throw new Error(`request ${i + 1} of 5 got ${ok.status}`);
        }
        return { ip };
      },
      request: (ctx, s) => ({ body: { email: ctx.email('burst') }, headers: { 'cf-connecting-ip': s.ip } }),
      assert(_ctx, res) {
        expect(errorOf(res).code).toBe('RATE_LIMITED');
        expect(Number(res.headers.get('retry-after'))).toBeLessThanOrEqual(15 * 60);
      },
    }),
  ],

  resetPassword: [
    defineCase({
      name: 'sets the new password and ends every session of the user',
      status: 200,
      localOnly: true,
      negativeBase: true,
      async setup(ctx) {
        const u = await ctx.freshUser();
        const second = await login(ctx, u.email, u.password);
        const secondCookie = `${SESSION}=${second.cookies[SESSION]}`;
        await ctx.call('getSession', { cookie: u.cookie }); // cached
        const sent = await ctx.call('sendResetPasswordEmail', { body: { email: u.email } });
        if (sent.status !== 200) throw new Error(`send reset email: ${sent.status}`);
        return { u, secondCookie, token: ctx.emailToken(u.email, 'reset-password') };
      },
      request: (_ctx, s) => ({ body: { token: s.token, newPassword: NEW_PASSWORD } }),
      async assert(ctx, res, s) {
        expect(res.body).toEqual({ success: true });
        expect(await sessionRows(ctx, s.u.id)).toHaveLength(0);
        for (const cookie of [s.u.cookie, s.secondCookie]) {
          expect((await ctx.call('getSession', { cookie })).status).toBe(401);
        }
        expect((await login(ctx, s.u.email, s.u.password)).status).toBe(401);
        expect((await login(ctx, s.u.email, NEW_PASSWORD)).status).toBe(200);
        // The token works once.
        const again = await ctx.call('resetPassword', { body: { token: s.token, newPassword: 'Third-pass-9012' } });
        expect(again.status).toBe(422);
        expect(errorOf(again).code).toBe('INVALID_TOKEN');
      },
    }),
    defineCase({
      name: 'an unknown token → 422 INVALID_TOKEN',
      status: 422,
      request: () => ({ body: { token: 'no-such-token-123', newPassword: NEW_PASSWORD } }),
      assert(_ctx, res) {
        expect(errorOf(res).code).toBe('INVALID_TOKEN');
      },
    }),
  ],
});
