/**
 * The session: who the cookie belongs to (used by every other worker), and sign-out.
 */
import { AuthSessionResponseSchema, AuthSuccessResponseSchema } from '@codex/contract';
import { DomainError } from '@codex/domain';
import { defineRoute, json, routeGroup } from '@codex/worker-kit';
import type { Context } from 'hono';
import { SESSION_EXAMPLE } from './register-login';
import { AUTH_TAG, authService, SET_COOKIE_HEADER, sessionCookieOf, setSessionCookies } from './shared';

export const getSession = defineRoute({
  method: 'get',
  path: '/api/auth/session',
  operationId: 'getSession',
  tag: AUTH_TAG,
  summary: 'The signed-in user and session',
  description:
    'Resolves the `codex-session` cookie: from the session cache (KV, at most 5 minutes, cleared at once by sign-out, ' +
    'password reset and email verification) or the database. Other workers call this to authenticate requests.',
  access: 'own-session',
  rateLimit: null,
  responses: { 200: json(AuthSessionResponseSchema, 'The session is valid', { example: SESSION_EXAMPLE }) },
  errors: ['AUTH_NOT_CONFIGURED'],
});

export const signOut = defineRoute({
  method: 'post',
  path: '/api/auth/signout',
  operationId: 'signOut',
  tag: AUTH_TAG,
  summary: 'End the current session',
  description: 'Deletes the session and its cache entry at once, and clears the cookie (Max-Age=0).',
  access: 'own-session',
  rateLimit: null,
  responses: {
    200: {
      ...json(AuthSuccessResponseSchema, 'Signed out', { example: { success: true } }),
      headers: SET_COOKIE_HEADER,
    },
  },
  errors: ['SIGNOUT_FAILED', 'AUTH_NOT_CONFIGURED'],
});

function requiredCookie(c: Context) {
  const value = sessionCookieOf(c);
  if (!value) throw new DomainError('AUTHENTICATION_REQUIRED', 'Authentication required');
  return value;
}

export const sessionRoutes = routeGroup();

sessionRoutes.openapi(getSession, async (c) => {
  const data = await authService(c).session(requiredCookie(c));
  if (!data) throw new DomainError('SESSION_INVALID', 'Session is invalid or expired');
  return c.json(data, 200);
});

sessionRoutes.openapi(signOut, async (c) => {
  const result = await authService(c).signOut(requiredCookie(c));
  setSessionCookies(c, result.setCookies);
  return c.json(result.body, 200);
});
