import { StripeEventSchema, WEBHOOK_ENDPOINTS, type WebhookEndpoint, WebhookReceivedSchema } from '@codex/contract';
import { DomainError } from '@codex/domain';
import { handleWebhookEvent, isTransientDbError, verifyWebhook, WebhookSignatureError } from '@codex/purchase';
import {
  type AppEnv,
  defineRoute,
  describeError,
  getDb,
  getLogger,
  json,
  RATE_LIMIT_PRESETS,
  routeGroup,
} from '@codex/worker-kit';
import type { Context } from 'hono';
import { ecomConfig, webhookSecret } from '../env';
import { PAYMENTS_TAG } from './checkout';

const ENDPOINT_DOCS: Record<WebhookEndpoint, { summary: string; events: string }> = {
  booking: {
    summary: 'Stripe webhook: checkout sessions (grants access)',
    events:
      '`checkout.session.completed` and `checkout.session.async_payment_succeeded` record the purchase and, once paid, grant access to the content in one transaction; `checkout.session.expired` and `checkout.session.async_payment_failed` mark the pending attempt failed.',
  },
  payment: {
    summary: 'Stripe webhook: payment intents and charges (refunds revoke access)',
    events:
      '`charge.refunded` (full refund) marks the purchase found by its payment intent refunded and revokes the access it granted; other `payment_intent.*` and `charge.*` events are logged.',
  },
  subscription: {
    summary: 'Stripe webhook: subscriptions',
    events: '`customer.subscription.*` events are logged and acknowledged.',
  },
  customer: { summary: 'Stripe webhook: customers', events: '`customer.*` events are logged and acknowledged.' },
  connect: {
    summary: 'Stripe webhook: Connect accounts',
    events: '`account.*` and other Connect events are logged and acknowledged.',
  },
  dispute: { summary: 'Stripe webhook: disputes', events: '`charge.dispute.*` events are logged and acknowledged.' },
};

const COMMON_DESCRIPTION = [
  'Called by Stripe, not by clients. The `stripe-signature` header is verified over the raw body with this',
  "endpoint's own signing secret (tolerance 300 s). Every verified event is recorded once in webhook_events, keyed",
  'by its Stripe event id: a redelivery is acknowledged with `duplicate: true` and changes nothing.',
  '',
  '- 401 `MISSING_SIGNATURE` (no header) or `INVALID_WEBHOOK_SIGNATURE` (wrong secret, altered body or a timestamp older than 300 s);',
  '- 400 `INVALID_EVENT`: a correctly signed body that is not a Stripe event;',
  '- 415: the body is not JSON;',
  '- 503: the database is unavailable or the endpoint has no secret configured — nothing was recorded and Stripe retries.',
  '- 200 with `status: failed`: the event can never be applied (unknown content or user, amount mismatch); it is logged',
  '  and acknowledged so that Stripe stops retrying.',
].join('\n');

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const EVENT_EXAMPLE = {
  id: 'evt_1NG8Du2eZvKYlo2CUI79vXWy',
  object: 'event',
  type: 'checkout.session.completed',
  api_version: '2026-04-22.dahlia',
  created: 1767225600,
  livemode: false,
  data: {
    object: {
      id: 'cs_test_a1b2c3',
      object: 'checkout.session',
      mode: 'payment',
      payment_status: 'paid',
      amount_total: 499,
      currency: 'usd',
      client_reference_id: '9b2c4e1a-5d7f-4e3b-8a6c-1f0e2d3c4b5a',
      payment_intent: 'pi_3N0a1b2c3d4e5f',
      metadata: {
        userId: '9b2c4e1a-5d7f-4e3b-8a6c-1f0e2d3c4b5a',
        contentId: '5eed0000-0000-4000-8000-000000000003',
        amountCents: '499',
        currency: 'usd',
      },
    },
  },
};

