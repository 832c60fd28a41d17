/**
 * The ecom-api worker's operations. Checkout talks to the local Stripe test server (the SDK pointed at it with env
 * overrides); webhooks are signed with each endpoint's secret, passed as env overrides too — so every case that
 * needs them is local-only. Generated negatives add 400/401/413/415 for checkout and 400 (no signature)/413/415 for
 * the webhooks (their body is signed: see harness/negatives.ts).
 */

import { WEBHOOK_ENDPOINTS, type WebhookEndpoint } from '@codex/contract';
import { type Content, contentAccess, purchases, webhookEvents } from '@codex/database';
import {
  completedSession,
  createContent,
  ecomVars,
  eventId,
  eventPayload,
  REDIRECT_ORIGIN,
  sign,
  startStripeTestServer,
  WEBHOOK_SECRETS,
} from '@codex/local/stripe';
import ecomApp from '@codex/worker-ecom-api';
import { and, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { DATABASE_UNREACHABLE } from '../harness/env';
import { type Case, type CheckedResponse, type Ctx, defineCase, defineScenarios } from '../harness/types';

/** One local Stripe test server per run; the ecom worker's Stripe configuration points at it (env overrides). */
const stripeServer = await startStripeTestServer();
const ECOM_ENV: Record<string, unknown> = ecomVars(stripeServer);

const errorOf = (res: CheckedResponse) => (res.body as { error: { code: string; details?: unknown } }).error;

async function purchasable(ctx: Ctx, fields: Partial<Content> = {}) {
  const creator = await ctx.freshUser();
  return createContent(ctx.platform, creator.id, fields);
}

function checkoutBody(contentId: string) {
  return { contentId, successUrl: `${REDIRECT_ORIGIN}/purchase/success`, cancelUrl: `${REDIRECT_ORIGIN}/content` };
}

const purchasesOf = (ctx: Ctx, userId: string, contentId: string) =>
  ctx.db
    .select()
    .from(purchases)
    .where(and(eq(purchases.userId, userId), eq(purchases.contentId, contentId)));

// ---------------------------------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------------------------------

const OPERATION_IDS: Record<WebhookEndpoint, string> = {
  booking: 'receiveStripeBookingWebhook',
  payment: 'receiveStripePaymentWebhook',
  subscription: 'receiveStripeSubscriptionWebhook',
  customer: 'receiveStripeCustomerWebhook',
  connect: 'receiveStripeConnectWebhook',
  dispute: 'receiveStripeDisputeWebhook',
};

/** An event each endpoint only logs (the booking endpoint gets a real checkout in its own cases). */
const LOGGED_EVENTS: Record<WebhookEndpoint, { type: string; object: Record<string, unknown> }> = {
  booking: {
    type: 'checkout.session.expired',
    object: {
      id: 'cs_test_contract_none',
      object: 'checkout.session',
      mode: 'payment',
      payment_status: 'unpaid',
      amount_total: 100,
      currency: 'usd',
    },
  },
  payment: { type: 'payment_intent.created', object: { id: 'pi_test_contract', object: 'payment_intent' } },
  subscription: { type: 'customer.subscription.updated', object: { id: 'sub_test_contract', object: 'subscription' } },
  customer: { type: 'customer.updated', object: { id: 'cus_test_contract', object: 'customer' } },
  connect: { type: 'account.updated', object: { id: 'acct_test_contract', object: 'account' } },
  dispute: { type: 'charge.dispute.closed', object: { id: 'dp_test_contract', object: 'dispute' } },
};

interface Signed {
  id: string;
  payload: string;
  signature: string;
}

async function signed(endpoint: WebhookEndpoint, type: string, object: Record<string, unknown>): Promise<Signed> {
  const id = eventId();
  const payload = eventPayload({ id, type, object });
  return { id, payload, signature: await sign(payload, WEBHOOK_SECRETS[endpoint]) };
}

const webhookRequest = (s: Signed, headers: Record<string, string> = {}) => ({
  rawBody: s.payload,
  headers: { 'content-type': 'application/json', 'stripe-signature': s.signature, ...headers },
});

const eventRows = (ctx: Ctx, id: string) =>
  ctx.db.select().from(webhookEvents).where(eq(webhookEvents.stripeEventId, id));

function webhookCases(endpoint: WebhookEndpoint): Case[] {
  const sample = LOGGED_EVENTS[endpoint];
  return [
    defineCase({
      name: 'a verified event is logged once and acknowledged',
      status: 200,
      localOnly: true,
      setup: () => signed(endpoint, sample.type, sample.object),
      request: (_ctx, s) => webhookRequest(s),
      async assert(ctx, res, s) {
        expect(res.body).toEqual({ received: true, duplicate: false, status: 'ignored' });
        expect(await eventRows(ctx, s.id)).toEqual([
          expect.objectContaining({ endpoint, type: sample.type, status: 'ignored' }),
        ]);
      },
    }),
    defineCase({
      name: 'a correctly signed body that is not a Stripe event → 400 INVALID_EVENT, nothing logged',
      status: 400,
      localOnly: true,
      async setup() {
        const payload = JSON.stringify({ hello: 'world', id: eventId() });
        return { payload, signature: await sign(payload, WEBHOOK_SECRETS[endpoint]) };
      },
      request: (_ctx, s) => ({
        rawBody: s.payload,
        headers: { 'content-type': 'application/json', 'stripe-signature': s.signature },
      }),
      async assert(ctx, res, s) {
        expect(errorOf(res).code).toBe('INVALID_EVENT');
        expect(await eventRows(ctx, JSON.parse(s.payload).id)).toEqual([]);
      },
    }),
    defineCase({
      name: 'no stripe-signature header → 401 MISSING_SIGNATURE, nothing logged',
      status: 401,
      localOnly: true,
      setup: () => signed(endpoint, sample.type, sample.object),
      request: (_ctx, s) => ({ rawBody: s.payload, headers: { 'content-type': 'application/json' } }),
      async assert(ctx, res, s) {
        expect(errorOf(res).code).toBe('MISSING_SIGNATURE');
        expect(await eventRows(ctx, s.id)).toEqual([]);
      },
    }),
    defineCase({
      name: "signed with another endpoint's secret → 401, nothing logged",
      status: 401,
      localOnly: true,
      async setup() {
        const s = await signed(endpoint, sample.type, sample.object);
        const other = endpoint === 'booking' ? 'payment' : 'booking';
        return { ...s, signature: await sign(s.payload, WEBHOOK_SECRETS[other]) };
      },
      request: (_ctx, s) => webhookRequest(s),
      async assert(ctx, res, s) {
        expect(errorOf(res).code).toBe('INVALID_WEBHOOK_SIGNATURE');
        expect(await eventRows(ctx, s.id)).toEqual([]);
      },
    }),
    defineCase({
      name: 'over the webhook limit (1000/min per IP) → 429, nothing logged',
      status: 429,
      localOnly: true,
      async setup(ctx) {
        const ip = ctx.ip();
        await ctx.exhaustRateLimits(ip);
        return { ...(await signed(endpoint, sample.type, sample.object)), ip };
      },
      request: (_ctx, s) => webhookRequest(s, { 'cf-connecting-ip': s.ip }),
      async assert(ctx, res, s) {
        expect(errorOf(res).code).toBe('RATE_LIMITED');
        expect(await eventRows(ctx, s.id)).toEqual([]);
      },
    }),
    defineCase({
      name: 'database unreachable → 503 (Stripe retries), nothing logged',
      status: 503,
      env: { ...ECOM_ENV, ...DATABASE_UNREACHABLE },
      setup: () => signed(endpoint, sample.type, sample.object),
      request: (_ctx, s) => webhookRequest(s),
      async assert(ctx, res, s) {
        expect(errorOf(res).code).toBe('WEBHOOK_RETRY');
        expect(res.text).not.toMatch(/127\.0\.0\.1|nobody|ECONNREFUSED/);
        expect(await eventRows(ctx, s.id)).toEqual([]);
      },
    }),
  ];
}

/** Every case gets the ecom worker's Stripe configuration (secrets, test server, redirect origins): local-only. */
function withEcomEnv(cases: Case[]): Case[] {
  return cases.map((c) => ({ ...c, env: { ...ECOM_ENV, ...(c.env ?? {}) } }));
}

const bookingCases: Case[] = [
  defineCase({
    name: 'checkout.session.completed → purchase completed and access granted; a redelivery is a duplicate',
    status: 200,
    localOnly: true,
    async setup(ctx) {
      const buyer = await ctx.freshUser();
      const item = await purchasable(ctx);
      return {
        buyer,
        item,
        ...(await signed('booking', 'checkout.session.completed', completedSession(buyer.id, item))),
      };
    },
    request: (_ctx, s) => webhookRequest(s),
    async assert(ctx, res, s) {
      expect(res.body).toEqual({ received: true, duplicate: false, status: 'processed' });
      expect(await purchasesOf(ctx, s.buyer.id, s.item.id)).toEqual([expect.objectContaining({ status: 'completed' })]);
      const access = await ctx.db
        .select()
        .from(contentAccess)
        .where(and(eq(contentAccess.userId, s.buyer.id), eq(contentAccess.contentId, s.item.id)));
      expect(access).toEqual([expect.objectContaining({ accessType: 'purchase', revokedAt: null })]);
    },
  }),
  defineCase({
    name: 'a redelivered event → duplicate: true, nothing repeated',
    status: 200,
    localOnly: true,
    async setup(ctx) {
      const buyer = await ctx.freshUser();
      const item = await purchasable(ctx);
      const s = await signed('booking', 'checkout.session.completed', completedSession(buyer.id, item));
      // The first delivery (straight to the worker: it needs the env overrides too).
      const first = await ecomApp.fetch(
        new Request('http://localhost/webhooks/stripe/booking', {
          method: 'POST',
          ...webhookRequest(s),
          body: s.payload,
        }),
        ctx.platform.envFor('ecom-api', ECOM_ENV),
      );
      expect(first.status).toBe(200);
      return { buyer, item, ...s, before: await purchasesOf(ctx, buyer.id, item.id) };
    },
    request: (_ctx, s) => webhookRequest(s),
    async assert(ctx, res, s) {
      expect(res.body).toEqual({ received: true, duplicate: true, status: 'processed' });
      expect(await purchasesOf(ctx, s.buyer.id, s.item.id)).toEqual(s.before);
      expect(await eventRows(ctx, s.id)).toHaveLength(1);
    },
  }),
  defineCase({
    name: 'unknown content → acknowledged, logged as failed, no purchase',
    status: 200,
    localOnly: true,
    async setup(ctx) {
      const buyer = await ctx.freshUser();
      const item = await purchasable(ctx);
      const object = completedSession(buyer.id, item, {
        metadata: { userId: buyer.id, contentId: '6f1c1c1e-7a0a-4c3b-9a55-1b7f3a1e0b11' },
      });
      return { buyer, ...(await signed('booking', 'checkout.session.completed', object)) };
    },
    request: (_ctx, s) => webhookRequest(s),
    async assert(ctx, res, s) {
      expect(res.body).toEqual({ received: true, duplicate: false, status: 'failed' });
      const [row] = await eventRows(ctx, s.id);
      expect(row?.status).toBe('failed');
      expect(row?.error).toMatch(/^UNKNOWN_CONTENT/);
      expect(await ctx.db.select().from(purchases).where(eq(purchases.userId, s.buyer.id))).toEqual([]);
    },
  }),
];

// ---------------------------------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Without its signing secret an endpoint refuses everything (fail closed). This case runs without the env overrides,
 * so the generated negatives (no signature → 400, text/plain → 415, over 1 MiB → 413) start from it.
 */
function notConfiguredCase(endpoint: WebhookEndpoint): Case {
  const sample = LOGGED_EVENTS[endpoint];
  return defineCase({
    name: 'endpoint without a signing secret → 503, nothing logged',
    status: 503,
    localOnly: true,
    negativeBase: true,
    setup: () => signed(endpoint, sample.type, sample.object),
    request: (_ctx, s) => webhookRequest(s),
    async assert(ctx, res, s) {
      expect(errorOf(res).code).toBe('WEBHOOK_NOT_CONFIGURED');
      expect(await eventRows(ctx, s.id)).toEqual([]);
    },
  });
}

const webhookScenarios = Object.fromEntries(
  WEBHOOK_ENDPOINTS.map((endpoint) => [
    OPERATION_IDS[endpoint],
    [
      ...withEcomEnv(endpoint === 'booking' ? [...webhookCases(endpoint), ...bookingCases] : webhookCases(endpoint)),
      notConfiguredCase(endpoint),
    ],
  ]),
);

export const ecomScenarios = defineScenarios({
  createCheckoutSession: [
    defineCase({
      // Runs without the env overrides (no allow-list configured), so the generated negatives start from it.
      name: 'no redirect origins configured → every redirect refused (422)',
      status: 422,
      localOnly: true,
      negativeBase: true,
      async setup(ctx) {
        return { buyer: await ctx.freshUser(), item: await purchasable(ctx) };
      },
      request: (_ctx, s) => ({ body: checkoutBody(s.item.id), cookie: s.buyer.cookie }),
      async assert(ctx, res, s) {
        expect(errorOf(res)).toMatchObject({ code: 'REDIRECT_URL_NOT_ALLOWED' });
        expect(await purchasesOf(ctx, s.buyer.id, s.item.id)).toEqual([]);
      },
    }),
    ...withEcomEnv([
      defineCase({
        name: 'creates a Checkout Session at the content price through the Stripe SDK, records a pending purchase',
        status: 201,
        localOnly: true,
        async setup(ctx) {
          const buyer = await ctx.freshUser();
          const item = await purchasable(ctx, { priceCents: 4200, currency: 'eur' });
          return { buyer, item };
        },
        request: (_ctx, s) => ({ body: checkoutBody(s.item.id), cookie: s.buyer.cookie }),
        async assert(ctx, res, s) {
          const body = res.body as { sessionId: string; checkoutUrl: string };
          expect(body.checkoutUrl).toBe(`https://checkout.stripe.com/c/pay/${body.sessionId}`);
          const sent = stripeServer.requests.find((r) => r.params['metadata[contentId]'] === s.item.id);
          expect(sent?.params).toMatchObject({
            mode: 'payment',
            'line_items[0][price_data][unit_amount]': '4200',
            'line_items[0][price_data][currency]': 'eur',
            client_reference_id: s.buyer.id,
            'metadata[userId]': s.buyer.id,
          });
          expect(await purchasesOf(ctx, s.buyer.id, s.item.id)).toEqual([
            expect.objectContaining({ status: 'pending', amountCents: 4200, stripeCheckoutSessionId: body.sessionId }),
          ]);
        },
      }),
      defineCase({
        name: 'unknown content → 404',
        status: 404,
        localOnly: true,
        setup: async (ctx) => ({ buyer: await ctx.freshUser() }),
        request: (_ctx, s) => ({ body: checkoutBody('6f1c1c1e-7a0a-4c3b-9a55-1b7f3a1e0b11'), cookie: s.buyer.cookie }),
        assert: (_ctx, res) => expect(errorOf(res).code).toBe('CONTENT_NOT_FOUND'),
      }),
      defineCase({
        name: 'the caller already has access → 409, Stripe not called',
        status: 409,
        localOnly: true,
        async setup(ctx) {
          const buyer = await ctx.freshUser();
          const item = await purchasable(ctx);
          await ctx.db.insert(contentAccess).values({ userId: buyer.id, contentId: item.id, accessType: 'grant' });
          return { buyer, item };
        },
        request: (_ctx, s) => ({ body: checkoutBody(s.item.id), cookie: s.buyer.cookie }),
        async assert(ctx, res, s) {
          expect(errorOf(res).code).toBe('ALREADY_HAS_ACCESS');
          expect(await purchasesOf(ctx, s.buyer.id, s.item.id)).toEqual([]);
        },
      }),
      defineCase({
        name: 'free content → 422 CONTENT_NOT_PURCHASABLE',
        status: 422,
        localOnly: true,
        async setup(ctx) {
          return {
            buyer: await ctx.freshUser(),
            item: await purchasable(ctx, { visibility: 'public', priceCents: null }),
          };
        },
        request: (_ctx, s) => ({ body: checkoutBody(s.item.id), cookie: s.buyer.cookie }),
        async assert(ctx, res, s) {
          expect(errorOf(res)).toMatchObject({ code: 'CONTENT_NOT_PURCHASABLE', details: { reason: 'free' } });
          expect(await purchasesOf(ctx, s.buyer.id, s.item.id)).toEqual([]);
        },
      }),
      defineCase({
        name: 'a redirect URL outside the allowed origins → 422 (no open redirect)',
        status: 422,
        localOnly: true,
        async setup(ctx) {
          return { buyer: await ctx.freshUser(), item: await purchasable(ctx) };
        },
        request: (_ctx, s) => ({
          body: { ...checkoutBody(s.item.id), successUrl: 'https://evil.example/x' },
          cookie: s.buyer.cookie,
        }),
        assert: (_ctx, res) =>
          expect(errorOf(res)).toMatchObject({ code: 'REDIRECT_URL_NOT_ALLOWED', details: [{ field: 'successUrl' }] }),
      }),
      defineCase({
        name: 'over the per-user API limit → 429',
        status: 429,
        localOnly: true,
        async setup(ctx) {
          const buyer = await ctx.freshUser();
          await ctx.exhaustUserRateLimit(buyer.id);
          return { buyer, item: await purchasable(ctx) };
        },
        request: (_ctx, s) => ({ body: checkoutBody(s.item.id), cookie: s.buyer.cookie }),
        async assert(ctx, res, s) {
          expect(errorOf(res).code).toBe('RATE_LIMITED');
          expect(await purchasesOf(ctx, s.buyer.id, s.item.id)).toEqual([]);
        },
      }),
      defineCase({
        name: 'payments not configured (no Stripe key) → 503',
        status: 503,
        env: { STRIPE_SECRET_KEY: undefined },
        async setup(ctx) {
          return { buyer: await ctx.freshUser(), item: await purchasable(ctx) };
        },
        request: (_ctx, s) => ({ body: checkoutBody(s.item.id), cookie: s.buyer.cookie }),
        assert: (_ctx, res) => expect(errorOf(res).code).toBe('PAYMENTS_NOT_CONFIGURED'),
      }),
    ]),
  ],
  ...webhookScenarios,
});
