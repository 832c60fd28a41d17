import { createWorker } from '@codex/worker-utils';

/** The auth worker. Routes live in ./routes; see README "How to add a route". */
export const app = createWorker({
  service: 'auth-worker',
  name: 'auth',
  title: 'Codex Auth API',
  version: '1.0.0',
  description: 'Registration, login, sessions, email verification and password reset.',
  servers: {
    production: 'https://auth.revelations.studio',
    staging: 'https://auth-staging.revelations.studio',
    development: 'http://localhost:42069',
  },
  kvChecks: { kv_rate_limit: 'RATE_LIMIT_KV', kv_session: 'AUTH_SESSION_KV' },
});

export default app;
