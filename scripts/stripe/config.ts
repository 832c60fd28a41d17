/**
 * Stripe settings of the local development setup, shared by `npm run dev` (scripts/dev.ts) and
 * `npm run stripe:event` (scripts/stripe/send-event.ts).
 *
 * Without STRIPE_SECRET_KEY in the environment, `npm run dev` starts the local Stripe stand-in (./local-stripe.ts)
 * and gives the ecom worker the development values below. They are public on purpose: they only ever sign events
 * for a local server and unlock nothing at Stripe.
 */
import { WEBHOOK_SECRET_VARS, type WebhookEndpoint } from '@codex/contract';

/** The API key the worker sends to the stand-in (test-mode shaped, as the stand-in requires). */
export const LOCAL_STRIPE_SECRET_KEY = 'sk_test_local_codex_dev_only';

/** Development signing secrets, one per webhook endpoint (in Stripe each endpoint has its own whsec_). */
export const DEV_WEBHOOK_SECRETS: Record<WebhookEndpoint, string> = {
  booking: 'whsec_codex_dev_booking_local_only',
  payment: 'whsec_codex_dev_payment_local_only',
  subscription: 'whsec_codex_dev_subscription_local_only',
  customer: 'whsec_codex_dev_customer_local_only',
  connect: 'whsec_codex_dev_connect_local_only',
  dispute: 'whsec_codex_dev_dispute_local_only',
};

/** The worker binding that holds each endpoint's signing secret (defined with the endpoints). */
export { WEBHOOK_SECRET_VARS };

/** The stand-in's port (12111, as stripe-mock uses); STRIPE_LOCAL_PORT changes it. */
export const LOCAL_STRIPE_PORT = Number(process.env.STRIPE_LOCAL_PORT ?? 12111);

/** Where the ecom worker listens in `npm run dev` (ECOM_URL changes it for send-event). */
export const ECOM_URL = process.env.ECOM_URL ?? 'http://localhost:42072';

/** Redirect origins for Checkout when CHECKOUT_REDIRECT_ORIGINS is not set: a local front end. */
export const DEFAULT_REDIRECT_ORIGINS = 'http://localhost:5173';

/**
 * The secret an endpoint's deliveries are signed with: the environment's STRIPE_WEBHOOK_SECRET_<ENDPOINT> when set
 * (what `npm run dev` gives the worker in that case too), else the development constant.
 */
export function webhookSecret(endpoint: WebhookEndpoint, env: NodeJS.ProcessEnv = process.env): string {
  return env[WEBHOOK_SECRET_VARS[endpoint]] || DEV_WEBHOOK_SECRETS[endpoint];
}

/** Deterministic ids derived from a Checkout Session id, so that a second delivery is the same Stripe event. */
export function derivedIds(sessionId: string) {
  const suffix = sessionId.replace(/^cs_(test|live)_/, '');
  return {
    paymentIntent: `pi_test_${suffix}`,
    charge: `ch_test_${suffix}`,
    completedEvent: `evt_test_completed_${suffix}`,
    refundedEvent: `evt_test_refunded_${suffix}`,
  };
}
