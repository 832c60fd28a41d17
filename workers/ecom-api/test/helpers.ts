import type { WebhookEndpoint } from '@codex/contract';
import { type Content, content, mediaItems, type NewContent } from '@codex/database';
import { createTestDatabase, dropTestDatabase } from '@codex/database/node';
import { type LocalPlatform, startLocalPlatform, type WorkerAppLike, type WorkerName } from '@codex/local';
import { signWebhookPayload } from '@codex/purchase';
import authApp from '@codex/worker-auth';
import ecomApp from '../src/index';
import { type StripeTestServer, startStripeTestServer } from './stripe-test-server';

export const REDIRECT_ORIGIN = 'https://app.codex.test';
export const WEBHOOK_SECRETS: Record<WebhookEndpoint, string> = {
  booking: 'whsec_test_booking_0123456789abcdef',
  payment: 'whsec_test_payment_0123456789abcdef',
  subscription: 'whsec_test_subscription_0123456789ab',
  customer: 'whsec_test_customer_0123456789abcdef',
  connect: 'whsec_test_connect_0123456789abcdef',
  dispute: 'whsec_test_dispute_0123456789abcdef',
};

/** The ecom worker's configuration in tests: test secrets, the SDK pointed at the local Stripe test server. */
export function ecomVars(stripe: StripeTestServer): Record<string, string> {
  return {
    STRIPE_SECRET_KEY: 'sk_test_codex_local',
    ...stripe.vars,
    CHECKOUT_REDIRECT_ORIGINS: `${REDIRECT_ORIGIN}, http://localhost:5173`,
    STRIPE_WEBHOOK_SECRET_BOOKING: WEBHOOK_SECRETS.booking,
    STRIPE_WEBHOOK_SECRET_PAYMENT: WEBHOOK_SECRETS.payment,
    STRIPE_WEBHOOK_SECRET_SUBSCRIPTION: WEBHOOK_SECRETS.subscription,
    STRIPE_WEBHOOK_SECRET_CUSTOMER: WEBHOOK_SECRETS.customer,
    STRIPE_WEBHOOK_SECRET_CONNECT: WEBHOOK_SECRETS.connect,
    STRIPE_WEBHOOK_SECRET_DISPUTE: WEBHOOK_SECRETS.dispute,
  };
}

/** Bindings for "the database is configured but unreachable" (connection refused at once). */
export const DATABASE_DOWN = {
  EMBEDDED_DB: undefined,
  DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
  NEON_WS_PROXY: '127.0.0.1:1/v1',
};

export interface EcomTestEnv {
  platform: LocalPlatform;
  stripe: StripeTestServer;
  close(): Promise<void>;
}

/**
 * The local platform with the auth and ecom workers (plus any extra apps): embedded PGlite by default; with
 * DATABASE_URL, a database of its own on that server (created, migrated, dropped afterwards).
 */
export async function startEcomTestEnv(
  extraApps: Partial<Record<WorkerName, WorkerAppLike>> = {},
): Promise<EcomTestEnv> {
  const stripe = await startStripeTestServer();
  const serverUrl = process.env.DATABASE_URL;
  const db = serverUrl ? await createTestDatabase({ serverUrl }) : undefined;
  const platform = await startLocalPlatform({
    apps: { auth: authApp, 'ecom-api': ecomApp, ...extraApps },
    databaseUrl: db?.url ?? '',
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test' },
    workerVars: { 'ecom-api': ecomVars(stripe) },
  });
  return {
    platform,
    stripe,
    async close() {
      await platform.close();
      await stripe.close();
      if (db && serverUrl) await dropTestDatabase(db.name, { serverUrl });
    },
  };
}

let seq = 0;

/** Inserts a media item and a content row owned by `creatorId` (published, purchased_only, $19.99 by default). */
export async function createContent(
  platform: LocalPlatform,
  creatorId: string,
  fields: Partial<NewContent> = {},
): Promise<Content> {
  seq += 1;
  const tag = `${Date.now().toString(36)}-${seq}-${Math.random().toString(36).slice(2, 8)}`;
  const [media] = await platform.db
    .insert(mediaItems)
    .values({
      creatorId,
      title: `Media ${tag}`,
      mediaType: 'video',
      mimeType: 'video/mp4',
      fileSizeBytes: 1_000_000,
      storageKey: `originals/${creatorId}/${tag}.mp4`,
      status: 'ready',
      durationSeconds: 120,
      hlsMasterKey: `hls/${tag}/master.m3u8`,
    })
    .returning();
  const [row] = await platform.db
    .insert(content)
    .values({
      creatorId,
      mediaItemId: media?.id,
      title: `Film ${tag}`,
      slug: `film-${tag}`,
      contentType: 'video',
      visibility: 'purchased_only',
      priceCents: 1999,
      currency: 'usd',
      status: 'published',
      publishedAt: new Date(),
      ...fields,
    })
    .returning();
  if (!row) throw new Error('content insert returned nothing');
  return row;
}

