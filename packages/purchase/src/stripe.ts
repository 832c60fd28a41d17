import { DomainError } from '@codex/domain';
import Stripe from 'stripe';

/** How to reach Stripe (from the ecom worker's configuration). */
export interface StripeSettings {
  /** sk_live_… / sk_test_… (a secret); undefined: payments are not configured. */
  secretKey: string | undefined;
  /**
   * Where the SDK sends API calls, for a local stand-in or test server. The worker's configuration only passes
   * these outside production: a production worker always talks to api.stripe.com over https.
   */
  apiHost?: string | undefined;
  apiPort?: string | undefined;
  apiProtocol?: 'http' | 'https' | undefined;
}

/** One client per isolate and configuration: the SDK object is stateless apart from its config. */
const clients = new Map<string, Stripe>();

/** The official SDK with the fetch HTTP client (works in Workers and Node). No key: 503 PAYMENTS_NOT_CONFIGURED. */
export function stripeClient(settings: StripeSettings): Stripe {
  const key = settings.secretKey;
  if (!key) throw new DomainError('PAYMENTS_NOT_CONFIGURED', 'Payments are not configured');
  const { apiHost: host, apiPort: port, apiProtocol: protocol } = settings;
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
      ...(protocol ? { protocol } : {}),
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
