import {
  StripeChargeObjectSchema,
  StripeCheckoutSessionObjectSchema,
  type StripeEventEnvelope,
  UUID_PATTERN,
  type WebhookEndpoint,
} from '@codex/contract';
import {
  content,
  contentAccess,
  type Database,
  PG_ERROR,
  pgErrorCode,
  purchases,
  type Transaction,
  users,
  webhookEvents,
} from '@codex/database';
import { and, eq, isNotNull, isNull, lte, ne, or, sql } from 'drizzle-orm';
import { PermanentWebhookError } from './errors';

export type WebhookStatus = 'processed' | 'ignored' | 'failed';

export interface WebhookOutcome {
  duplicate: boolean;
  status: WebhookStatus;
  /** For failed events: `CODE: message` as stored in webhook_events.error. */
  error?: string;
}

export interface WebhookOptions {
  /** Production refuses test-mode events (livemode false): they are logged as ignored. */
  production: boolean;
}

type Effect = (tx: Transaction, event: StripeEventEnvelope) => Promise<Exclude<WebhookStatus, 'failed'>>;

const UUID = new RegExp(UUID_PATTERN);
const isUuid = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);

/** What each endpoint does per event type; anything else is logged as ignored. */
const HANDLERS: Record<WebhookEndpoint, Record<string, Effect>> = {
  booking: {
    'checkout.session.completed': (tx, e) => settleCheckout(tx, e),
    'checkout.session.async_payment_succeeded': (tx, e) => settleCheckout(tx, e),
    'checkout.session.async_payment_failed': (tx, e) => abandonCheckout(tx, e),
    'checkout.session.expired': (tx, e) => abandonCheckout(tx, e),
  },
  payment: {
    'charge.refunded': (tx, e) => refundCharge(tx, e),
  },
  subscription: {},
  customer: {},
  connect: {},
  dispute: {},
};

/** The part of an event kept in webhook_events.payload: identifiers only, no customer data. */
function summary(event: StripeEventEnvelope) {
  const object = event.data.object as { id?: unknown; object?: unknown };
  return {
    id: event.id,
    type: event.type,
    created: event.created,
    livemode: event.livemode,
    apiVersion: event.api_version ?? null,
    object: { id: typeof object.id === 'string' ? object.id : null, object: object.object },
  };
}

/** Integrity and data errors (SQLSTATE classes 22, 23): the event's data can never be stored as it is. */
function isDataError(e: unknown) {
  const code = pgErrorCode(e);
  return Boolean(code && (code.startsWith('22') || code.startsWith('23')) && code !== PG_ERROR.SERIALIZATION_FAILURE);
}

/**
 * Handles one verified event exactly once.
 *
 * One transaction: insert the webhook_events row (the unique index on the Stripe event id decides: a concurrent
 * delivery of the same event waits on the index entry and then finds it taken), apply the effect inside a
 * savepoint, record the outcome. A transient failure (database unreachable, serialization) rolls everything back,
 * including the webhook_events row, and is thrown for the caller to answer 5xx so that Stripe retries. A
 * permanent failure rolls back the effect only and is recorded as failed (and acknowledged).
 */
export async function handleWebhookEvent(
  db: Database,
  endpoint: WebhookEndpoint,
  event: StripeEventEnvelope,
  options: WebhookOptions,
): Promise<WebhookOutcome> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .insert(webhookEvents)
      .values({ stripeEventId: event.id, type: event.type, endpoint, status: 'received', payload: summary(event) })
      .onConflictDoNothing({ target: webhookEvents.stripeEventId })
      .returning({ id: webhookEvents.id });
    if (!row) {
      const [existing] = await tx
        .select({ status: webhookEvents.status })
        .from(webhookEvents)
        .where(eq(webhookEvents.stripeEventId, event.id));
      const status = existing?.status === 'failed' || existing?.status === 'ignored' ? existing.status : 'processed';
      return { duplicate: true, status };
    }

    let status: WebhookStatus;
    let error: string | null = null;
    const handler = HANDLERS[endpoint][event.type];
    if (!handler || (options.production && !event.livemode)) {
      status = 'ignored';
    } else {
      try {
        status = await tx.transaction((sp) => handler(sp, event));
      } catch (e) {
        if (e instanceof PermanentWebhookError) error = `${e.code}: ${e.message}`;
        else if (isDataError(e)) error = `DATA_REJECTED: the database refused the event's data (${pgErrorCode(e)})`;
        else throw e;
        status = 'failed';
      }
    }
    await tx.update(webhookEvents).set({ status, error, processedAt: new Date() }).where(eq(webhookEvents.id, row.id));
    return error ? { duplicate: false, status, error } : { duplicate: false, status };
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Effects
// ---------------------------------------------------------------------------------------------------------------------

