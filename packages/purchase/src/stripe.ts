import { ServiceUnavailableError } from '@codex/contract';
import Stripe from 'stripe';

/** The ecom worker's Stripe configuration (vars and secrets). */
export interface StripeEnv {
  ENVIRONMENT?: string;
  /** sk_live_… / sk_test_… (a secret). */
  STRIPE_SECRET_KEY?: string;
  /**
   * Where the SDK sends API calls, for a local test server. Honoured outside production only: a production
   * worker always talks to api.stripe.com over https.
   */
  STRIPE_API_HOST?: string;
  STRIPE_API_PORT?: string;
  STRIPE_API_PROTOCOL?: string;
}

/** One client per isolate and configuration: the SDK object is stateless apart from its config. */
const clients = new Map<string, Stripe>();

/**
 * The official SDK with the fetch HTTP client (works in Workers and Node). Without a secret key, payments are
 * not configured: 503.
 */
export function stripeClient(env: StripeEnv): Stripe {
  const key = env.STRIPE_SECRET_KEY;
  if (!key) throw new ServiceUnavailableError('Payments are not configured', 'PAYMENTS_NOT_CONFIGURED');
  const production = (env.ENVIRONMENT ?? 'development') === 'production';
  const host = production ? undefined : env.STRIPE_API_HOST;
  const port = production ? undefined : env.STRIPE_API_PORT;
  const protocol = production ? undefined : env.STRIPE_API_PROTOCOL;
  const cacheKey = [key, host, port, protocol].join('|');
  let client = clients.get(cacheKey);
  if (!client) {
    client = new Stripe(key, {
      httpClient: Stripe.createFetchHttpClient(),
      maxNetworkRetries: 1,
      timeout: 15_000,
      telemetry: false,
      ...(host ? { host } : {}),
      ...(port ? { port } : {}),
      ...(protocol === 'http' || protocol === 'https' ? { protocol } : {}),
    });
    clients.set(cacheKey, client);
  }
  return client;
}

/** Signature checks use Web Crypto (SubtleCrypto), which Workers provide; no API key is involved. */
const cryptoProvider = Stripe.createSubtleCryptoProvider();

/** Stripe's default, stated explicitly: signatures older than this many seconds are refused. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export type StripeEvent = Stripe.Event;

export class WebhookSignatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookSignatureError';
  }
}

/**
 * Verifies the `stripe-signature` header over the raw body with the endpoint's secret and returns the parsed
 * event. Throws WebhookSignatureError for a bad, stale or foreign signature.
 */
export async function verifyWebhook(rawBody: string, signature: string, secret: string): Promise<unknown> {
  try {
    return await Stripe.webhooks.constructEventAsync(
      rawBody,
      signature,
      secret,
      WEBHOOK_TOLERANCE_SECONDS,
      cryptoProvider,
    );
  } catch (e) {
    if (e instanceof Stripe.errors.StripeSignatureVerificationError) {
      const stale = /tolerance/i.test(e.message);
      throw new WebhookSignatureError(stale ? 'Signature timestamp is too old' : 'Signature does not match');
    }
    throw e;
  }
}

/** Signs a payload as Stripe would (tests, benchmarks, local tooling). */
export function signWebhookPayload(payload: string, secret: string, timestamp?: number): Promise<string> {
  return Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret,
    cryptoProvider,
    ...(timestamp !== undefined ? { timestamp } : {}),
  });
}

/** Stripe SDK errors are all subclasses of StripeError. */
export function isStripeError(e: unknown): e is Stripe.errors.StripeError {
  return e instanceof Stripe.errors.StripeError;
}
