import { createWorker } from '@codex/worker-kit';
import { AuthEnv } from './env';
import { registerLoginRoutes } from './routes/register-login';
import { sessionRoutes } from './routes/session';
import { verifyResetRoutes } from './routes/verify-reset';

/** The auth worker. Routes live in ./routes (one group per resource); better-auth setup in ./auth; the operations in ./service. */
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
  env: AuthEnv,
  kvChecks: { kv_session: 'AUTH_SESSION_KV' },
});

// Auth answers are personal: never stored by caches.
app.use('/api/auth/*', async (c, next) => {
  await next();
  c.header('Cache-Control', 'no-store');
});

app.route('/', registerLoginRoutes);
app.route('/', verifyResetRoutes);
app.route('/', sessionRoutes);

// Only the app and the Durable Object class are exported: workerd takes every named export of the main module for an
// entrypoint or a Durable Object class.
export default app;

// The rate-limit counters of all four workers live here (RATE_LIMITER in every wrangler.jsonc; the other workers
// bind this class with script_name): auth is deployed first and the others already depend on it.
export { RateLimiter } from '@codex/worker-kit';
