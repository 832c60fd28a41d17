/**
 * The ecom-api worker's bindings: the platform's, Stripe's secrets, the local Stripe host (development only) and the
 * checkout redirect allow-list. Parsed once by the worker toolkit; handlers read them with `ecomConfig(c)`.
 */
import { WEBHOOK_SECRET_VARS, type WebhookEndpoint } from '@codex/contract';
import { parseRedirectOrigins, type StripeSettings } from '@codex/purchase';
import { baseEnv, isLocalEnvironment, readConfig, requiredSecrets } from '@codex/worker-kit';
import { z } from 'zod';

const secret = z.string().min(1).optional();

export const EcomEnv = baseEnv
  .extend({
    /** sk_live_… / sk_test_… (a Wrangler secret). Without it checkout answers 503 PAYMENTS_NOT_CONFIGURED. */
    STRIPE_SECRET_KEY: secret,
    /**
     * A local Stripe stand-in (npm run dev, npm run preview) or test server. Honoured in development and test; in
     * staging and production only when it is a loopback host (the production-mode preview on one machine): a deployed
     * Worker cannot reach a loopback address, so it can never send the key anywhere but api.stripe.com.
     */
    STRIPE_API_HOST: z.string().optional(),
    STRIPE_API_PORT: z
      .string()
      .regex(/^\d{1,5}$/)
      .optional(),
    STRIPE_API_PROTOCOL: z.enum(['http', 'https']).optional(),
    /** Comma-separated origins Checkout may redirect to (success and cancel URLs). */
    CHECKOUT_REDIRECT_ORIGINS: z.string().default('').transform(parseRedirectOrigins),
    /** The signing secret (whsec_…) of each webhook endpoint configured in Stripe. */
    STRIPE_WEBHOOK_SECRET_BOOKING: secret,
    STRIPE_WEBHOOK_SECRET_PAYMENT: secret,
    STRIPE_WEBHOOK_SECRET_SUBSCRIPTION: secret,
    STRIPE_WEBHOOK_SECRET_CUSTOMER: secret,
    STRIPE_WEBHOOK_SECRET_CONNECT: secret,
    STRIPE_WEBHOOK_SECRET_DISPUTE: secret,
  })
  .superRefine(
    // The secrets wrangler.jsonc requires (the other endpoints' secrets stay optional: those endpoints answer 503).
    requiredSecrets({ STRIPE_SECRET_KEY: 1, STRIPE_WEBHOOK_SECRET_BOOKING: 1, STRIPE_WEBHOOK_SECRET_PAYMENT: 1 }),
  );
export type EcomConfig = z.output<typeof EcomEnv>;

export const ecomConfig = (c: { env: unknown }) => readConfig(EcomEnv, c);

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** How to reach Stripe: a deployed worker always talks to api.stripe.com (see STRIPE_API_HOST). */
export function stripeSettings(config: EcomConfig): StripeSettings {
  const local =
    isLocalEnvironment(config.ENVIRONMENT) ||
    (config.STRIPE_API_HOST !== undefined && LOOPBACK_HOSTS.has(config.STRIPE_API_HOST));
  return {
    secretKey: config.STRIPE_SECRET_KEY,
    ...(local
      ? { apiHost: config.STRIPE_API_HOST, apiPort: config.STRIPE_API_PORT, apiProtocol: config.STRIPE_API_PROTOCOL }
      : {}),
  };
}

export const webhookSecret = (config: EcomConfig, endpoint: WebhookEndpoint) => config[WEBHOOK_SECRET_VARS[endpoint]];
