/**
 * The ecom worker's Stripe settings in `npm run dev`.
 *
 * - STRIPE_SECRET_KEY not set: the local stand-in (./local-stripe.ts) is started and the worker's SDK pointed at it
 *   (STRIPE_API_HOST/PORT/PROTOCOL, honoured outside production only), with the development key and webhook
 *   secrets of ./config.ts. No real payment can happen.
 * - STRIPE_SECRET_KEY set (a test-mode key): the worker talks to api.stripe.com with it; the webhook secrets come
 *   from STRIPE_WEBHOOK_SECRET_<ENDPOINT> (what `stripe listen` prints). No stand-in.
 *
 * CHECKOUT_REDIRECT_ORIGINS: from the environment, else http://localhost:5173.
 */
import { join } from 'node:path';
import { WEBHOOK_ENDPOINTS } from '@codex/contract';
import {
  DEFAULT_REDIRECT_ORIGINS,
  LOCAL_STRIPE_PORT,
  LOCAL_STRIPE_SECRET_KEY,
  WEBHOOK_SECRET_VARS,
  webhookSecret,
} from './config';
import { startLocalStripe } from './local-stripe';

export interface DevStripe {
  mode: 'local' | 'stripe';
  /** Bindings for the ecom worker. */
  vars: Record<string, string>;
  /** Lines for the startup banner. */
  describe(): string[];
  close(): Promise<void>;
}

export async function startDevStripe(options: { dataDir: string; ecomUrl: string }): Promise<DevStripe> {
  const env = process.env;
  const redirectOrigins = env.CHECKOUT_REDIRECT_ORIGINS || DEFAULT_REDIRECT_ORIGINS;
  const realKey = env.STRIPE_SECRET_KEY;

  if (realKey) {
    if (!realKey.startsWith('sk_test_') && !realKey.startsWith('rk_test_')) {
      throw new Error('STRIPE_SECRET_KEY is not a test-mode key (sk_test_…): `npm run dev` never takes real payments');
    }
    const vars: Record<string, string> = { STRIPE_SECRET_KEY: realKey, CHECKOUT_REDIRECT_ORIGINS: redirectOrigins };
    for (const name of [
      ...Object.values(WEBHOOK_SECRET_VARS),
      'STRIPE_API_HOST',
      'STRIPE_API_PORT',
      'STRIPE_API_PROTOCOL',
    ]) {
      const value = env[name];
      if (value) vars[name] = value;
    }
    return {
      mode: 'stripe',
      vars,
      describe: () => [
        '  Stripe   : Stripe test mode (STRIPE_SECRET_KEY from the environment); webhooks via `stripe listen`',
        ...WEBHOOK_ENDPOINTS.filter((e) => e === 'booking' || e === 'payment').map(
          (e) =>
            `             ${WEBHOOK_SECRET_VARS[e]} ${vars[WEBHOOK_SECRET_VARS[e]] ? 'set' : 'NOT SET (that endpoint answers 503)'}`,
        ),
        `             checkout redirects allowed to: ${redirectOrigins}`,
      ],
      close: async () => undefined,
    };
  }

  const secrets = Object.fromEntries(WEBHOOK_ENDPOINTS.map((e) => [WEBHOOK_SECRET_VARS[e], webhookSecret(e)]));
  const stripe = await startLocalStripe({
    port: LOCAL_STRIPE_PORT,
    persistFile: join(options.dataDir, 'stripe', 'sessions.json'),
    webhook: { baseUrl: options.ecomUrl, secret: webhookSecret('booking') },
  }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'EADDRINUSE') {
      throw new Error(
        `port ${LOCAL_STRIPE_PORT} (local Stripe stand-in) is taken: set STRIPE_LOCAL_PORT to another port`,
      );
    }
    throw e;
  });
  return {
    mode: 'local',
    vars: {
      STRIPE_SECRET_KEY: LOCAL_STRIPE_SECRET_KEY,
      ...stripe.vars,
      ...secrets,
      CHECKOUT_REDIRECT_ORIGINS: redirectOrigins,
    },
    describe: () => [
      `  Stripe   : local stand-in — no real payments (${stripe.url}; set STRIPE_SECRET_KEY to use Stripe test mode)`,
      `             checkout URLs open a local pay page; or send the webhook yourself:`,
      `             npm run stripe:event -- --session <sessionId>   (add --times 20 --concurrent, or --refund)`,
      `             webhook secrets: ${WEBHOOK_SECRET_VARS.booking}=${secrets[WEBHOOK_SECRET_VARS.booking]}`,
      `                              ${WEBHOOK_SECRET_VARS.payment}=${secrets[WEBHOOK_SECRET_VARS.payment]}`,
      `             checkout redirects allowed to: ${redirectOrigins}`,
    ],
    close: () => stripe.close(),
  };
}
