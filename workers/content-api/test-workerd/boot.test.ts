import { env, SELF } from 'cloudflare:test';
import { describeWorkerBoot } from '../../../test/workerd/boot-checks';

describeWorkerBoot(
  (input, init) => SELF.fetch(input, init),
  {
    service: 'content-api',
    title: 'Codex Content API',
    checks: ['rate_limiter', 'r2_media'],
    database: env.WORKERD_TEST_DB === 'postgres',
  },
  (input, init) => env.BUNDLE.fetch(input, init),
);
