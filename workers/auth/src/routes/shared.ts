import { SESSION_COOKIE } from '@codex/domain';
import { type AppEnv, getDb, getLogger } from '@codex/worker-kit';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { authEnv, authSettings } from '../env';
import { AuthService } from '../service';

/** The one tag of the auth worker's operations. */
export const AUTH_TAG = 'Auth';

/** The auth service for this request: its database, settings (503 AUTH_NOT_CONFIGURED when unsafe), cache, client. */
export function authService(c: Context<AppEnv>) {
  const config = authEnv(c);
  let waitUntil: ((p: Promise<unknown>) => void) | undefined;
  try {
    const ctx = c.executionCtx;
    waitUntil = (p) => ctx.waitUntil(p);
  } catch {
    waitUntil = undefined;
  }
  return new AuthService({
    db: () => getDb(c),
    settings: authSettings(config, c.req.url),
    log: getLogger(c),
    logLevel: config.LOG_LEVEL,
    waitUntil,
    kv: config.AUTH_SESSION_KV,
    client: { userAgent: c.req.header('user-agent'), ip: c.req.header('cf-connecting-ip') },
  });
}

/** The caller's session cookie, if any. */
export const sessionCookieOf = (c: Context) => getCookie(c, SESSION_COOKIE);

/** Forwards the `codex-session` Set-Cookie lines better-auth produced (set or cleared). */
export function setSessionCookies(c: Context, setCookies: string[]) {
  for (const cookie of setCookies) c.header('Set-Cookie', cookie, { append: true });
}

export const SET_COOKIE_HEADER = {
  'Set-Cookie': {
    description: 'The `codex-session` cookie (HttpOnly, SameSite=Strict, Secure outside development)',
    schema: { type: 'string' as const },
  },
};
