/**
 * Where the ecom worker's Stripe SDK goes: a local Stripe (STRIPE_API_HOST) in development and test, and in any
 * environment when the host is a loopback address (the production-mode preview, `npm run preview`); a deployed
 * worker given any other host still talks to api.stripe.com.
 */
import { describe, expect, it } from 'vitest';
import { EcomEnv, stripeSettings } from '../src/env';

const REQUIRED = {
  STRIPE_SECRET_KEY: 'sk_test_x',
  STRIPE_WEBHOOK_SECRET_BOOKING: 'whsec_b',
  STRIPE_WEBHOOK_SECRET_PAYMENT: 'whsec_p',
};
const settings = (env: Record<string, string>) => stripeSettings(EcomEnv.parse({ ...REQUIRED, ...env }));

describe('the Stripe API host', () => {
  it.each(['localhost', '127.0.0.1', '::1'])('production honours the loopback host %s', (host) => {
    expect(settings({ ENVIRONMENT: 'production', STRIPE_API_HOST: host, STRIPE_API_PORT: '12111' })).toEqual({
      secretKey: 'sk_test_x',
      apiHost: host,
      apiPort: '12111',
      apiProtocol: undefined,
    });
  });

  it.each(['production', 'staging'])('%s ignores any other host (the key only ever goes to Stripe)', (environment) => {
    const s = settings({
      ENVIRONMENT: environment,
      STRIPE_API_HOST: 'stripe.attacker.example',
      STRIPE_API_PORT: '443',
    });
    expect(s).toEqual({ secretKey: 'sk_test_x' });
  });

  it('development honours any host', () => {
    expect(
      settings({ ENVIRONMENT: 'development', STRIPE_API_HOST: 'stripe-mock', STRIPE_API_PROTOCOL: 'http' }),
    ).toMatchObject({
      apiHost: 'stripe-mock',
      apiProtocol: 'http',
    });
  });

  it('production without a required Stripe secret is an invalid configuration (503 SERVICE_MISCONFIGURED)', () => {
    const parsed = EcomEnv.safeParse({ ENVIRONMENT: 'production', STRIPE_SECRET_KEY: 'sk_test_x' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.')).sort()).toEqual([
      'STRIPE_WEBHOOK_SECRET_BOOKING',
      'STRIPE_WEBHOOK_SECRET_PAYMENT',
    ]);
    expect(EcomEnv.safeParse({ ENVIRONMENT: 'test' }).success).toBe(true);
  });
});
