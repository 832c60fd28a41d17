import { WEBHOOK_ENDPOINTS, type WebhookEndpoint } from '@codex/contract';
import { type Content, contentAccess, purchases, webhookEvents } from '@codex/database';
import { json, registerUser, type TestUser } from '@codex/local';
import { blockRateLimit, RATE_LIMIT_PRESETS } from '@codex/worker-kit';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  completedSession,
  createContent,
  DATABASE_DOWN,
  deliver,
  type EcomTestEnv,
  eventId,
  eventPayload,
  nextIp,
  refundedCharge,
  sign,
  startEcomTestEnv,
  WEBHOOK_SECRETS,
} from './helpers';

let t: EcomTestEnv;
let creator: TestUser;

beforeAll(async () => {
  t = await startEcomTestEnv();
  creator = await registerUser(t.platform, { name: 'Cora Creator' });
});

afterAll(async () => {
  await t?.close();
});

const eventRow = async (id: string) =>
  t.platform.db.select().from(webhookEvents).where(eq(webhookEvents.stripeEventId, id));
const purchasesFor = (userId: string, contentId: string) =>
  t.platform.db
    .select()
    .from(purchases)
    .where(and(eq(purchases.userId, userId), eq(purchases.contentId, contentId)));
const accessFor = (userId: string, contentId: string) =>
  t.platform.db
    .select()
    .from(contentAccess)
    .where(and(eq(contentAccess.userId, userId), eq(contentAccess.contentId, contentId)));

async function buyerAndItem(fields: Partial<Content> = {}) {
  const buyer = await registerUser(t.platform, { name: 'Bea Buyer' });
  const item = await createContent(t.platform, creator.id, fields);
  return { buyer, item };
}

function completedEvent(userId: string, item: Content, overrides: Record<string, unknown> = {}, id = eventId()) {
  const object = completedSession(userId, item, overrides);
  return { id, object, payload: eventPayload({ id, type: 'checkout.session.completed', object }) };
}

