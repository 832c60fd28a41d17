/**
 * End to end across workers: content-api refuses the stream, the buyer checks out through ecom-api (the Stripe
 * SDK talking to the local test server), Stripe's signed webhook grants access, content-api now hands out a
 * streaming URL; a refund takes it away again. Then buying again after a refund: a new checkout opens a NEW Stripe
 * session (never the completed one the idempotency window would return), and paying it grants access again.
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

const streamingUrl = (contentId: string, user: TestUser) =>
  t.platform.request('content-api', `/api/access/streaming-url/${contentId}`, jsonInit('GET', undefined, user.cookie));

describe('buying content', () => {
  it('streaming URL refused before the purchase, granted after the webhook, refused again after a refund', async () => {
    const item = await createContent(t.platform, creator.id, { priceCents: 1299 });

    const before = await streamingUrl(item.id, buyer);
    expect(before.status).toBe(403);
    expect((await json(before)).error.code).toBe('NO_PURCHASE');

    const checkout = await t.platform.request(
      'ecom-api',
      '/checkout/create',
      jsonInit(
        'POST',
        {
          contentId: item.id,
          successUrl: `${REDIRECT_ORIGIN}/ok?session_id={CHECKOUT_SESSION_ID}`,
          cancelUrl: `${REDIRECT_ORIGIN}/cancel`,
        },
        buyer.cookie,
      ),
    );
    expect(checkout.status).toBe(201);
    const { sessionId } = await json(checkout);
    // Paying is not access: still refused until Stripe confirms.
    expect((await streamingUrl(item.id, buyer)).status).toBe(403);

    // Stripe confirms the payment on the booking webhook.
    const session = completedSession(buyer.id, item, { id: sessionId });
    const res = await deliver(
      t.platform,
      'booking',
      eventPayload({ type: 'checkout.session.completed', object: session }),
    );
    expect(await json(res)).toEqual({ received: true, duplicate: false, status: 'processed' });
    const rows = await t.platform.db.select().from(purchases).where(eq(purchases.stripeCheckoutSessionId, sessionId));
    expect(rows).toEqual([
      expect.objectContaining({ userId: buyer.id, contentId: item.id, amountCents: 1299, status: 'completed' }),
    ]);

    const after = await streamingUrl(item.id, buyer);
    expect(after.status).toBe(200);
    const granted = await json(after);
    expect(granted.streamingUrl).toContain(`/api/access/stream/${item.id}`);
    expect(Date.parse(granted.expiresAt)).toBeGreaterThan(Date.now());

    // Someone else still cannot stream it.
    const stranger = await registerUser(t.platform);
    expect((await streamingUrl(item.id, stranger)).status).toBe(403);

    // A full refund revokes the access.
    const refund = eventPayload({ type: 'charge.refunded', object: refundedCharge(session.payment_intent, 1299) });
    expect(await json(await deliver(t.platform, 'payment', refund))).toMatchObject({ status: 'processed' });
    const [access] = await t.platform.db
      .select()
      .from(contentAccess)
      .where(and(eq(contentAccess.userId, buyer.id), eq(contentAccess.contentId, item.id)));
    expect(access?.revokedAt).toBeInstanceOf(Date);
    const refunded = await streamingUrl(item.id, buyer);
    expect(refunded.status).toBe(403);
    expect((await json(refunded)).error.code).toBe('NO_PURCHASE');
  });
});

// ── buying again after a refund ──────────────────────────────────────────────────────────────────────────────

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
      const before = await streamingUrl(item.id, buyer);
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
      const granted = await streamingUrl(item.id, buyer);
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
    expect((await streamingUrl(item.id, buyer)).status).toBe(403);
  });
});
