import { CheckoutSessionSchema, CreateCheckoutSessionSchema } from '@codex/contract';
import { CheckoutService, stripeClient } from '@codex/purchase';
import { currentUser, defineRoute, getDb, json, jsonBody, routeGroup } from '@codex/worker-kit';
import { ecomConfig, stripeSettings } from '../env';

export const PAYMENTS_TAG = 'Payments';

export const createCheckoutSession = defineRoute({
  method: 'post',
  path: '/checkout/create',
  operationId: 'createCheckoutSession',
  tag: PAYMENTS_TAG,
  summary: 'Start a Stripe Checkout for purchased content',
  description: [
    'Creates a Stripe Checkout Session (mode payment) for published `purchased_only` content at its price and currency;',
    'the client then redirects the buyer to `checkoutUrl`. Access is granted when Stripe reports the completed checkout',
    'on the booking webhook, not here. Repeating the same request within a few minutes returns the same open session.',
    '',
    '- 409 `ALREADY_HAS_ACCESS`: the caller already has access (an active purchase).',
    '- 422 `CONTENT_NOT_PURCHASABLE` (details.reason: free, members_only, not_published, deleted, own_content), or',
    '  `REDIRECT_URL_NOT_ALLOWED` when a redirect URL is outside the configured origins (details name the fields).',
    '- 503: the payment provider or the database is unavailable, or payments are not configured.',
  ].join('\n'),
  access: 'session',
  idempotent: true,
  request: { body: jsonBody(CreateCheckoutSessionSchema) },
  responses: {
    201: json(CheckoutSessionSchema, 'Checkout Session created: redirect the buyer to checkoutUrl', {
      example: { sessionId: 'cs_test_a1b2c3', checkoutUrl: 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3' },
    }),
  },
  errors: [
    'CONTENT_NOT_FOUND',
    'ALREADY_HAS_ACCESS',
    'CONTENT_NOT_PURCHASABLE',
    'REDIRECT_URL_NOT_ALLOWED',
    'PAYMENTS_NOT_CONFIGURED',
    'PAYMENT_PROVIDER_UNAVAILABLE',
  ],
});

export const checkoutRoutes = routeGroup();

checkoutRoutes.openapi(createCheckoutSession, async (c) => {
  const config = ecomConfig(c);
  const user = currentUser(c);
  const service = new CheckoutService(
    getDb(c),
    () => stripeClient(stripeSettings(config)),
    config.CHECKOUT_REDIRECT_ORIGINS,
  );
  const session = await service.create({ id: user.id, email: user.email }, c.req.valid('json'));
  return c.json(session, 201);
});