function checkoutObject(event: StripeEventEnvelope) {
  const parsed = StripeCheckoutSessionObjectSchema.safeParse(event.data.object);
  if (!parsed.success) throw new PermanentWebhookError('MALFORMED_OBJECT', 'data.object is not a checkout session');
  return parsed.data;
}

async function purchaseBySession(tx: Transaction, sessionId: string) {
  const [row] = await tx.select().from(purchases).where(eq(purchases.stripeCheckoutSessionId, sessionId)).for('update');
  return row;
}

/**
 * Grants (or restores) purchase access. An active access row is left alone (it may come from an earlier purchase,
 * a grant or ownership); a revoked or expired one is re-pointed at this purchase.
 */
async function grantAccess(tx: Transaction, userId: string, contentId: string, purchaseId: string) {
  await tx
    .insert(contentAccess)
    .values({ userId, contentId, accessType: 'purchase', purchaseId })
    .onConflictDoUpdate({
      target: [contentAccess.userId, contentAccess.contentId],
      set: { accessType: 'purchase', purchaseId, revokedAt: null, expiresAt: null, createdAt: sql`now()` },
      setWhere: or(
        isNotNull(contentAccess.revokedAt),
        and(isNotNull(contentAccess.expiresAt), lte(contentAccess.expiresAt, sql`now()`)),
      ),
    });
}

/**
 * checkout.session.completed / async_payment_succeeded: records the purchase (unique on the Checkout Session id)
 * and, once paid, completes it and grants access — in the caller's transaction.
 */
async function settleCheckout(tx: Transaction, event: StripeEventEnvelope): Promise<'processed' | 'ignored'> {
  const session = checkoutObject(event);
  if (session.mode !== 'payment') return 'ignored';
  const userId = session.metadata?.userId;
  const contentId = session.metadata?.contentId;
  if (!isUuid(userId) || !isUuid(contentId)) {
    throw new PermanentWebhookError('MISSING_METADATA', 'The session carries no valid userId/contentId metadata');
  }
  const buyerId = userId.toLowerCase();
  const itemId = contentId.toLowerCase();
  if (session.client_reference_id && session.client_reference_id !== buyerId) {
    throw new PermanentWebhookError('METADATA_MISMATCH', 'client_reference_id and metadata.userId differ');
  }
  const [user] = await tx.select({ id: users.id }).from(users).where(eq(users.id, buyerId));
  if (!user) throw new PermanentWebhookError('UNKNOWN_USER', 'The buyer does not exist');
  const [item] = await tx
    .select({ id: content.id, priceCents: content.priceCents, currency: content.currency })
    .from(content)
    .where(eq(content.id, itemId));
  if (!item) throw new PermanentWebhookError('UNKNOWN_CONTENT', 'The content does not exist');
  if (session.amount_total === null || !session.currency) {
    throw new PermanentWebhookError('AMOUNT_MISMATCH', 'The session has no amount');
  }
  const paidCurrency = session.currency.toLowerCase();
  const paid = session.payment_status === 'paid';
  const paymentIntent = session.payment_intent ?? null;

  let purchase = await purchaseBySession(tx, session.id);
  if (!purchase) {
    // No attempt recorded (e.g. the checkout's own insert failed): expect the price asked for, else today's price.
    const expectedAmount = Number(session.metadata?.amountCents ?? item.priceCents);
    const expectedCurrency = (session.metadata?.currency ?? item.currency).toLowerCase();
    if (session.amount_total !== expectedAmount || paidCurrency !== expectedCurrency) {
      throw new PermanentWebhookError('AMOUNT_MISMATCH', 'The amount paid is not the price asked');
    }
    await tx
      .insert(purchases)
      .values({
        userId: buyerId,
        contentId: itemId,
        amountCents: session.amount_total,
        currency: paidCurrency,
        status: 'pending',
        stripeCheckoutSessionId: session.id,
      })
      .onConflictDoNothing({ target: purchases.stripeCheckoutSessionId });
    purchase = await purchaseBySession(tx, session.id);
    if (!purchase) throw new Error('purchase row vanished');
  }
  if (purchase.userId !== buyerId || purchase.contentId !== itemId) {
    throw new PermanentWebhookError('METADATA_MISMATCH', 'The session metadata does not match the recorded checkout');
  }
  if (purchase.amountCents !== session.amount_total || purchase.currency.toLowerCase() !== paidCurrency) {
    throw new PermanentWebhookError('AMOUNT_MISMATCH', 'The amount paid is not the price asked');
  }
  if (!paid) return 'processed'; // awaiting an asynchronous payment: the purchase stays pending.
  if (purchase.status === 'refunded') return 'ignored';
  if (purchase.status !== 'completed') {
    await tx
      .update(purchases)
      .set({
        status: 'completed',
        stripePaymentIntentId: purchase.stripePaymentIntentId ?? paymentIntent,
        updatedAt: new Date(),
      })
      .where(eq(purchases.id, purchase.id));
  }
  await grantAccess(tx, buyerId, itemId, purchase.id);
  return 'processed';
}

