import { env, SELF } from 'cloudflare:test';
import { describeWorkerBoot } from '../../../test/workerd/boot-checks';

describeWorkerBoot(
  (input, init) => SELF.fetch(input, init),
  {
    service: 'auth-worker',
    title: 'Codex Auth API',
    checks: ['rate_limiter', 'kv_session'],
    database: env.WORKERD_TEST_DB === 'postgres',
  },
  (input, init) => env.BUNDLE.fetch(input, init),
);
