/**
 * Email verification (the JSON route, and the HTML page the emailed link opens) and password reset.
 */
import {
  AUTH_TOKEN_MAX_LENGTH,
  AuthSuccessResponseSchema,
  ResetPasswordRequestSchema,
  SendResetPasswordEmailRequestSchema,
  VerifyEmailLinkQuerySchema,
  VerifyEmailRequestSchema,
  VerifyEmailResponseSchema,
} from '@codex/contract';
import { isDomainError } from '@codex/domain';
import { defineRoute, json, jsonBody, type RateLimitPreset, routeGroup } from '@codex/worker-kit';
import type { Context } from 'hono';
import { z } from 'zod';
import { USER_EXAMPLE } from './register-login';
import { AUTH_TAG, authService } from './shared';

/** Password reset emails per IP (each one costs an email and a database write). */
export const RESET_PASSWORD_EMAIL_RATE_LIMIT = {
  name: 'reset-password-email',
  limit: 5,
  windowSeconds: 15 * 60,
  keyBy: 'ip',
} as const satisfies RateLimitPreset;

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

const HTML = { 'text/html': { schema: z.string() } };

export const verifyEmailLink = defineRoute({
  method: 'get',
  path: '/api/auth/verify-email',
  operationId: 'verifyEmailLink',
  tag: AUTH_TAG,
  summary: 'Verification link target (HTML page)',
  description:
    'Opened from the verification email. Verifies the address and answers with a small HTML page — also when the link is ' +
    'mangled, invalid or expired (400 with an HTML page, not the JSON envelope). JSON clients use `POST /api/auth/email/verify-email` instead.',
  access: 'public',
  rateLimit: null,
  request: { query: VerifyEmailLinkQuerySchema },
  responses: {
    200: { description: 'HTML page: "Email verified"', content: HTML },
    400: { description: 'HTML page: the link is invalid or has expired', content: HTML },
  },
  errors: ['AUTH_NOT_CONFIGURED'],
});

function page(nonce: string, title: string, message: string) {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title} · Codex</title>
<style nonce="${nonce}">
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;background:#f6f7f9;color:#1d2330}
main{max-width:28rem;margin:1rem;padding:2rem;background:#fff;border-radius:12px;box-shadow:0 1px 4px rgba(0,0,0,.08);text-align:center}
h1{font-size:1.5rem;margin:0 0 .75rem}
p{margin:0;line-height:1.5;color:#4a5263}
</style>
</head>
<body>
<main>
<h1>${title}</h1>
<p>${message}</p>
</main>
</body>
</html>
`;
}

/** The page, with its own strict CSP (a per-response nonce for its one style block). */
function answer(c: Context, verified: boolean) {
  const nonce = crypto.randomUUID().replace(/-/g, '');
  c.header(
    'Content-Security-Policy',
    `default-src 'none'; style-src 'nonce-${nonce}'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
  );
  c.header('Cache-Control', 'no-store');
  return verified
    ? c.html(page(nonce, 'Email verified', 'Thank you: your email address is confirmed. You can close this page.'), 200)
    : c.html(page(nonce, 'Link invalid or expired', 'This verification link is invalid or has expired.'), 400);
}

export const verifyResetRoutes = routeGroup();

verifyResetRoutes.openapi(
  verifyEmailLink,
  async (c) => {
    const { token } = c.req.valid('query');
    let verified = false;
    if (token && token.length <= AUTH_TOKEN_MAX_LENGTH) {
      try {
        await authService(c).verifyEmail(token);
        verified = true;
      } catch (e) {
        if (!(isDomainError(e) && (e.code === 'INVALID_TOKEN' || e.code === 'VALIDATION_ERROR'))) throw e;
      }
    }
    return answer(c, verified);
  },
  // A query that is not even well-formed is an invalid link, answered with the page like any other.
  (result, c) => (result.success ? undefined : answer(c, false)),
);

verifyResetRoutes.openapi(verifyEmail, async (c) => {
  const user = await authService(c).verifyEmail(c.req.valid('json').token);
  return c.json({ verified: true as const, user }, 200);
});

verifyResetRoutes.openapi(sendResetPasswordEmail, async (c) => {
  await authService(c).sendResetPasswordEmail(c.req.valid('json').email);
  return c.json({ success: true as const }, 200);
});

verifyResetRoutes.openapi(resetPassword, async (c) => {
  const { token, newPassword } = c.req.valid('json');
  await authService(c).resetPassword(token, newPassword);
  return c.json({ success: true as const }, 200);
});
