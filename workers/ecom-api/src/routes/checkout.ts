import { CheckoutSessionSchema, CreateCheckoutSessionSchema } from '@codex/contract';
import { CheckoutService, parseRedirectOrigins, stripeClient } from '@codex/purchase';
import {
  type AppEnv,
  apiPolicy,
  currentUser,
  errorResponses,
  getDb,
  jsonBody,
  jsonResponse,
  SESSION_SECURITY,
} from '@codex/worker-kit';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { EcomBindings } from '../env';

export const PAYMENTS_TAG = 'Payments';

export const createCheckoutSessionRoute = createRoute({
  method: 'post',
  path: '/checkout/create',
  operationId: 'createCheckoutSession',
  tags: [PAYMENTS_TAG],
  summary: 'Start a Stripe Checkout for purchased content',
  description: [
    'Creates a Stripe Checkout Session (mode payment) for published `purchased_only` content at its price and currency;',
    'the client then redirects the buyer to `checkoutUrl`. Access is granted when Stripe reports the completed checkout',
    'on the booking webhook, not here. Repeating the same request within a few minutes returns the same session',
    '(idempotency key per user, content and redirect URLs).',
    '',
    '- 409 `ALREADY_HAS_ACCESS`: the caller already has (non-revoked) access.',
    '- 422 `CONTENT_NOT_PURCHASABLE` (details.reason: free, members_only, not_published, deleted, own_content), or',
    '  `REDIRECT_URL_NOT_ALLOWED` when a redirect URL is outside the configured origins (details name the fields).',
    '- 503: the payment provider or the database is unavailable, or payments are not configured.',
  ].join('\n'),
  security: SESSION_SECURITY,
  middleware: apiPolicy('required'),
  request: { body: jsonBody(CreateCheckoutSessionSchema) },
  responses: {
    201: jsonResponse(CheckoutSessionSchema, 'Checkout Session created: redirect the buyer to checkoutUrl'),
    ...errorResponses(400, 401, 404, 409, 413, 415, 422, 429, 503),
  },
});

export const checkoutRoutes = new OpenAPIHono<AppEnv>().openapi(createCheckoutSessionRoute, async (c) => {
  const env = c.env as EcomBindings;
  const user = currentUser(c);
  const service = new CheckoutService(
    getDb(c),
    () => stripeClient(env),
    parseRedirectOrigins(env.CHECKOUT_REDIRECT_ORIGINS),
  );
  const session = await service.create({ id: user.id, email: user.email }, c.req.valid('json'));
  return c.json(session, 201);
});
