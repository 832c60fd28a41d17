import { StripeEventSchema } from '@codex/contract';
import { createWorker, rateLimiterHealth } from '@codex/worker-kit';
import type { EcomBindings } from './env';
import { checkoutRoutes } from './routes/checkout';
import { STRIPE_SIGNATURE_SCHEME, webhookRoutes } from './routes/webhooks';

/** The ecom-api worker. Routes live in ./routes; see README "How to add a route". */
export const app = createWorker<EcomBindings>({
  service: 'ecom-api',
  name: 'ecom-api',
  title: 'Codex Ecom API',
  version: '1.0.0',
  description: 'Stripe Checkout and signature-verified Stripe webhooks that grant access.',
  servers: {
    production: 'https://ecom-api.revelations.studio',
    staging: 'https://ecom-api-staging.revelations.studio',
    development: 'http://localhost:42072',
  },
  checks: { rate_limiter: rateLimiterHealth },
});

app.openAPIRegistry.registerComponent('securitySchemes', STRIPE_SIGNATURE_SCHEME, {
  type: 'apiKey',
  in: 'header',
  name: 'stripe-signature',
  description:
    'Stripe\'s webhook signature (`t=<unix seconds>,v1=<HMAC-SHA256 of "t.body">`), computed with the endpoint\'s signing secret and verified over the raw body; older than 300 s is refused.',
});
// The webhook bodies reference this schema by name (they are read raw, not validated by the router).
app.openAPIRegistry.register('StripeEvent', StripeEventSchema);

app.route('/', checkoutRoutes);
app.route('/', webhookRoutes);

export default app;
