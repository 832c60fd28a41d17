/**
 * Email + password sign-up and sign-in: register, login. (The session and sign-out are in ./session, email
 * verification and password reset in ./verify-reset.)
 */
import { AuthSessionResponseSchema, LoginRequestSchema, RegisterRequestSchema } from '@codex/contract';
import { defineRoute, json, jsonBody, RATE_LIMIT_PRESETS, routeGroup } from '@codex/worker-kit';
import { AUTH_TAG, authService, SET_COOKIE_HEADER, setSessionCookies } from './shared';

export const USER_EXAMPLE = {
  id: '9b2c4e1a-5d7f-4e3b-8a6c-1f0e2d3c4b5a',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  role: 'viewer',
  emailVerified: false,
  image: null,
  createdAt: '2026-11-25T12:00:00.000Z',
  updatedAt: '2026-11-25T12:00:00.000Z',
};
export const SESSION_EXAMPLE = {
  user: USER_EXAMPLE,
  session: {
    id: '1d2e3f4a-5b6c-4d7e-8f9a-0b1c2d3e4f5a',
    userId: USER_EXAMPLE.id,
    expiresAt: '2026-11-26T12:00:00.000Z',
    createdAt: '2026-11-25T12:00:00.000Z',
  },
};

export const registerWithEmail = defineRoute({
  method: 'post',
  path: '/api/auth/email/register',
  operationId: 'registerWithEmail',
  tag: AUTH_TAG,
  summary: 'Create an account and sign in',
  description:
    'Creates a user (role `viewer`, email not yet verified), sends the verification email, and starts a 24-hour ' +
    'session: the `codex-session` cookie (HttpOnly, SameSite=Strict, Secure).',
  access: 'public',
  rateLimit: RATE_LIMIT_PRESETS.register,
  request: { body: jsonBody(RegisterRequestSchema) },
  responses: {
    201: {
      ...json(AuthSessionResponseSchema, 'Account created and signed in', { example: SESSION_EXAMPLE }),
      headers: SET_COOKIE_HEADER,
    },
  },
  errors: ['EMAIL_TAKEN', 'AUTH_NOT_CONFIGURED'],
});

export const loginWithEmail = defineRoute({
  method: 'post',
  path: '/api/auth/email/login',
  operationId: 'loginWithEmail',
  tag: AUTH_TAG,
  summary: 'Sign in with email and password',
  description:
    'Starts a 24-hour session (the `codex-session` cookie). An unknown email and a wrong password get the same 401 INVALID_CREDENTIALS.',
  access: 'public',
  rateLimit: RATE_LIMIT_PRESETS.login,
  request: { body: jsonBody(LoginRequestSchema) },
  responses: {
    200: { ...json(AuthSessionResponseSchema, 'Signed in', { example: SESSION_EXAMPLE }), headers: SET_COOKIE_HEADER },
  },
  errors: ['INVALID_CREDENTIALS', 'AUTH_NOT_CONFIGURED'],
});

export const registerLoginRoutes = routeGroup();

registerLoginRoutes.openapi(registerWithEmail, async (c) => {
  const result = await authService(c).register(c.req.valid('json'));
  setSessionCookies(c, result.setCookies);
  return c.json(result.body, 201);
});

registerLoginRoutes.openapi(loginWithEmail, async (c) => {
  const result = await authService(c).login(c.req.valid('json'));
  setSessionCookies(c, result.setCookies);
  return c.json(result.body, 200);
});