function webhookRoute(endpoint: WebhookEndpoint) {
  return defineRoute({
    method: 'post',
    path: `/webhooks/stripe/${endpoint}`,
    operationId: `receiveStripe${capitalize(endpoint)}Webhook`,
    tag: PAYMENTS_TAG,
    summary: ENDPOINT_DOCS[endpoint].summary,
    description: `${ENDPOINT_DOCS[endpoint].events}\n\n${COMMON_DESCRIPTION}`,
    access: 'stripe-signature',
    rateLimit: RATE_LIMIT_PRESETS.webhook,
    request: {
      // A reference, not the zod schema: the body must reach the handler unparsed (the signature covers its bytes).
      body: {
        required: true,
        description: 'The Stripe event, exactly as Stripe sent it',
        content: {
          'application/json': { schema: { $ref: '#/components/schemas/StripeEvent' }, example: EVENT_EXAMPLE },
        },
      },
    },
    responses: {
      200: json(WebhookReceivedSchema, 'Acknowledged (processed, ignored, failed permanently, or a duplicate)', {
        example: { received: true, duplicate: false, status: 'processed' },
      }),
    },
    errors: [
      'MISSING_SIGNATURE',
      'INVALID_WEBHOOK_SIGNATURE',
      'INVALID_EVENT',
      'UNSUPPORTED_MEDIA_TYPE',
      'WEBHOOK_NOT_CONFIGURED',
      'WEBHOOK_RETRY',
    ],
  });
}

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

async function receive(c: Context<AppEnv>, endpoint: WebhookEndpoint) {
  const config = ecomConfig(c);
  const log = getLogger(c);
  if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) {
    throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'Send the event as application/json');
  }
  // The raw body, before anything parses it: the signature is over these exact bytes.
  const rawBody = await c.req.text();
  const signature = c.req.header('stripe-signature');
  if (!signature) throw new DomainError('MISSING_SIGNATURE', 'The stripe-signature header is required');
  const secret = webhookSecret(config, endpoint);
  if (!secret) {
    log.error('webhook secret not configured', { endpoint });
    throw new DomainError('WEBHOOK_NOT_CONFIGURED', 'This webhook endpoint is not configured');
  }
  let verified: unknown;
  try {
    verified = await verifyWebhook(rawBody, signature, secret);
  } catch (e) {
    if (e instanceof WebhookSignatureError) {
      log.warn('webhook signature refused', { endpoint, reason: e.message });
      throw new DomainError('INVALID_WEBHOOK_SIGNATURE', e.message);
    }
    // A correctly signed body that is not JSON.
    throw new DomainError('INVALID_EVENT', 'The body is not a Stripe event');
  }
  const parsed = StripeEventSchema.safeParse(verified);
  if (!parsed.success) throw new DomainError('INVALID_EVENT', 'The body is not a Stripe event');
  const event = parsed.data;

  let outcome: Awaited<ReturnType<typeof handleWebhookEvent>>;
  try {
    outcome = await handleWebhookEvent(getDb(c), endpoint, event, { production: config.ENVIRONMENT === 'production' });
  } catch (e) {
    if (e instanceof DomainError) throw e;
    // Nothing was recorded: answer 503 so that Stripe delivers the event again later.
    log.error('webhook processing failed; Stripe will retry', {
      endpoint,
      eventId: event.id,
      type: event.type,
      transient: isTransientDbError(e),
      ...describeError(e),
    });
    throw new DomainError('WEBHOOK_RETRY', 'The event could not be recorded, retry later');
  }
  const fields = {
    endpoint,
    eventId: event.id,
    type: event.type,
    status: outcome.status,
    duplicate: outcome.duplicate,
  };
  if (outcome.status === 'failed') log.warn('webhook event failed permanently', { ...fields, error: outcome.error });
  else log.info('webhook event', fields);
  return c.json({ received: true as const, duplicate: outcome.duplicate, status: outcome.status }, 200);
}

export const webhookRoutes = routeGroup();

for (const endpoint of WEBHOOK_ENDPOINTS) {
  webhookRoutes.openapi(webhookRoute(endpoint), (c) => receive(c, endpoint));
}