describe('signature checks', () => {
  it('401 MISSING_SIGNATURE without the stripe-signature header; nothing is recorded', async () => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    const res = await deliver(t.platform, 'booking', ev.payload, { omitSignature: true });
    expect(res.status).toBe(401);
    const body = await json(res);
    expect(body).toMatchObject({ error: { code: 'MISSING_SIGNATURE' } });
    expect(typeof body.requestId).toBe('string');
    expect(await eventRow(ev.id)).toEqual([]);
    expect(await purchasesFor(buyer.id, item.id)).toEqual([]);
  });

  it.each([
    ['a garbage header', async (_p: string) => 'not-a-signature'],
    ['a signature made with another secret', async (p: string) => sign(p, 'whsec_attacker_secret_value')],
    ["the payment endpoint's secret", async (p: string) => sign(p, WEBHOOK_SECRETS.payment)],
    [
      'a timestamp older than 300 s',
      async (p: string) => sign(p, WEBHOOK_SECRETS.booking, Math.floor(Date.now() / 1000) - 301),
    ],
  ])('401 INVALID_WEBHOOK_SIGNATURE for %s; nothing is recorded', async (_label, makeSignature) => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    const res = await deliver(t.platform, 'booking', ev.payload, { signature: await makeSignature(ev.payload) });
    expect(res.status).toBe(401);
    const body = await json(res);
    expect(body.error.code).toBe('INVALID_WEBHOOK_SIGNATURE');
    expect(JSON.stringify(body)).not.toContain('whsec');
    expect(await eventRow(ev.id)).toEqual([]);
    expect(await purchasesFor(buyer.id, item.id)).toEqual([]);
    expect(await accessFor(buyer.id, item.id)).toEqual([]);
  });

  it('401 when the body was altered after signing (e.g. a higher-value content id swapped in)', async () => {
    const { buyer, item } = await buyerAndItem();
    const other = await createContent(t.platform, creator.id, { priceCents: 99_999 });
    const ev = completedEvent(buyer.id, item);
    const signature = await sign(ev.payload, WEBHOOK_SECRETS.booking);
    const tampered = ev.payload.replaceAll(item.id, other.id);
    const res = await deliver(t.platform, 'booking', tampered, { signature });
    expect(res.status).toBe(401);
    expect(await eventRow(ev.id)).toEqual([]);
    expect(await accessFor(buyer.id, other.id)).toEqual([]);
  });

  it('verifies the raw bytes: the same JSON re-serialised differently does not verify', async () => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    const signature = await sign(ev.payload, WEBHOOK_SECRETS.booking);
    const compact = JSON.stringify(JSON.parse(ev.payload));
    expect((await deliver(t.platform, 'booking', compact, { signature })).status).toBe(401);
    expect(await eventRow(ev.id)).toEqual([]);
  });

  it('415 for a body that is not JSON, 400 INVALID_EVENT for a signed body that is not an event', async () => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    const res = await deliver(t.platform, 'booking', ev.payload, { contentType: 'text/plain' });
    expect(res.status).toBe(415);
    expect((await json(res)).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const notEvent = await deliver(t.platform, 'booking', JSON.stringify({ hello: 'world' }));
    expect(notEvent.status).toBe(400);
    expect((await json(notEvent)).error.code).toBe('INVALID_EVENT');
    const notJson = await deliver(t.platform, 'booking', 'this is not json');
    expect(notJson.status).toBe(400);
    expect(await eventRow(ev.id)).toEqual([]);
  });

  it('503 WEBHOOK_NOT_CONFIGURED when the endpoint has no secret (fail closed)', async () => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    const res = await deliver(t.platform, 'booking', ev.payload, { env: { STRIPE_WEBHOOK_SECRET_BOOKING: undefined } });
    expect(res.status).toBe(503);
    expect((await json(res)).error.code).toBe('WEBHOOK_NOT_CONFIGURED');
    expect(await eventRow(ev.id)).toEqual([]);
  });
});

