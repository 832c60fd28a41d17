/**
 * The whole Codex product flow through @codex/client, as an integrator writes it: compiled with `strict`,
 * `noUncheckedIndexedAccess` and `exactOptionalPropertyTypes`, and without a single cast.
 *
 * A creator registers, founds an organization, uploads a video through the signed upload URL, describes it as
 * content sold for $4.99 and publishes it; lists the catalogue page by page and signs out. A buyer registers, is
 * refused the stream, checks out, Stripe confirms the payment on the booking webhook, and the buyer range-reads the
 * video through the signed streaming URL and saves playback progress.
 *
 * Runtime-neutral: the same module runs in Node (main.ts), in a browser page and in a Cloudflare Worker (the
 * client's own package tests run it from the packed package in all three). Stripe's part — signing and delivering
 * the webhook — is passed in, because it is Stripe's, not the integrator's.
 */
import {
  type CodexClient,
  type CodexClientOptions,
  type components,
  createCodexClient,
  PermissionDeniedError,
} from '@codex/client';

export type StripeEvent = components['schemas']['StripeEvent'];
export type WebhookReceived = components['schemas']['WebhookReceived'];

export interface FlowOptions {
  /** The four workers' base URLs (and any other client option: fetch, retries, logger …). */
  client: CodexClientOptions;
  /** Plays Stripe: delivers a signed event to the booking webhook and returns the worker's answer. */
  deliverWebhook: (event: StripeEvent) => Promise<WebhookReceived>;
  /** Where checkout may send the buyer back to (an origin in the ecom worker's CHECKOUT_REDIRECT_ORIGINS). */
  redirectOrigin?: string;
  /** Size of the uploaded file in bytes (default 64 KiB). */
  fileSize?: number;
  /** One line per step (default: nothing). */
  log?: (line: string) => void;
}

export interface FlowSummary {
  creatorId: string;
  buyerId: string;
  organizationId: string;
  mediaId: string;
  contentId: string;
  checkoutSessionId: string;
  webhook: WebhookReceived;
  /** Items seen by iterating the creator's catalogue with one item per page. */
  listed: number;
  pagesRead: number;
  rangeRead: { start: number; end: number; size: number | undefined; bytesMatch: boolean };
  progressSeconds: number;
}

const PRICE_CENTS = 499;

/** Deterministic bytes: byte i is i mod 251, so any range can be checked. */
export function fileBytes(size: number): Uint8Array<ArrayBuffer> {
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 1) bytes[i] = i % 251;
  return bytes;
}

