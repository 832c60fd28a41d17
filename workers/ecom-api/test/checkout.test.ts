import { contentAccess, organizations, purchases } from '@codex/database';
import { json, jsonInit, registerUser, type TestUser } from '@codex/local';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import ecomApp from '../src/index';
import { createContent, DATABASE_DOWN, type EcomTestEnv, REDIRECT_ORIGIN, startEcomTestEnv } from './helpers';

let t: EcomTestEnv;
let creator: TestUser;
let buyer: TestUser;

const SUCCESS = `${REDIRECT_ORIGIN}/purchase/success?session_id={CHECKOUT_SESSION_ID}`;
const CANCEL = `${REDIRECT_ORIGIN}/content/back`;

function checkout(body: unknown, user?: TestUser, headers: Record<string, string> = {}) {
  return t.platform.request('ecom-api', '/checkout/create', jsonInit('POST', body, user?.cookie, headers));
}

const purchasesOf = (userId: string) => t.platform.db.select().from(purchases).where(eq(purchases.userId, userId));

beforeAll(async () => {
  t = await startEcomTestEnv();
  creator = await registerUser(t.platform, { name: 'Cora Creator' });
  buyer = await registerUser(t.platform, { name: 'Bea Buyer' });
});

afterAll(async () => {
  await t?.close();
});

beforeEach(() => t.stripe.reset());

