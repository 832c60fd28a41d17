import {
  ApiError,
  ServiceUnavailableError,
  StripeEventSchema,
  UnauthorizedError,
  WEBHOOK_ENDPOINTS,
  WEBHOOK_SECRET_VARS,
  type WebhookEndpoint,
  WebhookReceivedSchema,
} from '@codex/contract';
import { handleWebhookEvent, isTransientDbError, verifyWebhook, WebhookSignatureError } from '@codex/purchase';
import {
  type AppEnv,
  describeError,
  errorResponse,
  errorResponses,
  getDb,
  getLogger,
  jsonResponse,
  RATE_LIMIT_PRESETS,
  rateLimit,
} from '@codex/worker-kit';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { EcomBindings } from '../env';
import { PAYMENTS_TAG } from './checkout';

/** The security scheme name for the `stripe-signature` header (registered by the worker). */
export const STRIPE_SIGNATURE_SCHEME = 'stripeSignature';
export const STRIPE_SIGNATURE_SECURITY: Array<Record<string, string[]>> = [{ [STRIPE_SIGNATURE_SCHEME]: [] }];

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
  '- 400 `MISSING_SIGNATURE` (no header) or `INVALID_EVENT` (a verified body that is not a Stripe event);',
  '- 401 `INVALID_SIGNATURE`: wrong secret, altered body or a timestamp older than 300 s;',
  '- 415: the body is not JSON;',
  '- 503: the database is unavailable or the endpoint has no secret configured — nothing was recorded and Stripe retries.',
  '- 200 with `status: failed`: the event can never be applied (unknown content or user, amount mismatch); it is logged',
  '  and acknowledged so that Stripe stops retrying.',
].join('\n');

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function webhookRoute(endpoint: WebhookEndpoint) {
  return createRoute({
    method: 'post',
    path: `/webhooks/stripe/${endpoint}`,
    operationId: `receiveStripe${capitalize(endpoint)}Webhook`,
    tags: [PAYMENTS_TAG],
    summary: ENDPOINT_DOCS[endpoint].summary,
    description: `${ENDPOINT_DOCS[endpoint].events}\n\n${COMMON_DESCRIPTION}`,
    security: STRIPE_SIGNATURE_SECURITY,
    middleware: [rateLimit(RATE_LIMIT_PRESETS.webhook)],
    request: {
      // A reference, not the zod schema: the body must reach the handler unparsed (the signature covers its bytes).
      body: {
        required: true,
        description: 'The Stripe event, exactly as Stripe sent it',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/StripeEvent' } } },
      },
    },
    responses: {
      200: jsonResponse(WebhookReceivedSchema, 'Acknowledged (processed, ignored, failed permanently, or a duplicate)'),
      ...errorResponses(400, 401, 413, 415, 429, 503),
    },
  });
}

const JSON_TYPE = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

async function receive(c: Context<AppEnv>, endpoint: WebhookEndpoint) {
  const env = c.env as EcomBindings;
  const log = getLogger(c);
  if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) {
    return errorResponse(c, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the event as application/json');
  }
  // The raw body, before anything parses it: the signature is over these exact bytes.
  const rawBody = await c.req.text();
  const signature = c.req.header('stripe-signature');
  if (!signature) {
    throw new ApiError(400, 'MISSING_SIGNATURE', 'The stripe-signature header is required', [
      { field: 'stripe-signature' },
    ]);
  }
  const secret = env[WEBHOOK_SECRET_VARS[endpoint]] as string | undefined;
  if (!secret) {
    log.error('webhook secret not configured', { endpoint });
    throw new ServiceUnavailableError('This webhook endpoint is not configured', 'WEBHOOK_NOT_CONFIGURED');
  }
  let verified: unknown;
  try {
    verified = await verifyWebhook(rawBody, signature, secret);
  } catch (e) {
    if (e instanceof WebhookSignatureError) {
      log.warn('webhook signature refused', { endpoint, reason: e.message });
      throw new UnauthorizedError(e.message, 'INVALID_SIGNATURE');
    }
    // A correctly signed body that is not JSON.
    throw new ApiError(400, 'INVALID_EVENT', 'The body is not a Stripe event');
  }
  const parsed = StripeEventSchema.safeParse(verified);
  if (!parsed.success) throw new ApiError(400, 'INVALID_EVENT', 'The body is not a Stripe event');
  const event = parsed.data;

  let outcome: Awaited<ReturnType<typeof handleWebhookEvent>>;
  try {
    outcome = await handleWebhookEvent(getDb(c), endpoint, event, { production: env.ENVIRONMENT === 'production' });
  } catch (e) {
    if (e instanceof ApiError) throw e;
    // Nothing was recorded: answer 503 so that Stripe delivers the event again later.
    log.error('webhook processing failed; Stripe will retry', {
      endpoint,
      eventId: event.id,
      type: event.type,
      transient: isTransientDbError(e),
      ...describeError(e),
    });
    throw new ServiceUnavailableError('The event could not be recorded, retry later', 'WEBHOOK_RETRY');
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

let routes = new OpenAPIHono<AppEnv>();
for (const endpoint of WEBHOOK_ENDPOINTS) {
  routes = routes.openapi(webhookRoute(endpoint), (c) => receive(c as unknown as Context<AppEnv>, endpoint) as never);
}
export const webhookRoutes = routes;