const unique = () => `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;

/** Delivers a Stripe event with the client, signed by `sign` (the Stripe SDK's test-header helper). */
export function signedWebhook(
  client: CodexClient,
  sign: (payload: string) => Promise<string>,
): (event: StripeEvent) => Promise<WebhookReceived> {
  return async (event) => {
    // The client sends JSON.stringify(body): the signature covers exactly those bytes.
    const signature = await sign(JSON.stringify(event));
    const { data, error } = await client.POST('/webhooks/stripe/booking', {
      body: event,
      headers: { 'stripe-signature': signature },
    });
    if (error) throw error;
    return data;
  };
}

/** The checkout.session.completed event Stripe sends once the buyer has paid. */
export function checkoutCompleted(sessionId: string, buyerId: string, contentId: string): StripeEvent {
  const suffix = sessionId.replace(/^cs_(test|live)_/, '');
  return {
    id: `evt_test_completed_${suffix}`,
    object: 'event',
    type: 'checkout.session.completed',
    api_version: null,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    data: {
      object: {
        id: sessionId,
        object: 'checkout.session',
        mode: 'payment',
        status: 'complete',
        payment_status: 'paid',
        amount_total: PRICE_CENTS,
        currency: 'usd',
        client_reference_id: buyerId,
        payment_intent: `pi_test_${suffix}`,
        metadata: { userId: buyerId, contentId, amountCents: String(PRICE_CENTS), currency: 'usd' },
      },
    },
  };
}

export async function runFlow(options: FlowOptions): Promise<FlowSummary> {
  const log = options.log ?? (() => undefined);
  const redirect = options.redirectOrigin ?? 'http://localhost:5173';
  const file = fileBytes(options.fileSize ?? 64 * 1024);
  const id = unique();

  // ── The creator ────────────────────────────────────────────────────────────────────────────────────────────
  const creator = createCodexClient(options.client);
  const registered = await creator.POST('/api/auth/email/register', {
    body: { email: `creator-${id}@example.test`, password: 'Sup3r-secret-pass', name: 'Cora Creator' },
  });
  if (registered.error) throw registered.error;
  const creatorId = registered.data.user.id;
  log(`registered creator ${creatorId} (cookies: ${creator.cookies})`);

  const org = await creator.POST('/api/organizations', { body: { name: `Studio ${id}`, slug: `studio-${id}` } });
  if (org.error) throw org.error;
  const organizationId = org.data.id;
  log(`organization ${org.data.slug}, my role ${org.data.myRole}`);

  const media = await creator.POST('/api/media', {
    body: {
      title: 'The Pilot (master)',
      mediaType: 'video',
      mimeType: 'video/mp4',
      fileSizeBytes: file.byteLength,
      organizationId,
    },
  });
  if (media.error) throw media.error;
  const mediaId = media.data.media.id;

  // The signed upload URL, exactly as returned: its URL, method and headers.
  const uploaded = await creator.upload(media.data.upload, new Blob([file], { type: 'video/mp4' }));
  if (uploaded.error) throw uploaded.error;
  log(`uploaded ${file.byteLength} bytes, media ${uploaded.data.status}`);

  // The transcoder reports back.
  const ready = await creator.PATCH('/api/media/{id}', {
    params: { path: { id: mediaId } },
    body: { status: 'ready', durationSeconds: 42, width: 1280, height: 720, hlsMasterKey: 'hls/master.m3u8' },
  });
  if (ready.error) throw ready.error;

  // visibility has a default; here it is set, with the price it requires.
  const created = await creator.POST('/api/content', {
    body: {
      title: 'The Pilot',
      slug: `the-pilot-${id}`,
      contentType: 'video',
      mediaItemId: mediaId,
      visibility: 'purchased_only',
      priceCents: PRICE_CENTS,
      organizationId,
    },
  });
  if (created.error) throw created.error;
  const contentId = created.data.id;

  const published = await creator.POST('/api/content/{id}/publish', { params: { path: { id: contentId } } });
  if (published.error) throw published.error;
  log(`content ${contentId} ${published.data.status} at ${published.data.publishedAt ?? '?'}`);

  // A second, free item on the same video, so that the catalogue has two pages of one.
  const extra = await creator.POST('/api/content', {
    body: { title: 'Trailer', slug: `trailer-${id}`, contentType: 'video', mediaItemId: mediaId, organizationId },
  });
  if (extra.error) throw extra.error;
  const bonus = await creator.POST('/api/content/{id}/publish', { params: { path: { id: extra.data.id } } });
  if (bonus.error) throw bonus.error;

  let listed = 0;
  for await (const item of creator.paginate('/api/content/{creatorId}/list', {
    params: { path: { creatorId }, query: { limit: 1, status: 'published' } },
  })) {
    listed += 1;
    log(`  catalogue item ${listed}: ${item.title}`);
  }
  let pagesRead = 0;
  for await (const page of creator
    .paginate('/api/content/{creatorId}/list', { params: { path: { creatorId }, query: { limit: 1 } } })
    .pages()) {
    pagesRead += 1;
    if (page.pagination.page !== pagesRead) throw new Error(`page ${page.pagination.page} came as ${pagesRead}`);
  }

  const out = await creator.POST('/api/auth/signout');
  if (out.error) throw out.error;

  // ── The buyer ──────────────────────────────────────────────────────────────────────────────────────────────
  const buyer = createCodexClient(options.client);
  const buyerReg = await buyer.POST('/api/auth/email/register', {
    body: { email: `buyer-${id}@example.test`, password: 'Sup3r-secret-pass', name: 'Bea Buyer' },
  });
  if (buyerReg.error) throw buyerReg.error;
  const buyerId = buyerReg.data.user.id;

  const refused = await buyer.GET('/api/access/streaming-url/{contentId}', { params: { path: { contentId } } });
  if (!(refused.error instanceof PermissionDeniedError)) {
    throw new Error(`the stream should be refused before the purchase, got ${refused.response.status}`);
  }
  log(`before paying: ${refused.error.status} ${refused.error.code}`);

  const checkout = await buyer.POST('/checkout/create', {
    body: {
      contentId,
      successUrl: `${redirect}/ok?session_id={CHECKOUT_SESSION_ID}`,
      cancelUrl: `${redirect}/cancel`,
    },
  });
  if (checkout.error) throw checkout.error;
  const checkoutSessionId = checkout.data.sessionId;
  log(`checkout ${checkoutSessionId}`);

  const webhook = await options.deliverWebhook(checkoutCompleted(checkoutSessionId, buyerId, contentId));
  log(`webhook: ${webhook.status}${webhook.duplicate ? ' (duplicate)' : ''}`);

  const access = await buyer.GET('/api/access/streaming-url/{contentId}', { params: { path: { contentId } } });
  if (access.error) throw access.error;

  // The signed streaming URL, exactly as returned, read in part.
  const start = 1000;
  const end = 1999;
  const chunk = await buyer.stream(access.data.streamingUrl, { range: { start, end } });
  if (chunk.error) throw chunk.error;
  const got = new Uint8Array(await new Response(chunk.data).arrayBuffer());
  const want = file.subarray(start, end + 1);
  const bytesMatch = got.length === want.length && got.every((b, i) => b === want[i]);
  const range = chunk.contentRange;
  log(
    `streamed ${got.length} bytes (${chunk.response.status}), Content-Range ${range ? `${range.start}-${range.end}/${range.size}` : 'unreadable'}`,
  );

  const saved = await buyer.POST('/api/access/playback-progress/{contentId}', {
    params: { path: { contentId } },
    body: { positionSeconds: 12, durationSeconds: 42, completed: false },
  });
  if (saved.error) throw saved.error;
  const progress = await buyer.GET('/api/access/playback-progress/{contentId}', { params: { path: { contentId } } });
  if (progress.error) throw progress.error;

  const signedOut = await buyer.POST('/api/auth/signout');
  if (signedOut.error) throw signedOut.error;
  const after = await buyer.GET('/api/auth/session');
  if (after.error?.status !== 401) throw new Error(`the session should be gone, got ${after.response.status}`);

  return {
    creatorId,
    buyerId,
    organizationId,
    mediaId,
    contentId,
    checkoutSessionId,
    webhook,
    listed,
    pagesRead,
    rangeRead: { start: range?.start ?? start, end: range?.end ?? end, size: range?.size, bytesMatch },
    progressSeconds: progress.data.positionSeconds,
  };
}
