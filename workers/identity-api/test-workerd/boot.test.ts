import { env, SELF } from 'cloudflare:test';
import { describeWorkerBoot } from '../../../test/workerd/boot-checks';

describeWorkerBoot(
  (input, init) => SELF.fetch(input, init),
  {
    service: 'identity-api',
    title: 'Codex Identity API',
    checks: ['rate_limiter'],
    database: env.WORKERD_TEST_DB === 'postgres',
  },
  (input, init) => env.BUNDLE.fetch(input, init),
);
