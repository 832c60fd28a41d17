/**
 * Stripe for the tests: the local stand-in for api.stripe.com (./stripe-test-server), the ecom worker's test
 * configuration, and Stripe-shaped events signed as Stripe signs them. Shared by the ecom worker's tests and the
 * contract suite (a package's test folder is its own; shared test infrastructure lives here).
 */
import type { WebhookEndpoint } from '@codex/contract';
import { type Content, content, mediaItems, type NewContent } from '@codex/database';
import { signWebhookPayload } from '@codex/purchase';
import type { LocalPlatform } from './index';
import type { StripeTestServer } from './stripe-test-server';

export * from './stripe-test-server';

export const REDIRECT_ORIGIN = 'https://app.codex.test';
export const WEBHOOK_SECRETS: Record<WebhookEndpoint, string> = {
  booking: 'whsec_test_booking_0123456789abcdef',
  payment: 'whsec_test_payment_0123456789abcdef',
  subscription: 'whsec_test_subscription_0123456789ab',
  customer: 'whsec_test_customer_0123456789abcdef',
  connect: 'whsec_test_connect_0123456789abcdef',
  dispute: 'whsec_test_dispute_0123456789abcdef',
};

/** The ecom worker's configuration in tests: test secrets, the SDK pointed at the local Stripe test server. */
export function ecomVars(stripe: StripeTestServer): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: 'sk_test_codex_local',
    ...stripe.vars,
    CHECKOUT_REDIRECT_ORIGINS: `${REDIRECT_ORIGIN}, http://localhost:5173`,
    STRIPE_WEBHOOK_SECRET_BOOKING: WEBHOOK_SECRETS.booking,
    STRIPE_WEBHOOK_SECRET_PAYMENT: WEBHOOK_SECRETS.payment,
    STRIPE_WEBHOOK_SECRET_SUBSCRIPTION: WEBHOOK_SECRETS.subscription,
    STRIPE_WEBHOOK_SECRET_CUSTOMER: WEBHOOK_SECRETS.customer,
    STRIPE_WEBHOOK_SECRET_CONNECT: WEBHOOK_SECRETS.connect,
    STRIPE_WEBHOOK_SECRET_DISPUTE: WEBHOOK_SECRETS.dispute,
  };
}

let seq = 0;

/** Inserts a media item and a content row owned by `creatorId` (published, purchased_only, $19.99 by default). */
export async function createContent(
  platform: LocalPlatform,
  creatorId: string,
  fields: Partial<NewContent> = {},
): Promise<Content> {
  seq += 1;
  const tag = `${Date.now().toString(36)}-${seq}-${Math.random().toString(36).slice(2, 8)}`;
  const [media] = await platform.db
    .insert(mediaItems)
    .values({
      creatorId,
      title: `Media ${tag}`,
      mediaType: 'video',
      mimeType: 'video/mp4',
      fileSizeBytes: 1_000_000,
      storageKey: `originals/${creatorId}/${tag}.mp4`,
      status: 'ready',
      durationSeconds: 120,
      hlsMasterKey: `hls/${tag}/master.m3u8`,
    })
    .returning();
  const [row] = await platform.db
    .insert(content)
    .values({
      creatorId,
      mediaItemId: media?.id,
      title: `Film ${tag}`,
      slug: `film-${tag}`,
      contentType: 'video',
      visibility: 'purchased_only',
      priceCents: 1999,
      currency: 'usd',
      status: 'published',
      publishedAt: new Date(),
      ...fields,
    })
    .returning();
  if (!row) throw new Error('content insert returned nothing');
  return row;
}

export function eventId() {
  seq += 1;
  return `evt_test_${Date.now().toString(36)}${seq}${Math.random().toString(36).slice(2, 10)}`;
}

export interface StripeEventInput {
  id?: string;
  type: string;
  object: Record<string, unknown>;
  livemode?: boolean;
}

/** A Stripe event as Stripe serialises it (pretty-printed: the signature is over these exact bytes). */
export function eventPayload(input: StripeEventInput): string {
  return JSON.stringify(
    {
      id: input.id ?? eventId(),
      object: 'event',
      api_version: '2026-04-22.dahlia',
      created: Math.floor(Date.now() / 1000),
      livemode: input.livemode ?? false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: input.type,
      data: { object: input.object },
    },
    null,
    2,
  );
}

/** A completed, paid checkout.session object for `userId` buying `item`. */
export function completedSession(
  userId: string,
  item: Pick<Content, 'id' | 'priceCents' | 'currency'>,
  overrides: Record<string, unknown> = {},
) {
  seq += 1;
  const suffix = `${Date.now().toString(36)}${seq}${Math.random().toString(36).slice(2, 8)}`;
  return {
    id: `cs_test_${suffix}`,
    object: 'checkout.session',
    mode: 'payment',
    status: 'complete',
    payment_status: 'paid',
    amount_total: item.priceCents,
    currency: item.currency,
    client_reference_id: userId,
    customer_details: { email: 'buyer@example.com', name: 'Buyer' },
    payment_intent: `pi_test_${suffix}`,
    metadata: { userId, contentId: item.id, amountCents: String(item.priceCents), currency: item.currency },
    ...overrides,
  };
}

/** A fully refunded charge of a payment intent. */
export function refundedCharge(paymentIntent: string, amount: number, overrides: Record<string, unknown> = {}) {
  seq += 1;
  return {
    id: `ch_test_${Date.now().toString(36)}${seq}`,
    object: 'charge',
    payment_intent: paymentIntent,
    amount,
    amount_refunded: amount,
    refunded: true,
    currency: 'usd',
    ...overrides,
  };
}

/** Signs `payload` with `secret` (Stripe's scheme, via the SDK's test helper). */
export function sign(payload: string, secret: string, timestamp?: number) {
  return signWebhookPayload(payload, secret, timestamp);
}
