/**
 * The session middleware the other workers use (requireSession from @codex/worker-kit), on a small
 * app built with createWorker and wired to the auth app through the local platform's AUTH_SERVICE.
 */

import { sessions } from '@codex/database';
import type { LocalPlatform } from '@codex/local';
import { baseEnv, createWorker, requireSession, SESSION_MEMORY_TTL_MS, sessionCacheKey } from '@codex/worker-kit';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  cacheEntry,
  freshIp,
  lastEmail,
  login,
  register,
  send,
  startAuthPlatform,
  tokenFromLink,
  tokenOf,
} from './helpers';

let platform: LocalPlatform;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const probe = createWorker({
  service: 'probe-worker',
  name: 'probe',
  title: 'Probe',
  version: '0.0.0',
  description: 'A protected route, as another worker mounts it.',
  servers: {
    production: 'https://probe.example',
    staging: 'https://probe.example',
    development: 'http://localhost:4001',
  },
  env: baseEnv,
});
probe.get('/whoami', requireSession({ auth: 'required' }), (c) =>
  c.json({ user: c.get('user'), session: c.get('session') }),
);

async function whoami(cookie?: string) {
  const res = await probe.fetch(
    new Request('http://localhost:4001/whoami', {
      headers: { 'cf-connecting-ip': freshIp(), ...(cookie ? { cookie } : {}) },
    }),
    platform.envFor('content-api'),
  );
  // biome-ignore lint/suspicious/noExplicitAny: assertions
  return { status: res.status, body: (await res.json()) as any };
}

beforeAll(async () => {
  platform = await startAuthPlatform();
});

afterAll(async () => {
  await platform?.close();
});

describe('requireSession in another worker', () => {
  it('accepts a live cookie (through AUTH_SERVICE, then from the cache) and refuses it right after sign-out', async () => {
    const reg = await register(platform);
    const signedIn = await login(platform, reg.email);
    // Empty the cache so the first call goes through the service binding to the auth app: KV directly, and this
    // process's memory of the sign-in by waiting it out.
    await platform.kv.AUTH_SESSION_KV.delete(await sessionCacheKey(tokenOf(signedIn.cookie)));
    expect(await cacheEntry(platform, signedIn.cookie)).toBeNull();
    await sleep(SESSION_MEMORY_TTL_MS + 50);

    const first = await whoami(signedIn.cookie);
    expect(first.status).toBe(200);
    expect(first.body.user).toEqual(reg.body.user);
    expect(first.body.session.id).toBe(signedIn.body.session.id);
    expect(await cacheEntry(platform, signedIn.cookie)).not.toBeNull();
    const warm = await whoami(signedIn.cookie);
    expect(warm.status).toBe(200);

    const out = await send(platform, 'POST', '/api/auth/signout', { cookie: signedIn.cookie });
    expect(out.res.status).toBe(200);

    const after = await whoami(signedIn.cookie);
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe('SESSION_INVALID');
    // The register session of the same user still works.
    expect((await whoami(reg.cookie)).status).toBe(200);
  });

  it('an isolate reuses a session it read for at most SESSION_MEMORY_TTL_MS: a sign-out elsewhere reaches it after that', async () => {
    // The clock (Date only) stands still, so that "within the second" does not depend on how fast this machine is.
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() });
    try {
      const reg = await register(platform);
      expect((await whoami(reg.cookie)).status).toBe(200);
      // What another worker's sign-out does in production (the session row and the KV entry go; this isolate's
      // memory is out of its reach), done here directly so that this process's memory is not told.
      await platform.db.delete(sessions).where(eq(sessions.token, tokenOf(reg.cookie)));
      await platform.kv.AUTH_SESSION_KV.delete(await sessionCacheKey(tokenOf(reg.cookie)));
      expect(
        await platform.db
          .select()
          .from(sessions)
          .where(eq(sessions.token, tokenOf(reg.cookie))),
      ).toEqual([]);
      const remembered = await whoami(reg.cookie);
      expect(remembered.status).toBe(200);
      expect(remembered.body.user).toEqual(reg.body.user);
      vi.setSystemTime(Date.now() + SESSION_MEMORY_TTL_MS);
      const after = await whoami(reg.cookie);
      expect(after.status).toBe(401);
      expect(after.body.error.code).toBe('SESSION_INVALID');
    } finally {
      vi.useRealTimers();
    }
  });

  it('sees emailVerified change at once after verification, although its cache was warm', async () => {
    const reg = await register(platform);
    expect((await whoami(reg.cookie)).body.user.emailVerified).toBe(false);
    expect(await cacheEntry(platform, reg.cookie)).not.toBeNull();
    const token = tokenFromLink(lastEmail(reg.email, 'verify-email')?.link ?? '');
    expect((await send(platform, 'POST', '/api/auth/email/verify-email', { body: { token } })).res.status).toBe(200);
    expect((await whoami(reg.cookie)).body.user.emailVerified).toBe(true);
  });

  it('refuses every session of the user right after a password reset', async () => {
    const reg = await register(platform);
    const other = await login(platform, reg.email);
    expect((await whoami(reg.cookie)).status).toBe(200);
    expect((await whoami(other.cookie)).status).toBe(200);
    await send(platform, 'POST', '/api/auth/email/send-reset-password-email', { body: { email: reg.email } });
    const token = tokenFromLink(lastEmail(reg.email, 'reset-password')?.link ?? '');
    const reset = await send(platform, 'POST', '/api/auth/email/reset-password', {
      body: { token, newPassword: 'Brand-new-secret-1' },
    });
    expect(reset.res.status).toBe(200);
    expect((await whoami(reg.cookie)).status).toBe(401);
    expect((await whoami(other.cookie)).status).toBe(401);
  });

  it('refuses a forged signature even for a cached token (401 SESSION_INVALID), and no cookie (401 AUTHENTICATION_REQUIRED)', async () => {
    const reg = await register(platform);
    expect((await whoami(reg.cookie)).status).toBe(200);
    const token = reg.cookie.slice('codex-session='.length).split('.')[0];
    const forged = `codex-session=${token}.${encodeURIComponent(`${'B'.repeat(43)}=`)}`;
    const refused = await whoami(forged);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('SESSION_INVALID');
    const anonymous = await whoami();
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.code).toBe('AUTHENTICATION_REQUIRED');
  });
});
