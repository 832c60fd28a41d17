/**
 * Email + password: register, login, email verification (JSON), password reset.
 */
import {
  AuthSessionResponseSchema,
  AuthSuccessResponseSchema,
  LoginRequestSchema,
  RegisterRequestSchema,
  ResetPasswordRequestSchema,
  SendResetPasswordEmailRequestSchema,
  VerifyEmailRequestSchema,
  VerifyEmailResponseSchema,
} from '@codex/contract';
import { defineRoute, json, jsonBody, RATE_LIMIT_PRESETS, type RateLimitPreset, routeGroup } from '@codex/worker-kit';
import { AUTH_TAG, authService, SET_COOKIE_HEADER, setSessionCookies } from './shared';

/** Password reset emails per IP (each one costs an email and a database write). */
export const RESET_PASSWORD_EMAIL_RATE_LIMIT = {
  name: 'reset-password-email',
  limit: 5,
  windowSeconds: 15 * 60,
  keyBy: 'ip',
} as const satisfies RateLimitPreset;

const USER_EXAMPLE = {
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

export const verifyEmail = defineRoute({
  method: 'post',
  path: '/api/auth/email/verify-email',
  operationId: 'verifyEmail',
  tag: AUTH_TAG,
  summary: 'Verify an email address with the token from the verification email',
  description:
    'For clients that read the token from the link themselves; the link itself opens `GET /api/auth/verify-email`. ' +
    'Idempotent while the token is valid (24 hours); an unknown or expired token is 422 INVALID_TOKEN.',
  access: 'public',
  rateLimit: null,
  request: { body: jsonBody(VerifyEmailRequestSchema) },
  responses: {
    200: json(VerifyEmailResponseSchema, 'The email address is verified', {
      example: { verified: true, user: { ...USER_EXAMPLE, emailVerified: true } },
    }),
  },
  errors: ['INVALID_TOKEN', 'AUTH_NOT_CONFIGURED'],
});

export const sendResetPasswordEmail = defineRoute({
  method: 'post',
  path: '/api/auth/email/send-reset-password-email',
  operationId: 'sendResetPasswordEmail',
  tag: AUTH_TAG,
  summary: 'Email a password reset link',
  description:
    'Always answers 200, whether or not an account uses the address. The link is valid for 1 hour and works once.',
  access: 'public',
  rateLimit: RESET_PASSWORD_EMAIL_RATE_LIMIT,
  request: { body: jsonBody(SendResetPasswordEmailRequestSchema) },
  responses: {
    200: json(AuthSuccessResponseSchema, 'Accepted (an email is sent if the account exists)', {
      example: { success: true },
    }),
  },
  errors: ['AUTH_NOT_CONFIGURED'],
});

export const resetPassword = defineRoute({
  method: 'post',
  path: '/api/auth/email/reset-password',
  operationId: 'resetPassword',
  tag: AUTH_TAG,
  summary: 'Set a new password with the token from the reset email',
  description:
    'Ends every session of the user (all devices). The token works once; an unknown, used or expired token is 422 INVALID_TOKEN.',
  access: 'public',
  rateLimit: null,
  request: { body: jsonBody(ResetPasswordRequestSchema) },
  responses: {
    200: json(AuthSuccessResponseSchema, 'Password changed; all sessions ended', { example: { success: true } }),
  },
  errors: ['INVALID_TOKEN', 'AUTH_NOT_CONFIGURED'],
});

export const emailRoutes = routeGroup();

emailRoutes.openapi(registerWithEmail, async (c) => {
  const result = await authService(c).register(c.req.valid('json'));
  setSessionCookies(c, result.setCookies);
  return c.json(result.body, 201);
});

emailRoutes.openapi(loginWithEmail, async (c) => {
  const result = await authService(c).login(c.req.valid('json'));
  setSessionCookies(c, result.setCookies);
  return c.json(result.body, 200);
});

emailRoutes.openapi(verifyEmail, async (c) => {
  const user = await authService(c).verifyEmail(c.req.valid('json').token);
  return c.json({ verified: true as const, user }, 200);
});

emailRoutes.openapi(sendResetPasswordEmail, async (c) => {
  await authService(c).sendResetPasswordEmail(c.req.valid('json').email);
  return c.json({ success: true as const }, 200);
});

emailRoutes.openapi(resetPassword, async (c) => {
  const { token, newPassword } = c.req.valid('json');
  await authService(c).resetPassword(token, newPassword);
  return c.json({ success: true as const }, 200);
});
