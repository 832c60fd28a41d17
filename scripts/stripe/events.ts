/**
 * Stripe events as Stripe sends them to a webhook endpoint: the envelope, the objects the ecom worker reads, the
 * `stripe-signature` header (the SDK's own generateTestHeaderStringAsync, via @codex/purchase) and the delivery.
 * Used by the local Stripe stand-in's checkout page and by `npm run stripe:event`.
 */

import type { WebhookEndpoint } from '@codex/contract';
import { signWebhookPayload } from '@codex/purchase';
import Stripe from 'stripe';
import { derivedIds, ECOM_URL } from './config';

/** What a completed checkout needs to say: who bought what, for how much. */
export interface CheckoutFacts {
  sessionId: string;
  userId: string;
  contentId: string;
  amountCents: number;
  currency: string;
  customerEmail?: string | null;
  successUrl?: string | null;
  cancelUrl?: string | null;
}

let counter = 0;
function randomSuffix() {
  counter += 1;
  return `${Date.now().toString(36)}${counter}${Math.random().toString(36).slice(2, 10)}`;
}

/** The envelope Stripe wraps every object in (pretty-printed, as Stripe sends it: the signature covers these bytes). */
export function eventPayload(id: string, type: string, object: Record<string, unknown>): string {
  return JSON.stringify(
    {
      id,
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: Math.floor(Date.now() / 1000),
      data: { object },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type,
    },
    null,
    2,
  );
}

/** The checkout.session object once the buyer has paid. */
export function completedSessionObject(facts: CheckoutFacts) {
  const ids = derivedIds(facts.sessionId);
  const currency = facts.currency.toLowerCase();
  const metadata = {
    userId: facts.userId,
    contentId: facts.contentId,
    amountCents: String(facts.amountCents),
    currency,
  };
  return {
    id: facts.sessionId,
    object: 'checkout.session',
    mode: 'payment',
    status: 'complete',
    payment_status: 'paid',
    amount_subtotal: facts.amountCents,
    amount_total: facts.amountCents,
    currency,
    client_reference_id: facts.userId,
    customer_email: facts.customerEmail ?? null,
    customer_details: facts.customerEmail ? { email: facts.customerEmail } : null,
    metadata,
    payment_intent: ids.paymentIntent,
    success_url: facts.successUrl ?? null,
    cancel_url: facts.cancelUrl ?? null,
    livemode: false,
    url: null,
  };
}

/** The charge object of a full refund of that checkout's payment. */
export function refundedChargeObject(facts: CheckoutFacts) {
  const ids = derivedIds(facts.sessionId);
  return {
    id: ids.charge,
    object: 'charge',
    payment_intent: ids.paymentIntent,
    amount: facts.amountCents,
    amount_captured: facts.amountCents,
    amount_refunded: facts.amountCents,
    refunded: true,
    paid: true,
    status: 'succeeded',
    currency: facts.currency.toLowerCase(),
    metadata: { userId: facts.userId, contentId: facts.contentId },
    livemode: false,
  };
}

export type EventKind = 'completed' | 'refunded';

export interface BuiltEvent {
  endpoint: WebhookEndpoint;
  id: string;
  type: string;
  payload: string;
}

/**
 * The event for a checkout: checkout.session.completed (booking endpoint) or charge.refunded (payment endpoint).
 * Its id is derived from the session id, so building it again gives the same Stripe event (a redelivery);
 * `fresh` gives it a new id instead (a different event about the same checkout).
 */
export function buildEvent(kind: EventKind, facts: CheckoutFacts, fresh = false): BuiltEvent {
  const ids = derivedIds(facts.sessionId);
  if (kind === 'completed') {
    const id = fresh ? `evt_test_${randomSuffix()}` : ids.completedEvent;
    const type = 'checkout.session.completed';
    return { endpoint: 'booking', id, type, payload: eventPayload(id, type, completedSessionObject(facts)) };
  }
  const id = fresh ? `evt_test_${randomSuffix()}` : ids.refundedEvent;
  const type = 'charge.refunded';
  return { endpoint: 'payment', id, type, payload: eventPayload(id, type, refundedChargeObject(facts)) };
}

export interface DeliveryResult {
  status: number;
  body: unknown;
}

/** POSTs the event to the worker's endpoint, signed with `secret` just now (as each Stripe delivery is). */
export async function deliverEvent(event: BuiltEvent, secret: string, baseUrl = ECOM_URL): Promise<DeliveryResult> {
  const signature = await signWebhookPayload(event.payload, secret);
  const res = await fetch(`${baseUrl}/webhooks/stripe/${event.endpoint}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json; charset=utf-8',
      'stripe-signature': signature,
      'user-agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    },
    body: event.payload,
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body };
}