describe('checkout.session.completed', () => {
  it('records the purchase and grants access in one go, and logs the event once', async () => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    const res = await deliver(t.platform, 'booking', ev.payload);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ received: true, duplicate: false, status: 'processed' });

    const [purchase, ...morePurchases] = await purchasesFor(buyer.id, item.id);
    expect(morePurchases).toEqual([]);
    expect(purchase).toMatchObject({
      status: 'completed',
      amountCents: item.priceCents,
      currency: 'usd',
      stripeCheckoutSessionId: ev.object.id,
      stripePaymentIntentId: ev.object.payment_intent,
      refundedAt: null,
    });
    expect(await accessFor(buyer.id, item.id)).toEqual([
      expect.objectContaining({ accessType: 'purchase', purchaseId: purchase?.id, revokedAt: null, expiresAt: null }),
    ]);
    const [logged] = await eventRow(ev.id);
    expect(logged).toMatchObject({
      type: 'checkout.session.completed',
      endpoint: 'booking',
      status: 'processed',
      error: null,
    });
    expect(logged?.processedAt).toBeInstanceOf(Date);
    // Only identifiers are kept: no customer details from the payload.
    expect(JSON.stringify(logged?.payload)).not.toContain('buyer@example.com');
  });

  it('completes the pending purchase recorded at checkout (same row, no second purchase)', async () => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    const [pending] = await t.platform.db
      .insert(purchases)
      .values({
        userId: buyer.id,
        contentId: item.id,
        amountCents: item.priceCents ?? 0,
        currency: 'usd',
        status: 'pending',
        stripeCheckoutSessionId: ev.object.id,
      })
      .returning();
    expect((await deliver(t.platform, 'booking', ev.payload)).status).toBe(200);
    const rows = await purchasesFor(buyer.id, item.id);
    expect(rows).toEqual([expect.objectContaining({ id: pending?.id, status: 'completed' })]);
    expect(await accessFor(buyer.id, item.id)).toEqual([
      expect.objectContaining({ purchaseId: pending?.id, revokedAt: null }),
    ]);
  });

  it('a redelivered event is acknowledged as a duplicate and changes nothing', async () => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    expect((await deliver(t.platform, 'booking', ev.payload)).status).toBe(200);
    const purchasesBefore = await purchasesFor(buyer.id, item.id);
    const accessBefore = await accessFor(buyer.id, item.id);
    const [eventBefore] = await eventRow(ev.id);

    // Stripe re-signs on every delivery attempt.
    const again = await deliver(t.platform, 'booking', ev.payload, {
      signature: await sign(ev.payload, WEBHOOK_SECRETS.booking),
    });
    expect(again.status).toBe(200);
    expect(await json(again)).toEqual({ received: true, duplicate: true, status: 'processed' });
    expect(await purchasesFor(buyer.id, item.id)).toEqual(purchasesBefore);
    expect(await accessFor(buyer.id, item.id)).toEqual(accessBefore);
    expect(await eventRow(ev.id)).toEqual([eventBefore]);
  });

  it('20 concurrent deliveries of one event: exactly one purchase, one access row, one event row', async () => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    const signature = await sign(ev.payload, WEBHOOK_SECRETS.booking);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => deliver(t.platform, 'booking', ev.payload, { signature })),
    );
    const bodies = await Promise.all(responses.map((r) => json(r)));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(bodies.filter((b) => b.duplicate === false)).toHaveLength(1);
    expect(bodies.filter((b) => b.duplicate === true)).toHaveLength(19);
    expect(bodies.every((b) => b.status === 'processed')).toBe(true);
    expect(await purchasesFor(buyer.id, item.id)).toEqual([expect.objectContaining({ status: 'completed' })]);
    expect(await accessFor(buyer.id, item.id)).toHaveLength(1);
    expect(await eventRow(ev.id)).toHaveLength(1);
  });

  it('two different events for one session (completed + async_payment_succeeded) give one purchase', async () => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    const second = eventPayload({ type: 'checkout.session.async_payment_succeeded', object: ev.object });
    const [a, b] = await Promise.all([
      deliver(t.platform, 'booking', ev.payload),
      deliver(t.platform, 'booking', second),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect((await json(a)).duplicate).toBe(false);
    expect((await json(b)).duplicate).toBe(false);
    expect(await purchasesFor(buyer.id, item.id)).toHaveLength(1);
    expect(await accessFor(buyer.id, item.id)).toHaveLength(1);
  });

  it('an unpaid (asynchronous) checkout records a pending purchase without access; async_payment_succeeded grants it', async () => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item, { payment_status: 'unpaid' });
    expect(await json(await deliver(t.platform, 'booking', ev.payload))).toMatchObject({ status: 'processed' });
    expect(await purchasesFor(buyer.id, item.id)).toEqual([expect.objectContaining({ status: 'pending' })]);
    expect(await accessFor(buyer.id, item.id)).toEqual([]);

    const paid = eventPayload({
      type: 'checkout.session.async_payment_succeeded',
      object: { ...ev.object, payment_status: 'paid' },
    });
    expect((await deliver(t.platform, 'booking', paid)).status).toBe(200);
    expect(await purchasesFor(buyer.id, item.id)).toEqual([expect.objectContaining({ status: 'completed' })]);
    expect(await accessFor(buyer.id, item.id)).toHaveLength(1);
  });

  it('an expired checkout marks the pending attempt failed', async () => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item, { payment_status: 'unpaid', status: 'expired' });
    await t.platform.db.insert(purchases).values({
      userId: buyer.id,
      contentId: item.id,
      amountCents: item.priceCents ?? 0,
      currency: 'usd',
      stripeCheckoutSessionId: ev.object.id,
    });
    const expired = eventPayload({ type: 'checkout.session.expired', object: ev.object });
    expect(await json(await deliver(t.platform, 'booking', expired))).toEqual({
      received: true,
      duplicate: false,
      status: 'processed',
    });
    expect(await purchasesFor(buyer.id, item.id)).toEqual([expect.objectContaining({ status: 'failed' })]);
    expect(await accessFor(buyer.id, item.id)).toEqual([]);
  });
});

