import { z } from 'zod';
import { httpUrl, isStorableJson, STORABLE_TEXT_PATTERN, storableString, uuid } from './primitives';

// ---------------------------------------------------------------------------------------------------------------------
// Checkout
// ---------------------------------------------------------------------------------------------------------------------

export const REDIRECT_URL_MAX_LENGTH = 2048;

/**
 * A redirect target for Stripe Checkout: an absolute http(s) URL (no credentials). Whether its origin is allowed is
 * configuration (CHECKOUT_REDIRECT_ORIGINS), checked by the service (422 REDIRECT_URL_NOT_ALLOWED). Not `format: uri`:
 * Stripe's `{CHECKOUT_SESSION_ID}` placeholder may appear in it, and braces are not URI characters.
 */
const RedirectUrlSchema = httpUrl(REDIRECT_URL_MAX_LENGTH, { template: true });

export const CreateCheckoutSessionSchema = z
  .strictObject({
    contentId: uuid(),
    successUrl: RedirectUrlSchema.meta({
      example: 'http://localhost:5173/purchase/success?session_id={CHECKOUT_SESSION_ID}',
      description:
        "Where Stripe sends the buyer after paying. Its origin must be in the configured allow-list. Stripe's `{CHECKOUT_SESSION_ID}` placeholder may be used.",
    }),
    cancelUrl: RedirectUrlSchema.meta({
      example: 'http://localhost:5173/content/the-pilot',
      description: 'Where Stripe sends the buyer on cancel. Its origin must be in the configured allow-list.',
    }),
  })
  .meta({
    id: 'CreateCheckoutSessionRequest',
    example: {
      contentId: '5eed0000-0000-4000-8000-000000000003',
      successUrl: 'http://localhost:5173/purchase/success?session_id={CHECKOUT_SESSION_ID}',
      cancelUrl: 'http://localhost:5173/content/the-pilot',
    },
  });
export type CreateCheckoutSessionInput = z.infer<typeof CreateCheckoutSessionSchema>;

export const CheckoutSessionSchema = z
  .object({
    sessionId: z.string().meta({ example: 'cs_test_a1b2c3' }),
    checkoutUrl: z.url().meta({ example: 'https://checkout.stripe.com/c/pay/cs_test_a1b2c3' }),
  })
  .meta({ id: 'CheckoutSession' });
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

const StripeMetadataSchema = z.record(storableString(), storableString()).meta({
  description: 'Set by our checkout: userId, contentId (and amountCents/currency of the attempt)',
  example: { userId: '9b2c4e1a-5d7f-4e3b-8a6c-1f0e2d3c4b5a', contentId: '5eed0000-0000-4000-8000-000000000003' },
});

/** The `data.object` of checkout.session.* events: the fields the booking endpoint reads. */
export const StripeCheckoutSessionObjectSchema = z
  .object({
    id: storableString().meta({ example: 'cs_test_a1b2c3' }),
    object: z.literal('checkout.session'),
    mode: storableString().meta({ example: 'payment' }),
    payment_status: storableString().meta({ example: 'paid', description: 'paid | unpaid | no_payment_required' }),
    amount_total: z.number().int().nullable().meta({ example: 1999 }),
    currency: storableString().nullable().meta({ example: 'usd' }),
    client_reference_id: storableString().nullable().optional(),
    payment_intent: storableString().nullable().optional().meta({ example: 'pi_3N0a1b2c3d4e5f' }),
    metadata: StripeMetadataSchema.nullable().optional(),
  })
  .passthrough()
  .meta({ id: 'StripeCheckoutSessionObject' });

/** The `data.object` of charge.* events: the fields the payment endpoint reads. */
export const StripeChargeObjectSchema = z
  .object({
    id: storableString().meta({ example: 'ch_3N0a1b2c3d4e5f' }),
    object: z.literal('charge'),
    payment_intent: storableString().nullable().optional().meta({ example: 'pi_3N0a1b2c3d4e5f' }),
    amount: z.number().int().meta({ example: 1999 }),
    amount_refunded: z.number().int().meta({ example: 1999 }),
    refunded: z.boolean().meta({ description: 'true once fully refunded' }),
    currency: storableString().meta({ example: 'usd' }),
  })
  .passthrough()
  .meta({ id: 'StripeChargeObject' });

const READ_OBJECTS = ['checkout.session', 'charge'];

/** Any other object (it usually has an `id` too): loosely typed, only `object` is read for the log. */
export const StripeObjectSchema = z
  .object({
    object: z
      .string()
      .refine((o) => !READ_OBJECTS.includes(o), { message: 'checkout sessions and charges have their own schema' })
      .meta({ example: 'payment_intent', not: { enum: READ_OBJECTS }, pattern: STORABLE_TEXT_PATTERN }),
  })
  .passthrough()
  .meta({ id: 'StripeObject' });

/** The Stripe event envelope every endpoint receives. */
export const StripeEventSchema = z
  .object({
    id: storableString({ min: 1, max: 255 }).meta({ example: 'evt_1NG8Du2eZvKYlo2CUI79vXWy' }),
    object: z.literal('event'),
    type: storableString({ min: 1, max: 255 }).meta({ example: 'checkout.session.completed' }),
    api_version: storableString().nullable().optional().meta({ example: '2026-04-22.dahlia' }),
    created: z.number().int().meta({ example: 1767225600, description: 'Unix seconds' }),
    livemode: z.boolean(),
    data: z
      .object({
        object: z
          .union([StripeCheckoutSessionObjectSchema, StripeChargeObjectSchema, StripeObjectSchema])
          .meta({ description: 'The object the event is about' }),
      })
      .passthrough(),
  })
  .passthrough()
  // The event is stored as is (jsonb): no string anywhere in it may be one PostgreSQL refuses.
  .refine((v) => isStorableJson(v), { message: 'must not contain U+0000 or an unpaired surrogate in any string' })
  .meta({ id: 'StripeEvent' });
export type StripeEventEnvelope = z.infer<typeof StripeEventSchema>;

export const WebhookReceivedSchema = z
  .object({
    received: z.literal(true),
    duplicate: z.boolean().meta({ description: 'true when this event id was already handled: nothing was repeated' }),
    status: z.enum(['processed', 'ignored', 'failed']).meta({
      description:
        'processed: its effect was applied; ignored: nothing to do for this event type; failed: a permanent problem (logged, will not be retried). For a duplicate: the status of the first delivery.',
    }),
  })
  .meta({ id: 'WebhookReceived' });
export type WebhookReceived = z.infer<typeof WebhookReceivedSchema>;