export function eventId() {
  seq += 1;
  return `evt_test_${Date.now().toString(36)}${seq}${Math.random().toString(36).slice(2, 10)}`;
}

export interface StripeEventInput {
  id?: string;
  type: string;
  object: Record<string, unknown>;
  livemode?: boolean;
}

/** A Stripe event as Stripe serialises it (pretty-printed: the signature is over these exact bytes). */
export function eventPayload(input: StripeEventInput): string {
  return JSON.stringify(
    {
      id: input.id ?? eventId(),
      object: 'event',
      api_version: '2026-04-22.dahlia',
      created: Math.floor(Date.now() / 1000),
      livemode: input.livemode ?? false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: input.type,
      data: { object: input.object },
    },
    null,
    2,
  );
}

/** A completed, paid checkout.session object for `userId` buying `item`. */
export function completedSession(
  userId: string,
  item: Pick<Content, 'id' | 'priceCents' | 'currency'>,
  overrides: Record<string, unknown> = {},
) {
  seq += 1;
  const suffix = `${Date.now().toString(36)}${seq}${Math.random().toString(36).slice(2, 8)}`;
  return {
    id: `cs_test_${suffix}`,
    object: 'checkout.session',
    mode: 'payment',
    status: 'complete',
    payment_status: 'paid',
    amount_total: item.priceCents,
    currency: item.currency,
    client_reference_id: userId,
    customer_details: { email: 'buyer@example.com', name: 'Buyer' },
    payment_intent: `pi_test_${suffix}`,
    metadata: { userId, contentId: item.id, amountCents: String(item.priceCents), currency: item.currency },
    ...overrides,
  };
}

/** A fully refunded charge of a payment intent. */
export function refundedCharge(paymentIntent: string, amount: number, overrides: Record<string, unknown> = {}) {
  seq += 1;
  return {
    id: `ch_test_${Date.now().toString(36)}${seq}`,
    object: 'charge',
    payment_intent: paymentIntent,
    amount,
    amount_refunded: amount,
    refunded: true,
    currency: 'usd',
    ...overrides,
  };
}

export interface Delivery {
  payload: string;
  signature?: string | undefined;
  ip?: string;
  contentType?: string;
}

/** Signs `payload` with `secret` (Stripe's scheme, via the SDK's test helper). */
export function sign(payload: string, secret: string, timestamp?: number) {
  return signWebhookPayload(payload, secret, timestamp);
}

let ipSeq = 0;
export function nextIp() {
  ipSeq += 1;
  return `10.77.${(ipSeq >> 8) & 255}.${ipSeq & 255}`;
}

export function webhookInit(d: Delivery): RequestInit {
  return {
    method: 'POST',
    headers: {
      'content-type': d.contentType ?? 'application/json; charset=utf-8',
      'cf-connecting-ip': d.ip ?? nextIp(),
      ...(d.signature !== undefined ? { 'stripe-signature': d.signature } : {}),
    },
    body: d.payload,
  };
}

/** Sends a webhook delivery to the ecom worker, signed with that endpoint's secret unless `signature` is given. */
export async function deliver(
  platform: LocalPlatform,
  endpoint: WebhookEndpoint,
  payload: string,
  options: {
    signature?: string;
    omitSignature?: boolean;
    ip?: string;
    contentType?: string;
    env?: Record<string, unknown>;
  } = {},
) {
  const signature = options.omitSignature
    ? undefined
    : (options.signature ?? (await sign(payload, WEBHOOK_SECRETS[endpoint])));
  const init = webhookInit({
    payload,
    signature,
    ...(options.ip ? { ip: options.ip } : {}),
    ...(options.contentType ? { contentType: options.contentType } : {}),
  });
  if (options.env) {
    const req = new Request(`http://localhost:42072/webhooks/stripe/${endpoint}`, init);
    return ecomApp.fetch(req, platform.envFor('ecom-api', options.env));
  }
  return platform.request('ecom-api', `/webhooks/stripe/${endpoint}`, init);
}
