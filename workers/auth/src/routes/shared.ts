import type { Context } from 'hono';

/** The one tag of the auth worker's operations. */
export const AUTH_TAG = 'Auth';

/** Forwards the `codex-session` Set-Cookie lines better-auth produced (set or cleared). */
export function setSessionCookies(c: Context, setCookies: string[]) {
  for (const cookie of setCookies) c.header('Set-Cookie', cookie, { append: true });
}
