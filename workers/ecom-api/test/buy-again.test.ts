/**
 * Buying again after a refund, end to end: checkout → paid (webhook) → streams → refunded → refused → a new
 * checkout opens a NEW Stripe session (never the completed one the idempotency window would return) → paid →
 * streams again. Twice, so the second refund inside the same window is covered too.
 */
import { contentAccess, purchases } from '@codex/database';
import { json, jsonInit, registerUser, type TestUser } from '@codex/local';
import contentApp from '@codex/worker-content-api';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  completedSession,
  createContent,
  deliver,
  type EcomTestEnv,
  eventPayload,
  REDIRECT_ORIGIN,
  refundedCharge,
  startEcomTestEnv,
} from './helpers';

let t: EcomTestEnv;
let creator: TestUser;
let buyer: TestUser;

beforeAll(async () => {
  t = await startEcomTestEnv({ 'content-api': contentApp });
  creator = await registerUser(t.platform, { name: 'Cora Creator' });
  buyer = await registerUser(t.platform, { name: 'Bea Buyer' });
});

afterAll(async () => {
  await t?.close();
});

const streamingUrl = (contentId: string) =>
  t.platform.request('content-api', `/api/access/streaming-url/${contentId}`, jsonInit('GET', undefined, buyer.cookie));

/** The same request every time (same URLs): inside the window, the same idempotency key. */
async function checkout(contentId: string) {
  const res = await t.platform.request(
    'ecom-api',
    '/checkout/create',
    jsonInit(
      'POST',
      {
        contentId,
        successUrl: `${REDIRECT_ORIGIN}/ok?session_id={CHECKOUT_SESSION_ID}`,
        cancelUrl: `${REDIRECT_ORIGIN}/cancel`,
      },
      buyer.cookie,
    ),
  );
  expect(res.status, await res.clone().text()).toBe(201);
  return (await json(res)) as { sessionId: string; checkoutUrl: string };
}

const purchaseOf = async (sessionId: string) =>
  (await t.platform.db.select().from(purchases).where(eq(purchases.stripeCheckoutSessionId, sessionId)))[0];

async function pay(item: { id: string; priceCents: number | null; currency: string }, sessionId: string) {
  const session = completedSession(buyer.id, item, { id: sessionId });
  const res = await deliver(
    t.platform,
    'booking',
    eventPayload({ type: 'checkout.session.completed', object: session }),
  );
  expect(await json(res)).toEqual({ received: true, duplicate: false, status: 'processed' });
  expect(await purchaseOf(sessionId)).toMatchObject({
    status: 'completed',
    stripePaymentIntentId: session.payment_intent,
  });
  return session;
}

async function refund(paymentIntent: string, amount: number) {
  const res = await deliver(
    t.platform,
    'payment',
    eventPayload({ type: 'charge.refunded', object: refundedCharge(paymentIntent, amount) }),
  );
  expect(await json(res)).toMatchObject({ status: 'processed' });
}

describe('buying again after a refund', () => {
  it('opens a new session each time and grants access again', async () => {
    const item = await createContent(t.platform, creator.id, { priceCents: 1299 });
    const sessions: string[] = [];

    for (let round = 1; round <= 3; round++) {
      const before = await streamingUrl(item.id);
      expect(before.status).toBe(403);
      expect((await json(before)).error.code).toBe('NO_PURCHASE');

      const requestsBefore = t.stripe.requests.length;
      // Round 2 names the content in upper case: the same content (ids are canonical).
      const { sessionId, checkoutUrl } = await checkout(round === 2 ? item.id.toUpperCase() : item.id);
      // Never a session that was already paid (and refunded).
      expect(sessions).not.toContain(sessionId);
      expect(checkoutUrl).toContain(sessionId);
      // A double click gets the same (new) session, and one pending purchase.
      expect((await checkout(item.id)).sessionId).toBe(sessionId);
      sessions.push(sessionId);
      expect(await purchaseOf(sessionId)).toMatchObject({ userId: buyer.id, contentId: item.id, status: 'pending' });
      // Every call to Stripe after the first round used an idempotency key of its own for the new session.
      const keys = t.stripe.requests.slice(requestsBefore).map((r) => String(r.headers['idempotency-key']));
      expect(keys.every((k) => k.startsWith('checkout-'))).toBe(true);

      const session = await pay(item, sessionId);
      const granted = await streamingUrl(item.id);
      expect(granted.status, `round ${round}`).toBe(200);
      expect((await json(granted)).streamingUrl).toContain(`/api/access/stream/${item.id}`);
      const [access] = await t.platform.db
        .select()
        .from(contentAccess)
        .where(and(eq(contentAccess.userId, buyer.id), eq(contentAccess.contentId, item.id)));
      expect(access).toMatchObject({ revokedAt: null, purchaseId: (await purchaseOf(sessionId))?.id });

      // While access lasts, there is nothing to buy.
      const again = await t.platform.request(
        'ecom-api',
        '/checkout/create',
        jsonInit(
          'POST',
          { contentId: item.id, successUrl: `${REDIRECT_ORIGIN}/ok`, cancelUrl: `${REDIRECT_ORIGIN}/cancel` },
          buyer.cookie,
        ),
      );
      expect(again.status).toBe(409);
      expect((await json(again)).error.code).toBe('ALREADY_HAS_ACCESS');

      await refund(session.payment_intent, 1299);
      expect(await purchaseOf(sessionId)).toMatchObject({ status: 'refunded' });
    }

    expect(new Set(sessions).size).toBe(3);
    const rows = await t.platform.db
      .select()
      .from(purchases)
      .where(and(eq(purchases.userId, buyer.id), eq(purchases.contentId, item.id)));
    expect(rows.map((r) => r.status).sort()).toEqual(['refunded', 'refunded', 'refunded']);
    expect((await streamingUrl(item.id)).status).toBe(403);
  });
});
