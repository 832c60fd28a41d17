import type { CheckoutSessionView, CreateCheckoutSessionInput } from '@codex/contract';
import { content, contentAccess, type Database, purchases } from '@codex/database';
import { DomainError } from '@codex/domain';
import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type Stripe from 'stripe';
import { withDatabase } from './errors';
import { isStripeError } from './stripe';

/** Why content cannot be bought; reported in the 422 details. */
export type NotPurchasableReason = 'deleted' | 'not_published' | 'own_content' | 'free' | 'members_only';

const REASON_TEXT: Record<NotPurchasableReason, string> = {
  deleted: 'This content has been deleted',
  not_published: 'This content is not published',
  own_content: 'You cannot buy your own content',
  free: 'This content is free: there is nothing to buy',
  members_only: 'This content is for organization members and is not sold',
};

/** Idempotency keys are stable for this long: a double click within the window gets the same Checkout Session. */
const IDEMPOTENCY_WINDOW_MS = 10 * 60 * 1000;

/** Parses CHECKOUT_REDIRECT_ORIGINS (comma-separated origins) into normalized origins. */
export function parseRedirectOrigins(value: string | undefined): string[] {
  const out: string[] = [];
  for (const raw of (value ?? '').split(',')) {
    const s = raw.trim();
    if (!s) continue;
    try {
      const origin = new URL(s).origin;
      if (origin !== 'null') out.push(origin);
    } catch {
      // A malformed entry allows nothing.
    }
  }
  return out;
}

async function sha256Hex(value: string) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export interface Buyer {
  id: string;
  email: string;
}

/**
 * Stripe Checkout for purchased_only content. The price and currency come from the content row, never from the
 * client; the redirect URLs must point at an allowed origin (no open redirect). A pending purchase row records the
 * attempt, so that the webhook can check that what Stripe charged is what we asked for.
 */
export class CheckoutService {
  constructor(
    private readonly db: Database,
    private readonly stripe: () => Stripe,
    private readonly redirectOrigins: string[],
  ) {}

  private checkRedirects(input: CreateCheckoutSessionInput) {
    const refused = (['successUrl', 'cancelUrl'] as const).filter(
      (field) => !this.redirectOrigins.includes(new URL(input[field]).origin),
    );
    if (refused.length > 0) {
      throw new DomainError(
        'REDIRECT_URL_NOT_ALLOWED',
        'Redirect URLs must point at an allowed origin',
        refused.map((field) => ({ field })),
      );
    }
  }

  async create(buyer: Buyer, input: CreateCheckoutSessionInput): Promise<CheckoutSessionView> {
    this.checkRedirects(input);
    const item = await withDatabase(async () => {
      const [row] = await this.db
        .select({
          id: content.id,
          title: content.title,
          creatorId: content.creatorId,
          visibility: content.visibility,
          status: content.status,
          priceCents: content.priceCents,
          currency: content.currency,
          deletedAt: content.deletedAt,
        })
        .from(content)
        .where(eq(content.id, input.contentId))
        .limit(1);
      if (!row) throw new DomainError('CONTENT_NOT_FOUND', 'Content not found');
      const reason: NotPurchasableReason | null = row.deletedAt
        ? 'deleted'
        : row.status !== 'published'
          ? 'not_published'
          : row.creatorId === buyer.id
            ? 'own_content'
            : row.visibility === 'members_only'
              ? 'members_only'
              : row.visibility !== 'purchased_only' || !row.priceCents || row.priceCents <= 0
                ? 'free'
                : null;
      if (reason) throw new DomainError('CONTENT_NOT_PURCHASABLE', REASON_TEXT[reason], { reason });
      const [access] = await this.db
        .select({ id: contentAccess.id })
        .from(contentAccess)
        .where(
          and(
            eq(contentAccess.userId, buyer.id),
            eq(contentAccess.contentId, row.id),
            isNull(contentAccess.revokedAt),
            or(isNull(contentAccess.expiresAt), gt(contentAccess.expiresAt, new Date())),
          ),
        )
        .limit(1);
      if (access) throw new DomainError('ALREADY_HAS_ACCESS', 'You already have access to this content');
      return { ...row, priceCents: row.priceCents as number, currency: row.currency.toLowerCase() };
    });

    const metadata = {
      userId: buyer.id,
      contentId: item.id,
      amountCents: String(item.priceCents),
      currency: item.currency,
    };
    const idempotencyKey = `checkout-${await sha256Hex(
      JSON.stringify([buyer.id, item.id, item.priceCents, item.currency, input.successUrl, input.cancelUrl]),
    )}-${Math.floor(Date.now() / IDEMPOTENCY_WINDOW_MS)}`;

    const params: Stripe.Checkout.SessionCreateParams = {
      mode: 'payment',
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: item.currency,
            unit_amount: item.priceCents,
            product_data: { name: item.title, metadata: { contentId: item.id } },
          },
        },
      ],
      success_url: input.successUrl,
      cancel_url: input.cancelUrl,
      client_reference_id: buyer.id,
      customer_email: buyer.email,
      metadata,
      payment_intent_data: { metadata },
    };
    // Inside the window a key returns the session it returned before — which may since have been paid (and
    // refunded) or have expired. Such a session is never handed out again: a key derived from it opens a new one
    // (the same new one for every retry, so a double click after a refund still gets one session; a chain, for
    // a buyer who buys and is refunded more than once within the window).
    let key = idempotencyKey;
    let session = await this.openSession(params, key);
    for (let hops = 0; hops < 20 && (await this.settled(session.id)); hops++) {
      key = `${idempotencyKey}-after-${session.id}`;
      session = await this.openSession(params, key);
    }

    // The same idempotency key returns the same session: the second insert is a no-op.
    await withDatabase(() =>
      this.db
        .insert(purchases)
        .values({
          userId: buyer.id,
          contentId: item.id,
          amountCents: item.priceCents,
          currency: item.currency,
          status: 'pending',
          stripeCheckoutSessionId: session.id,
        })
        .onConflictDoNothing({ target: purchases.stripeCheckoutSessionId }),
    );
    return { sessionId: session.id, checkoutUrl: session.url };
  }

  /** Whether a checkout session of ours is no longer open for payment (paid, refunded, failed or expired). */
  private async settled(sessionId: string) {
    const [row] = await withDatabase(() =>
      this.db
        .select({ status: purchases.status })
        .from(purchases)
        .where(eq(purchases.stripeCheckoutSessionId, sessionId))
        .limit(1),
    );
    return row !== undefined && row.status !== 'pending';
  }

  private async openSession(params: Stripe.Checkout.SessionCreateParams, idempotencyKey: string) {
    let session: Stripe.Checkout.Session;
    try {
      session = await this.stripe().checkout.sessions.create(params, { idempotencyKey });
    } catch (e) {
      if (isStripeError(e)) {
        throw new DomainError('PAYMENT_PROVIDER_UNAVAILABLE', 'The payment provider is unavailable, retry shortly');
      }
      throw e;
    }
    if (!session.id || !session.url) {
      throw new DomainError('PAYMENT_PROVIDER_UNAVAILABLE', 'The payment provider returned no checkout URL');
    }
    return session as Stripe.Checkout.Session & { url: string };
  }
}
