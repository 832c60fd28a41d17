/**
 * The session: who the cookie belongs to (used by every other worker), and sign-out.
 */
import { AuthSessionResponseSchema, AuthSuccessResponseSchema, UnauthorizedError } from '@codex/contract';
import { errorResponses, jsonResponse, SESSION_COOKIE, SESSION_SECURITY, type WorkerApp } from '@codex/worker-kit';
import { createRoute } from '@hono/zod-openapi';
import { getCookie } from 'hono/cookie';
import type { AuthBindings } from '../auth';
import { AuthService } from '../service';
import { AUTH_TAG, setSessionCookies } from './shared';

const getSessionRoute = createRoute({
  method: 'get',
  path: '/api/auth/session',
  operationId: 'getSession',
  tags: [AUTH_TAG],
  summary: 'The signed-in user and session',
  description:
    'Resolves the `codex-session` cookie: from the session cache (KV, at most 5 minutes, cleared at once by sign-out, ' +
    'password reset and email verification) or the database. Other workers call this to authenticate requests.',
  security: SESSION_SECURITY,
  responses: {
    200: jsonResponse(AuthSessionResponseSchema, 'The session is valid'),
    ...errorResponses(401, 503),
  },
});

const signOutRoute = createRoute({
  method: 'post',
  path: '/api/auth/signout',
  operationId: 'signOut',
  tags: [AUTH_TAG],
  summary: 'End the current session',
  description: 'Deletes the session and its cache entry at once, and clears the cookie (Max-Age=0).',
  security: SESSION_SECURITY,
  responses: {
    200: {
      ...jsonResponse(AuthSuccessResponseSchema, 'Signed out'),
      headers: { 'Set-Cookie': { description: 'Clears `codex-session`', schema: { type: 'string' } } },
    },
    ...errorResponses(401, 503),
  },
});

function sessionCookie(c: Parameters<typeof getCookie>[0]) {
  const value = getCookie(c, SESSION_COOKIE);
  if (!value) throw new UnauthorizedError('Authentication required');
  return value;
}

export function registerSessionRoutes(app: WorkerApp<AuthBindings>) {
  app.openapi(getSessionRoute, async (c) => {
    const data = await new AuthService(c).session(sessionCookie(c));
    if (!data) throw new UnauthorizedError('Session is invalid or expired');
    return c.json(data, 200);
  });

  app.openapi(signOutRoute, async (c) => {
    const result = await new AuthService(c).signOut(sessionCookie(c));
    setSessionCookies(c, result.setCookies);
    return c.json(result.body, 200);
  });
}
