/**
 * COOKIE_DOMAIN: the session cookie shared by the four workers' hosts (staging/production: `.revelations.studio`).
 * Set, the cookie carries `Domain=` on sign-in and on the sign-out that clears it, with HttpOnly, Secure and
 * SameSite=Strict kept; unset, it is host-only; malformed, the worker refuses to run (503 SERVICE_MISCONFIGURED).
 * The browser side (four host names, CORS with credentials) is test/browser/cross-host-session.test.ts.
 */
import { sessions } from '@codex/database';
import type { LocalPlatform } from '@codex/local';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { app } from '../src/index';
import { freshIp, json, PASSWORD, startAuthPlatform, uniqueEmail } from './helpers';

const DOMAIN = '.revelations.studio';

let platform: LocalPlatform;

beforeAll(async () => {
  platform = await startAuthPlatform({ COOKIE_DOMAIN: DOMAIN });
});

afterAll(async () => {
  await platform?.close();
});

const register = (env?: Record<string, unknown>) => {
  const req = new Request('http://localhost:42069/api/auth/email/register', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': freshIp() },
    body: JSON.stringify({ email: uniqueEmail('domain'), password: PASSWORD, name: 'Dom Ain' }),
  });
  return app.fetch(req, platform.envFor('auth', env));
};

const attributes = (setCookie: string) =>
  setCookie
    .split(';')
    .slice(1)
    .map((a) => a.trim().toLowerCase());

describe('COOKIE_DOMAIN', () => {
  it('sign-in sets the cookie for the domain (HttpOnly, Secure, SameSite=Strict); sign-out clears it there', async () => {
    const res = await register();
    expect(res.status).toBe(201);
    const { user } = (await json(res)) as { user: { id: string } };
    const [set] = res.headers.getSetCookie();
    expect(set).toMatch(/^codex-session=[^;]+/);
    expect(attributes(set as string)).toEqual(
      expect.arrayContaining([`domain=${DOMAIN}`, 'path=/', 'httponly', 'secure', 'samesite=strict']),
    );
    expect(await platform.db.select().from(sessions).where(eq(sessions.userId, user.id))).toHaveLength(1);

    const cookie = (set as string).split(';')[0] as string;
    const out = await platform.request('auth', '/api/auth/signout', {
      method: 'POST',
      headers: { cookie, 'cf-connecting-ip': freshIp() },
    });
    expect(out.status).toBe(200);
    expect(await json(out)).toEqual({ success: true });
    const [cleared] = out.headers.getSetCookie();
    expect(cleared).toMatch(/^codex-session=;/);
    expect(attributes(cleared as string)).toEqual(expect.arrayContaining([`domain=${DOMAIN}`, 'max-age=0']));
    expect(await platform.db.select().from(sessions).where(eq(sessions.userId, user.id))).toHaveLength(0);
  });

  it('unset: a host-only cookie', async () => {
    const res = await register({ COOKIE_DOMAIN: undefined });
    expect(res.status).toBe(201);
    const [set] = res.headers.getSetCookie();
    expect(attributes(set as string).some((a) => a.startsWith('domain='))).toBe(false);
  });

  it('malformed (no dot): the worker is misconfigured (503) and nothing is written', async () => {
    const res = await register({ COOKIE_DOMAIN: 'localhost' });
    expect(res.status).toBe(503);
    expect(await json(res)).toMatchObject({ error: { code: 'SERVICE_MISCONFIGURED' } });
    expect(res.headers.getSetCookie()).toEqual([]);
  });
});
