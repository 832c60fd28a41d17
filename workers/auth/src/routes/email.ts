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
import {
  errorResponses,
  jsonBody,
  jsonResponse,
  RATE_LIMIT_PRESETS,
  type RateLimitPreset,
  rateLimit,
  type WorkerApp,
} from '@codex/worker-kit';
import { createRoute } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import type { AuthBindings } from '../auth';
import { AuthService } from '../service';
import { AUTH_TAG, setSessionCookies } from './shared';

/** Password reset emails per IP (each one costs an email and a database write). */
export const RESET_PASSWORD_EMAIL_RATE_LIMIT = {
  name: 'reset-password-email',
  limit: 5,
  windowSeconds: 15 * 60,
  keyBy: 'ip',
} as const satisfies RateLimitPreset;

// The limiter runs before body parsing and validation, so malformed attempts count too.
const limit = (preset: RateLimitPreset) => rateLimit(preset) as unknown as MiddlewareHandler;

const registerRoute = createRoute({
  method: 'post',
  path: '/api/auth/email/register',
  operationId: 'registerWithEmail',
  tags: [AUTH_TAG],
  summary: 'Create an account and sign in',
  description:
    'Creates a user (role `viewer`, email not yet verified), sends the verification email, and starts a 24-hour ' +
    'session: the `codex-session` cookie (HttpOnly, SameSite=Strict, Secure). Limited to 10 attempts per 15 minutes per IP.',
  security: [],
  middleware: [limit(RATE_LIMIT_PRESETS.register)],
  request: { body: jsonBody(RegisterRequestSchema) },
  responses: {
    201: {
      ...jsonResponse(AuthSessionResponseSchema, 'Account created and signed in'),
      headers: { 'Set-Cookie': { description: 'The `codex-session` cookie', schema: { type: 'string' } } },
    },
    ...errorResponses(400, 409, 413, 415, 429, 503),
  },
});

const loginRoute = createRoute({
  method: 'post',
  path: '/api/auth/email/login',
  operationId: 'loginWithEmail',
  tags: [AUTH_TAG],
  summary: 'Sign in with email and password',
  description:
    'Starts a 24-hour session (the `codex-session` cookie). An unknown email and a wrong password get the same 401. ' +
    'Limited to 10 attempts per 15 minutes per IP.',
  security: [],
  middleware: [limit(RATE_LIMIT_PRESETS.login)],
  request: { body: jsonBody(LoginRequestSchema) },
  responses: {
    200: {
      ...jsonResponse(AuthSessionResponseSchema, 'Signed in'),
      headers: { 'Set-Cookie': { description: 'The `codex-session` cookie', schema: { type: 'string' } } },
    },
    ...errorResponses(400, 401, 413, 415, 429, 503),
  },
});

const verifyEmailRoute = createRoute({
  method: 'post',
  path: '/api/auth/email/verify-email',
  operationId: 'verifyEmail',
  tags: [AUTH_TAG],
  summary: 'Verify an email address with the token from the verification email',
  description:
    'For clients that read the token from the link themselves; the link itself opens `GET /api/auth/verify-email`. ' +
    'Idempotent while the token is valid (24 hours).',
  security: [],
  request: { body: jsonBody(VerifyEmailRequestSchema) },
  responses: {
    200: jsonResponse(VerifyEmailResponseSchema, 'The email address is verified'),
    ...errorResponses(400, 413, 415, 503),
  },
});

const sendResetPasswordEmailRoute = createRoute({
  method: 'post',
  path: '/api/auth/email/send-reset-password-email',
  operationId: 'sendResetPasswordEmail',
  tags: [AUTH_TAG],
  summary: 'Email a password reset link',
  description:
    'Always answers 200, whether or not an account uses the address. The link is valid for 1 hour and works once. ' +
    `Limited to ${RESET_PASSWORD_EMAIL_RATE_LIMIT.limit} requests per 15 minutes per IP.`,
  security: [],
  middleware: [limit(RESET_PASSWORD_EMAIL_RATE_LIMIT)],
  request: { body: jsonBody(SendResetPasswordEmailRequestSchema) },
  responses: {
    200: jsonResponse(AuthSuccessResponseSchema, 'Accepted (an email is sent if the account exists)'),
    ...errorResponses(400, 413, 415, 429, 503),
  },
});

const resetPasswordRoute = createRoute({
  method: 'post',
  path: '/api/auth/email/reset-password',
  operationId: 'resetPassword',
  tags: [AUTH_TAG],
  summary: 'Set a new password with the token from the reset email',
  description: 'Ends every session of the user (all devices). The token works once.',
  security: [],
  request: { body: jsonBody(ResetPasswordRequestSchema) },
  responses: {
    200: jsonResponse(AuthSuccessResponseSchema, 'Password changed; all sessions ended'),
    ...errorResponses(400, 413, 415, 503),
  },
});

export function registerEmailRoutes(app: WorkerApp<AuthBindings>) {
  app.openapi(registerRoute, async (c) => {
    const result = await new AuthService(c).register(c.req.valid('json'));
    setSessionCookies(c, result.setCookies);
    return c.json(result.body, 201);
  });

  app.openapi(loginRoute, async (c) => {
    const result = await new AuthService(c).login(c.req.valid('json'));
    setSessionCookies(c, result.setCookies);
    return c.json(result.body, 200);
  });

  app.openapi(verifyEmailRoute, async (c) => {
    const user = await new AuthService(c).verifyEmail(c.req.valid('json').token);
    return c.json({ verified: true as const, user }, 200);
  });

  app.openapi(sendResetPasswordEmailRoute, async (c) => {
    await new AuthService(c).sendResetPasswordEmail(c.req.valid('json').email);
    return c.json({ success: true as const }, 200);
  });

  app.openapi(resetPasswordRoute, async (c) => {
    const { token, newPassword } = c.req.valid('json');
    await new AuthService(c).resetPassword(token, newPassword);
    return c.json({ success: true as const }, 200);
  });
}
