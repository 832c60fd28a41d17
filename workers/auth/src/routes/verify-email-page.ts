/**
 * The link in the verification email: a small, self-contained HTML page (no external resource,
 * a strict CSP with a per-response nonce for its one style block).
 */
import { AUTH_TOKEN_MAX_LENGTH, VerifyEmailLinkQuerySchema } from '@codex/contract';
import { isDomainError } from '@codex/domain';
import { defineRoute, routeGroup } from '@codex/worker-kit';
import type { Context } from 'hono';
import { z } from 'zod';
import { AUTH_TAG, authService } from './shared';

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

export const verifyEmailPageRoutes = routeGroup();

verifyEmailPageRoutes.openapi(
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
