/**
 * Stripe webhook signatures inside workerd: the SDK's constructEventAsync with the SubtleCrypto provider, over
 * the raw body, in the real Workers runtime. The app is called with its wrangler bindings plus a signing secret
 * (a Wrangler secret in production).
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { signWebhookPayload, verifyWebhook } from '@codex/purchase';
import { describe, expect, it } from 'vitest';
import { app } from '../src/index';

const SECRET = 'whsec_workerd_subscription_0123456789';

function payload(id: string) {
  return JSON.stringify({
    id,
    object: 'event',
    api_version: '2026-04-22.dahlia',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    type: 'customer.subscription.updated',
    data: { object: { id: 'sub_workerd', object: 'subscription' } },
  });
}

async function post(body: string, signature: string | undefined) {
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request('http://localhost/webhooks/stripe/subscription', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(signature ? { 'stripe-signature': signature } : {}) },
      body,
    }),
    { ...env, STRIPE_WEBHOOK_SECRET_SUBSCRIPTION: SECRET },
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return res;
}

describe('Stripe webhook signatures in workerd', () => {
  it('the SDK signs and verifies with SubtleCrypto', async () => {
    const body = payload('evt_workerd_sdk');
    const header = await signWebhookPayload(body, SECRET);
    expect(await verifyWebhook(body, header, SECRET)).toMatchObject({ id: 'evt_workerd_sdk' });
    await expect(verifyWebhook(`${body} `, header, SECRET)).rejects.toThrow('Signature does not match');
  });

  it('a valid signature passes, a forged one is 401, none is 400', async () => {
    const id = `evt_workerd_${Date.now()}`;
    const body = payload(id);
    const ok = await post(body, await signWebhookPayload(body, SECRET));
    if (env.WORKERD_TEST_DB === 'postgres') {
      expect(ok.status).toBe(200);
      expect(await ok.json()).toEqual({ received: true, duplicate: false, status: 'ignored' });
    } else {
      // Verified, then refused: the HYPERDRIVE binding leads to a server that refuses every login in this run (the
      // database is down), so nothing is recorded and Stripe is told to deliver the event again.
      expect(ok.status).toBe(503);
      expect(((await ok.json()) as { error: { code: string } }).error.code).toBe('WEBHOOK_RETRY');
    }
    const forged = await post(body, await signWebhookPayload(body, 'whsec_someone_else_entirely'));
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('INVALID_WEBHOOK_SIGNATURE');
    const missing = await post(body, undefined);
    expect(missing.status).toBe(401);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('MISSING_SIGNATURE');
  });
});