describe('permanent failures are logged as failed and acknowledged', () => {
  it.each([
    [
      'unknown content',
      (u: string, i: Content) => ({
        metadata: { userId: u, contentId: '6f1c1c1e-7a0a-4c3b-9a55-1b7f3a1e0b11' },
        client_reference_id: u,
        _i: i,
      }),
      'UNKNOWN_CONTENT',
    ],
    [
      'unknown user',
      (_u: string, i: Content) => ({
        metadata: { userId: '6f1c1c1e-7a0a-4c3b-9a55-1b7f3a1e0b12', contentId: i.id },
        client_reference_id: null,
      }),
      'UNKNOWN_USER',
    ],
    ['an amount below the price', () => ({ amount_total: 1 }), 'AMOUNT_MISMATCH'],
    ['another currency', () => ({ currency: 'jpy' }), 'AMOUNT_MISMATCH'],
    ['no metadata', () => ({ metadata: {} }), 'MISSING_METADATA'],
    [
      'client_reference_id of someone else',
      () => ({ client_reference_id: '6f1c1c1e-7a0a-4c3b-9a55-1b7f3a1e0b13' }),
      'METADATA_MISMATCH',
    ],
  ])('%s → 200, webhook_events failed with the reason, no purchase, no access', async (_label, override, code) => {
    const { buyer, item } = await buyerAndItem();
    const { _i, ...fields } = override(buyer.id, item) as Record<string, unknown>;
    const ev = completedEvent(buyer.id, item, fields);
    const res = await deliver(t.platform, 'booking', ev.payload);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ received: true, duplicate: false, status: 'failed' });
    const [logged] = await eventRow(ev.id);
    expect(logged).toMatchObject({ status: 'failed', endpoint: 'booking' });
    expect(logged?.error).toMatch(new RegExp(`^${code}: `));
    expect(await purchasesFor(buyer.id, item.id)).toEqual([]);
    expect(await accessFor(buyer.id, item.id)).toEqual([]);
    // A redelivery stays acknowledged and is not retried.
    const again = await deliver(t.platform, 'booking', ev.payload);
    expect(await json(again)).toEqual({ received: true, duplicate: true, status: 'failed' });
  });

  it('the amount is checked against the price recorded at checkout, not a later price change', async () => {
    const { buyer, item } = await buyerAndItem({ priceCents: 1500 });
    const ev = completedEvent(buyer.id, item, {
      amount_total: 1500,
      metadata: { userId: buyer.id, contentId: item.id, amountCents: '1500', currency: 'usd' },
    });
    await t.platform.db.insert(purchases).values({
      userId: buyer.id,
      contentId: item.id,
      amountCents: 1500,
      currency: 'usd',
      stripeCheckoutSessionId: ev.object.id,
    });
    const { content: contentTable } = await import('@codex/database');
    await t.platform.db.update(contentTable).set({ priceCents: 3000 }).where(eq(contentTable.id, item.id));
    expect(await json(await deliver(t.platform, 'booking', ev.payload))).toMatchObject({ status: 'processed' });
    expect(await accessFor(buyer.id, item.id)).toHaveLength(1);
  });
});

