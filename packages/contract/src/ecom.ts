import { z } from '@hono/zod-openapi';

// ---------------------------------------------------------------------------------------------------------------------
// Checkout
// ---------------------------------------------------------------------------------------------------------------------

export const REDIRECT_URL_MAX_LENGTH = 2048;

/**
 * A redirect target for Stripe Checkout. The schema only checks that it is an absolute http(s) URL without
 * credentials; whether its origin is allowed is configuration (CHECKOUT_REDIRECT_ORIGINS), checked by the service.
 * Stripe's `{CHECKOUT_SESSION_ID}` placeholder may appear in the query.
 */
const RedirectUrlSchema = z
  .string()
  .max(REDIRECT_URL_MAX_LENGTH)
  .url()
  .refine(
    (u) => {
      try {
        const url = new URL(u);
        return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
      } catch {
        return false;
      }
    },
    { message: 'must be an http(s) URL without credentials' },
  );

export const CreateCheckoutSessionSchema = z
  .object({
    contentId: z.string().uuid().openapi({ example: '3f1f8a0e-1d5b-4c59-9f1e-0b8e6f1c2d3a' }),
    successUrl: RedirectUrlSchema.openapi({
      example: 'http://localhost:5173/purchase/success',
      description:
        "Where Stripe sends the buyer after paying. Its origin must be in the configured allow-list. Stripe's `{CHECKOUT_SESSION_ID}` placeholder may be used in the query.",
    }),
    cancelUrl: RedirectUrlSchema.openapi({
      example: 'http://localhost:5173/content/3f1f8a0e-1d5b-4c59-9f1e-0b8e6f1c2d3a',
      description: 'Where Stripe sends the buyer on cancel. Its origin must be in the configured allow-list.',
    }),
  })
  .strict()
  .openapi('CreateCheckoutSessionRequest');
export type CreateCheckoutSessionInput = z.infer<typeof CreateCheckoutSessionSchema>;

export const CheckoutSessionSchema = z
  .object({
    sessionId: z.string().openapi({ example: 'cs_test_a1b2c3' }),
    checkoutUrl: z.string().url().openapi({ example: 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3' }),
  })
  .openapi('CheckoutSession');
export type CheckoutSessionView = z.infer<typeof CheckoutSessionSchema>;

// ---------------------------------------------------------------------------------------------------------------------
// Stripe webhooks (documentation of what Stripe sends; the handlers verify the signature over the raw body and then
// read only the fields below, everything else is ignored)
// ---------------------------------------------------------------------------------------------------------------------

export const WEBHOOK_ENDPOINTS = ['booking', 'payment', 'subscription', 'customer', 'connect', 'dispute'] as const;
export type WebhookEndpoint = (typeof WEBHOOK_ENDPOINTS)[number];

/** The binding (a Wrangler secret) that holds each webhook endpoint's own signing secret. */
export const WEBHOOK_SECRET_VARS = {
  booking: 'STRIPE_WEBHOOK_SECRET_BOOKING',
  payment: 'STRIPE_WEBHOOK_SECRET_PAYMENT',
  subscription: 'STRIPE_WEBHOOK_SECRET_SUBSCRIPTION',
  customer: 'STRIPE_WEBHOOK_SECRET_CUSTOMER',
  connect: 'STRIPE_WEBHOOK_SECRET_CONNECT',
  dispute: 'STRIPE_WEBHOOK_SECRET_DISPUTE',
} as const satisfies Record<WebhookEndpoint, `STRIPE_WEBHOOK_SECRET_${string}`>;

const StripeMetadataSchema = z.record(z.string(), z.string()).openapi({
  description: 'Set by our checkout: userId, contentId (and amountCents/currency of the attempt)',
  example: { userId: '9b2c…', contentId: '3f1f…' },
});

/** The `data.object` of checkout.session.* events: the fields the booking endpoint reads. */
export const StripeCheckoutSessionObjectSchema = z
  .object({
    id: z.string().openapi({ example: 'cs_test_a1b2c3' }),
    object: z.literal('checkout.session'),
    mode: z.string().openapi({ example: 'payment' }),
    payment_status: z.string().openapi({ example: 'paid', description: 'paid | unpaid | no_payment_required' }),
    amount_total: z.number().int().nullable().openapi({ example: 1999 }),
    currency: z.string().nullable().openapi({ example: 'usd' }),
    client_reference_id: z.string().nullable().optional(),
    payment_intent: z.string().nullable().optional().openapi({ example: 'pi_3N…' }),
    metadata: StripeMetadataSchema.nullable().optional(),
  })
  .passthrough()
  .openapi('StripeCheckoutSessionObject');

/** The `data.object` of charge.* events: the fields the payment endpoint reads. */
export const StripeChargeObjectSchema = z
  .object({
    id: z.string().openapi({ example: 'ch_3N…' }),
    object: z.literal('charge'),
    payment_intent: z.string().nullable().optional().openapi({ example: 'pi_3N…' }),
    amount: z.number().int().openapi({ example: 1999 }),
    amount_refunded: z.number().int().openapi({ example: 1999 }),
    refunded: z.boolean().openapi({ description: 'true once fully refunded' }),
    currency: z.string().openapi({ example: 'usd' }),
  })
  .passthrough()
  .openapi('StripeChargeObject');

/** Any other object: loosely typed, only `object` (and usually `id`) is read for the log. */
export const StripeObjectSchema = z
  .object({ id: z.string().optional(), object: z.string().openapi({ example: 'payment_intent' }) })
  .passthrough()
  .openapi('StripeObject');

/** The Stripe event envelope every endpoint receives. */
export const StripeEventSchema = z
  .object({
    id: z.string().min(1).max(255).openapi({ example: 'evt_1NG8Du2eZvKYlo2CUI79vXWy' }),
    object: z.literal('event'),
    type: z.string().min(1).max(255).openapi({ example: 'checkout.session.completed' }),
    api_version: z.string().nullable().optional().openapi({ example: '2026-04-22.dahlia' }),
    created: z.number().int().openapi({ example: 1767225600, description: 'Unix seconds' }),
    livemode: z.boolean(),
    data: z
      .object({
        object: z
          .union([StripeCheckoutSessionObjectSchema, StripeChargeObjectSchema, StripeObjectSchema])
          .openapi({ description: 'The object the event is about' }),
      })
      .passthrough(),
  })
  .passthrough()
  .openapi('StripeEvent');
export type StripeEventEnvelope = z.infer<typeof StripeEventSchema>;

export const WebhookReceivedSchema = z
  .object({
    received: z.literal(true),
    duplicate: z
      .boolean()
      .openapi({ description: 'true when this event id was already handled: nothing was repeated' }),
    status: z.enum(['processed', 'ignored', 'failed']).openapi({
      description:
        'processed: its effect was applied; ignored: nothing to do for this event type; failed: a permanent problem (logged, will not be retried). For a duplicate: the status of the first delivery.',
    }),
  })
  .openapi('WebhookReceived');
export type WebhookReceived = z.infer<typeof WebhookReceivedSchema>;
