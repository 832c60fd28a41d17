import { createWorker, rateLimiterHealth } from '@codex/worker-kit';
import { type AuthBindings, authConfig } from './auth';
import { registerEmailRoutes } from './routes/email';
import { registerSessionRoutes } from './routes/session';
import { registerVerifyEmailPageRoute } from './routes/verify-email-page';

/** The auth worker. Routes live in ./routes; better-auth setup in ./auth; the operations in ./service. */
export const app = createWorker<AuthBindings>({
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
  kvChecks: { kv_session: 'AUTH_SESSION_KV' },
  checks: { rate_limiter: rateLimiterHealth },
});

// Fail closed: without a secret (or PUBLIC_URL) outside development and test, every auth route answers 503.
// Auth answers are personal: never stored by caches.
app.use('/api/auth/*', async (c, next) => {
  authConfig(c.env ?? {}, c.req.url);
  await next();
  c.header('Cache-Control', 'no-store');
});

registerEmailRoutes(app);
registerSessionRoutes(app);
registerVerifyEmailPageRoute(app);

// Only the app and the Durable Object class are exported: workerd takes every named export of the main module for an
// entrypoint or a Durable Object class. (BCRYPT_COST and the hash helpers live in ./password.)
export default app;

// The rate-limit counters of all four workers live here (RATE_LIMITER in every wrangler.jsonc; the other workers
// bind this class with script_name): auth is deployed first and the others already depend on it.
export { RateLimiter } from '@codex/worker-kit';