describe('transient failures', () => {
  it('503 when the database is down: nothing recorded, and the retry succeeds', async () => {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    const res = await deliver(t.platform, 'booking', ev.payload, { env: DATABASE_DOWN });
    expect(res.status).toBe(503);
    const body = await json(res);
    expect(body.error.code).toBe('WEBHOOK_RETRY');
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|nobody|websocket/i);
    expect(await eventRow(ev.id)).toEqual([]);

    // Stripe's retry, once the database is back.
    const retry = await deliver(t.platform, 'booking', ev.payload);
    expect(await json(retry)).toEqual({ received: true, duplicate: false, status: 'processed' });
    expect(await purchasesFor(buyer.id, item.id)).toEqual([expect.objectContaining({ status: 'completed' })]);
    expect(await accessFor(buyer.id, item.id)).toHaveLength(1);
  });
});

describe('charge.refunded', () => {
  async function bought() {
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    expect((await deliver(t.platform, 'booking', ev.payload)).status).toBe(200);
    return { buyer, item, paymentIntent: ev.object.payment_intent as string };
  }

  it('revokes the access the purchase granted and marks the purchase refunded (found by payment intent)', async () => {
    const { buyer, item, paymentIntent } = await bought();
    const id = eventId();
    const payload = eventPayload({
      id,
      type: 'charge.refunded',
      object: refundedCharge(paymentIntent, item.priceCents ?? 0),
    });
    const res = await deliver(t.platform, 'payment', payload);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({ received: true, duplicate: false, status: 'processed' });
    const [purchase] = await purchasesFor(buyer.id, item.id);
    expect(purchase).toMatchObject({ status: 'refunded' });
    expect(purchase?.refundedAt).toBeInstanceOf(Date);
    const [access] = await accessFor(buyer.id, item.id);
    expect(access?.revokedAt).toBeInstanceOf(Date);
    expect(access?.purchaseId).toBe(purchase?.id);
    expect(await eventRow(id)).toEqual([expect.objectContaining({ endpoint: 'payment', status: 'processed' })]);

    // Redelivery: nothing changes (revokedAt keeps its first value).
    const again = await deliver(t.platform, 'payment', payload);
    expect(await json(again)).toMatchObject({ duplicate: true });
    expect((await accessFor(buyer.id, item.id))[0]?.revokedAt).toEqual(access?.revokedAt);
  });

  it('a refund sent to the booking endpoint is logged as ignored and changes nothing', async () => {
    const { buyer, item, paymentIntent } = await bought();
    const id = eventId();
    const payload = eventPayload({
      id,
      type: 'charge.refunded',
      object: refundedCharge(paymentIntent, item.priceCents ?? 0),
    });
    expect(await json(await deliver(t.platform, 'booking', payload))).toEqual({
      received: true,
      duplicate: false,
      status: 'ignored',
    });
    expect((await accessFor(buyer.id, item.id))[0]?.revokedAt).toBeNull();
    expect(await eventRow(id)).toEqual([expect.objectContaining({ status: 'ignored', endpoint: 'booking' })]);
  });

  it('a partial refund keeps access (logged as ignored)', async () => {
    const { buyer, item, paymentIntent } = await bought();
    const partial = refundedCharge(paymentIntent, item.priceCents ?? 0, { amount_refunded: 100, refunded: false });
    const res = await deliver(t.platform, 'payment', eventPayload({ type: 'charge.refunded', object: partial }));
    expect(await json(res)).toMatchObject({ status: 'ignored' });
    expect((await purchasesFor(buyer.id, item.id))[0]?.status).toBe('completed');
    expect((await accessFor(buyer.id, item.id))[0]?.revokedAt).toBeNull();
  });

  it('buying again after a refund restores access through the new purchase', async () => {
    const { buyer, item, paymentIntent } = await bought();
    await deliver(
      t.platform,
      'payment',
      eventPayload({ type: 'charge.refunded', object: refundedCharge(paymentIntent, item.priceCents ?? 0) }),
    );
    expect((await accessFor(buyer.id, item.id))[0]?.revokedAt).toBeInstanceOf(Date);
    const ev = completedEvent(buyer.id, item);
    expect((await deliver(t.platform, 'booking', ev.payload)).status).toBe(200);
    const rows = await purchasesFor(buyer.id, item.id);
    const fresh = rows.find((r) => r.stripeCheckoutSessionId === ev.object.id);
    expect(rows.map((r) => r.status).sort()).toEqual(['completed', 'refunded']);
    expect(await accessFor(buyer.id, item.id)).toEqual([
      expect.objectContaining({ purchaseId: fresh?.id, revokedAt: null }),
    ]);
  });

  it('a refund for an unknown payment intent is logged as failed and acknowledged', async () => {
    const id = eventId();
    const payload = eventPayload({
      id,
      type: 'charge.refunded',
      object: refundedCharge('pi_test_unknown_intent', 1999),
    });
    expect(await json(await deliver(t.platform, 'payment', payload))).toEqual({
      received: true,
      duplicate: false,
      status: 'failed',
    });
    const [logged] = await eventRow(id);
    expect(logged?.error).toMatch(/^UNKNOWN_PAYMENT: /);
  });
});