describe('POST /checkout/create', () => {
  it('creates a Checkout Session through the Stripe SDK at the content price, and records the attempt', async () => {
    const item = await createContent(t.platform, creator.id, {
      priceCents: 2499,
      currency: 'eur',
      title: 'The Long Take',
    });
    const res = await checkout({ contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL }, buyer);
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(Object.keys(body).sort()).toEqual(['checkoutUrl', 'sessionId']);
    expect(body.sessionId).toMatch(/^cs_test_/);
    expect(body.checkoutUrl).toBe(`https://checkout.stripe.com/c/pay/${body.sessionId}`);

    // What the official SDK sent to "Stripe".
    expect(t.stripe.requests).toHaveLength(1);
    const sent = t.stripe.requests[0];
    expect(sent?.method).toBe('POST');
    expect(sent?.path).toBe('/v1/checkout/sessions');
    expect(sent?.headers.authorization).toBe('Bearer sk_test_codex_local');
    expect(sent?.headers['content-type']).toContain('application/x-www-form-urlencoded');
    expect(String(sent?.headers['idempotency-key'])).toMatch(/^checkout-[0-9a-f]{64}-\d+$/);
    expect(sent?.params).toMatchObject({
      mode: 'payment',
      'line_items[0][quantity]': '1',
      'line_items[0][price_data][currency]': 'eur',
      'line_items[0][price_data][unit_amount]': '2499',
      'line_items[0][price_data][product_data][name]': 'The Long Take',
      'line_items[0][price_data][product_data][metadata][contentId]': item.id,
      success_url: SUCCESS,
      cancel_url: CANCEL,
      client_reference_id: buyer.id,
      customer_email: buyer.email,
      'metadata[userId]': buyer.id,
      'metadata[contentId]': item.id,
      'metadata[amountCents]': '2499',
      'metadata[currency]': 'eur',
      'payment_intent_data[metadata][userId]': buyer.id,
      'payment_intent_data[metadata][contentId]': item.id,
    });

    const rows = await t.platform.db
      .select()
      .from(purchases)
      .where(eq(purchases.stripeCheckoutSessionId, body.sessionId));
    expect(rows).toEqual([
      expect.objectContaining({
        userId: buyer.id,
        contentId: item.id,
        amountCents: 2499,
        currency: 'eur',
        status: 'pending',
      }),
    ]);
    // No access until Stripe confirms the payment.
    expect(await t.platform.db.select().from(contentAccess).where(eq(contentAccess.contentId, item.id))).toEqual([]);
  });

  it('a repeated request reuses the idempotency key: the same session, one pending purchase', async () => {
    const item = await createContent(t.platform, creator.id);
    const body = { contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL };
    const first = await json(await checkout(body, buyer));
    const again = await checkout(body, buyer);
    expect(again.status).toBe(201);
    expect((await json(again)).sessionId).toBe(first.sessionId);
    expect(t.stripe.requests).toHaveLength(2);
    expect(t.stripe.requests[0]?.headers['idempotency-key']).toBe(t.stripe.requests[1]?.headers['idempotency-key']);
    const rows = await t.platform.db.select().from(purchases).where(eq(purchases.contentId, item.id));
    expect(rows).toHaveLength(1);
  });

  it('409 ALREADY_HAS_ACCESS when the caller already has access; a revoked access does not count', async () => {
    const item = await createContent(t.platform, creator.id);
    const [access] = await t.platform.db
      .insert(contentAccess)
      .values({ userId: buyer.id, contentId: item.id, accessType: 'grant' })
      .returning();
    const res = await checkout({ contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL }, buyer);
    expect(res.status).toBe(409);
    expect((await json(res)).error.code).toBe('ALREADY_HAS_ACCESS');
    expect(t.stripe.requests).toHaveLength(0);
    expect(await t.platform.db.select().from(purchases).where(eq(purchases.contentId, item.id))).toEqual([]);

    await t.platform.db
      .update(contentAccess)
      .set({ revokedAt: new Date() })
      .where(eq(contentAccess.id, access?.id ?? ''));
    const again = await checkout({ contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL }, buyer);
    expect(again.status).toBe(201);
    expect(t.stripe.requests).toHaveLength(1);
  });

  it.each([
    ['free (public)', { visibility: 'public' as const, priceCents: null }, 'free'],
    ['public with a price', { visibility: 'public' as const, priceCents: 500 }, 'free'],
    ['members only', { visibility: 'members_only' as const }, 'members_only'],
    ['a draft', { status: 'draft' as const, publishedAt: null }, 'not_published'],
    ['archived', { status: 'archived' as const }, 'not_published'],
    ['deleted', { deletedAt: new Date() }, 'deleted'],
  ])('422 CONTENT_NOT_PURCHASABLE for %s content, and Stripe is not called', async (_label, fields, reason) => {
    let orgFields = {};
    if ((fields as { visibility?: string }).visibility === 'members_only') {
      const [org] = await t.platform.db
        .insert(organizations)
        .values({ name: 'Members Club', slug: `club-${Math.random().toString(36).slice(2, 8)}`, creatorId: creator.id })
        .returning();
      orgFields = { organizationId: org?.id };
    }
    const item = await createContent(t.platform, creator.id, { ...orgFields, ...fields });
    const res = await checkout({ contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL }, buyer);
    expect(res.status).toBe(422);
    const body = await json(res);
    expect(body.error).toMatchObject({ code: 'CONTENT_NOT_PURCHASABLE', details: { reason } });
    expect(t.stripe.requests).toHaveLength(0);
    expect(await t.platform.db.select().from(purchases).where(eq(purchases.contentId, item.id))).toEqual([]);
  });

  it("422 for the caller's own content", async () => {
    const item = await createContent(t.platform, creator.id);
    const res = await checkout({ contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL }, creator);
    expect(res.status).toBe(422);
    expect((await json(res)).error.details).toEqual({ reason: 'own_content' });
    expect(t.stripe.requests).toHaveLength(0);
    expect(await purchasesOf(creator.id)).toEqual([]);
  });

  it('404 for unknown content', async () => {
    const before = (await purchasesOf(buyer.id)).length;
    const res = await checkout(
      { contentId: '6f1c1c1e-7a0a-4c3b-9a55-1b7f3a1e0b11', successUrl: SUCCESS, cancelUrl: CANCEL },
      buyer,
    );
    expect(res.status).toBe(404);
    expect((await json(res)).error.code).toBe('CONTENT_NOT_FOUND');
    expect(t.stripe.requests).toHaveLength(0);
    expect(await purchasesOf(buyer.id)).toHaveLength(before);
  });

  it.each([
    ['another origin', 'successUrl', 'https://evil.example/phish'],
    ['a look-alike host', 'successUrl', 'https://app.codex.test.evil.example/x'],
    ['another scheme of an allowed host', 'cancelUrl', 'http://app.codex.test/x'],
    ['another port of an allowed host', 'cancelUrl', 'https://app.codex.test:8443/x'],
  ])('422 REDIRECT_URL_NOT_ALLOWED for %s (no open redirect)', async (_label, field, url) => {
    const item = await createContent(t.platform, creator.id);
    const res = await checkout({ contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL, [field]: url }, buyer);
    expect(res.status).toBe(422);
    const body = await json(res);
    expect(body.error).toMatchObject({ code: 'REDIRECT_URL_NOT_ALLOWED', details: [{ field }] });
    expect(t.stripe.requests).toHaveLength(0);
    expect(await t.platform.db.select().from(purchases).where(eq(purchases.contentId, item.id))).toEqual([]);
  });

  it.each([
    ['missing contentId', { contentId: undefined }, 'contentId'],
    ['malformed contentId', { contentId: 'not-a-uuid' }, 'contentId'],
    ['javascript: success URL', { successUrl: 'javascript:alert(1)' }, 'successUrl'],
    ['credentials in the URL', { cancelUrl: 'https://user:pw@app.codex.test/x' }, 'cancelUrl'],
    ['relative URL', { successUrl: '/purchase/success' }, 'successUrl'],
    ['a client-chosen price', { priceCents: 1 }, 'priceCents'],
    ['a client-chosen user', { userId: '6f1c1c1e-7a0a-4c3b-9a55-1b7f3a1e0b11' }, 'userId'],
  ])('400 for %s', async (_label, fields, field) => {
    const item = await createContent(t.platform, creator.id);
    const res = await checkout({ contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL, ...fields }, buyer);
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe('VALIDATION_ERROR');
    expect(body.error.details.map((d: { field: string }) => d.field)).toContain(field);
    expect(t.stripe.requests).toHaveLength(0);
    expect(await t.platform.db.select().from(purchases).where(eq(purchases.contentId, item.id))).toEqual([]);
  });

  it('401 for an anonymous caller or a forged session', async () => {
    const item = await createContent(t.platform, creator.id);
    const anon = await checkout({ contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL });
    expect(anon.status).toBe(401);
    expect((await json(anon)).error.code).toBe('AUTHENTICATION_REQUIRED');
    const forged = await t.platform.request(
      'ecom-api',
      '/checkout/create',
      jsonInit(
        'POST',
        { contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL },
        'codex-session=forged.signature',
      ),
    );
    expect(forged.status).toBe(401);
    expect(t.stripe.requests).toHaveLength(0);
    expect(await t.platform.db.select().from(purchases).where(eq(purchases.contentId, item.id))).toEqual([]);
  });

  it('503 when Stripe fails or cannot be reached, without recording a purchase', async () => {
    const item = await createContent(t.platform, creator.id);
    t.stripe.respondWith(() => ({ status: 500, body: { error: { type: 'api_error', message: 'boom' } } }));
    const res = await checkout({ contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL }, buyer);
    expect(res.status).toBe(503);
    const body = await json(res);
    expect(body.error.code).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
    expect(JSON.stringify(body)).not.toContain('boom');
    // The SDK retried once (maxNetworkRetries 1), with the same idempotency key.
    expect(t.stripe.requests).toHaveLength(2);
    expect(t.stripe.requests[0]?.headers['idempotency-key']).toBe(t.stripe.requests[1]?.headers['idempotency-key']);

    t.stripe.respondWith(() => 'hang-up');
    const hangUp = await checkout({ contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL }, buyer);
    expect(hangUp.status).toBe(503);
    expect(await t.platform.db.select().from(purchases).where(eq(purchases.contentId, item.id))).toEqual([]);
  });

  it('503 when payments are not configured or the database is down', async () => {
    const item = await createContent(t.platform, creator.id);
    const init = jsonInit('POST', { contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL }, buyer.cookie);
    const noKey = await ecomApp.fetch(
      new Request('http://localhost:42072/checkout/create', init),
      t.platform.envFor('ecom-api', { STRIPE_SECRET_KEY: undefined }),
    );
    expect(noKey.status).toBe(503);
    expect((await json(noKey)).error.code).toBe('PAYMENTS_NOT_CONFIGURED');

    const dbDown = await ecomApp.fetch(
      new Request('http://localhost:42072/checkout/create', init),
      t.platform.envFor('ecom-api', DATABASE_DOWN),
    );
    expect(dbDown.status).toBe(503);
    const body = await json(dbDown);
    expect(body.error.code).toBe('DATABASE_UNAVAILABLE');
    expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|nobody|websocket/i);
    expect(t.stripe.requests).toHaveLength(0);
    expect(await t.platform.db.select().from(purchases).where(eq(purchases.contentId, item.id))).toEqual([]);
  });

  it('an empty redirect allow-list refuses every redirect', async () => {
    const item = await createContent(t.platform, creator.id);
    const res = await ecomApp.fetch(
      new Request(
        'http://localhost:42072/checkout/create',
        jsonInit('POST', { contentId: item.id, successUrl: SUCCESS, cancelUrl: CANCEL }, buyer.cookie),
      ),
      t.platform.envFor('ecom-api', { CHECKOUT_REDIRECT_ORIGINS: undefined }),
    );
    expect(res.status).toBe(422);
    expect((await json(res)).error.details).toEqual([{ field: 'successUrl' }, { field: 'cancelUrl' }]);
    expect(t.stripe.requests).toHaveLength(0);
  });
});
