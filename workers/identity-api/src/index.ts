import { createWorker } from '@codex/worker-kit';
import { IdentityEnv } from './env';
import { memberRoutes } from './routes/members';
import { organizationRoutes } from './routes/organizations';

/** The identity-api worker. Routes live in ./routes (one group per resource); see README "How to add a route". */
export const app = createWorker({
  service: 'identity-api',
  name: 'identity-api',
  title: 'Codex Identity API',
  version: '1.0.0',
  description: 'Organizations with unique slugs, and their members.',
  servers: {
    production: 'https://identity-api.revelations.studio',
    staging: 'https://identity-api-staging.revelations.studio',
    development: 'http://localhost:42071',
  },
  env: IdentityEnv,
});

app.route('/', organizationRoutes);
app.route('/', memberRoutes);

export default app;