/** checkout.session.expired / async_payment_failed: a pending attempt becomes failed; nothing else changes. */
async function abandonCheckout(tx: Transaction, event: StripeEventEnvelope): Promise<'processed' | 'ignored'> {
  const session = checkoutObject(event);
  const updated = await tx
    .update(purchases)
    .set({ status: 'failed', updatedAt: new Date() })
    .where(and(eq(purchases.stripeCheckoutSessionId, session.id), eq(purchases.status, 'pending')))
    .returning({ id: purchases.id });
  return updated.length > 0 ? 'processed' : 'ignored';
}

/**
 * charge.refunded: a full refund marks the purchase refunded and revokes the access it granted — unless another
 * completed purchase of the same content by the same user exists, in which case access moves to that one.
 * A partial refund changes nothing (logged as ignored).
 */
async function refundCharge(tx: Transaction, event: StripeEventEnvelope): Promise<'processed' | 'ignored'> {
  const parsed = StripeChargeObjectSchema.safeParse(event.data.object);
  if (!parsed.success) throw new PermanentWebhookError('MALFORMED_OBJECT', 'data.object is not a charge');
  const charge = parsed.data;
  if (!charge.payment_intent) throw new PermanentWebhookError('UNKNOWN_PAYMENT', 'The charge names no payment intent');
  if (!charge.refunded && charge.amount_refunded < charge.amount) return 'ignored';
  const [purchase] = await tx
    .select()
    .from(purchases)
    .where(eq(purchases.stripePaymentIntentId, charge.payment_intent))
    .for('update');
  if (!purchase) throw new PermanentWebhookError('UNKNOWN_PAYMENT', 'No purchase has this payment intent');
  if (purchase.status === 'refunded') return 'processed';
  const now = new Date();
  await tx
    .update(purchases)
    .set({ status: 'refunded', refundedAt: now, updatedAt: now })
    .where(eq(purchases.id, purchase.id));
  const [other] = await tx
    .select({ id: purchases.id })
    .from(purchases)
    .where(
      and(
        eq(purchases.userId, purchase.userId),
        eq(purchases.contentId, purchase.contentId),
        eq(purchases.status, 'completed'),
        ne(purchases.id, purchase.id),
      ),
    )
    .limit(1);
  await tx
    .update(contentAccess)
    .set(other ? { purchaseId: other.id } : { revokedAt: now })
    .where(and(eq(contentAccess.purchaseId, purchase.id), isNull(contentAccess.revokedAt)));
  return 'processed';
}
