import { StripeEventSchema } from '@codex/contract';
import { createWorker } from '@codex/worker-kit';
import { EcomEnv } from './env';
import { checkoutRoutes } from './routes/checkout';
import { webhookRoutes } from './routes/webhooks';

/** The ecom-api worker. Routes live in ./routes; see README "How to add a route". */
export const app = createWorker({
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
  env: EcomEnv,
});

// The webhook bodies reference this schema by name (they are read raw, not validated by the router). `.meta()` makes
// the copy that the registry can name (plain zod schemas made before @hono/zod-openapi loaded lack `.openapi()`).
app.openAPIRegistry.register('StripeEvent', StripeEventSchema.meta({}));

app.route('/', checkoutRoutes);
app.route('/', webhookRoutes);

export default app;