describe('the other endpoints', () => {
  const samples: Record<Exclude<WebhookEndpoint, 'booking'>, { type: string; object: Record<string, unknown> }> = {
    payment: { type: 'payment_intent.succeeded', object: { id: 'pi_test_x', object: 'payment_intent', amount: 1999 } },
    subscription: { type: 'customer.subscription.created', object: { id: 'sub_test_x', object: 'subscription' } },
    customer: {
      type: 'customer.created',
      object: { id: 'cus_test_x', object: 'customer', email: 'someone@example.com' },
    },
    connect: { type: 'account.updated', object: { id: 'acct_test_x', object: 'account' } },
    dispute: { type: 'charge.dispute.created', object: { id: 'dp_test_x', object: 'dispute', amount: 1999 } },
  };

  it.each(Object.entries(samples))(
    '%s: a verified event is logged once and acknowledged; its own secret only',
    async (endpoint, sample) => {
      const ep = endpoint as WebhookEndpoint;
      const id = eventId();
      const payload = eventPayload({ id, ...sample });
      const res = await deliver(t.platform, ep, payload);
      expect(res.status).toBe(200);
      expect(await json(res)).toEqual({ received: true, duplicate: false, status: 'ignored' });
      const rows = await eventRow(id);
      expect(rows).toEqual([
        expect.objectContaining({ type: sample.type, endpoint: ep, status: 'ignored', error: null }),
      ]);
      expect(JSON.stringify(rows[0]?.payload)).not.toContain('someone@example.com');

      const again = await deliver(t.platform, ep, payload);
      expect(await json(again)).toEqual({ received: true, duplicate: true, status: 'ignored' });
      expect(await eventRow(id)).toHaveLength(1);

      // Signed with the booking secret: refused by this endpoint.
      const foreign = await deliver(t.platform, ep, eventPayload({ ...sample }), {
        signature: await sign(payload, WEBHOOK_SECRETS.booking),
      });
      expect(foreign.status).toBe(401);
    },
  );

  it('every endpoint has its own secret', () => {
    expect(new Set(WEBHOOK_ENDPOINTS.map((e) => WEBHOOK_SECRETS[e])).size).toBe(WEBHOOK_ENDPOINTS.length);
  });
});

describe('rate limit', () => {
  it('429 with Retry-After once an IP used up the webhook budget; nothing is recorded', async () => {
    const ip = nextIp();
    await blockRateLimit(t.platform.rateLimiter, [RATE_LIMIT_PRESETS.webhook], `ip:${ip}`);
    const { buyer, item } = await buyerAndItem();
    const ev = completedEvent(buyer.id, item);
    const res = await deliver(t.platform, 'booking', ev.payload, { ip });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect((await json(res)).error.code).toBe('RATE_LIMITED');
    expect(await eventRow(ev.id)).toEqual([]);
  });
});
