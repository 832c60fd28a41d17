import { createWorker } from '@codex/worker-utils';

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
  kvChecks: { kv_rate_limit: 'RATE_LIMIT_KV' },
});

export default app;
