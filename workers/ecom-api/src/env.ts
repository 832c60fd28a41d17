import type { StripeEnv } from '@codex/purchase';
import type { AppBindings } from '@codex/worker-kit';

/** The ecom worker's bindings: the platform's, plus Stripe's secrets and the checkout redirect allow-list. */
export interface EcomBindings extends AppBindings, StripeEnv {
  /** Comma-separated origins Checkout may redirect to (success and cancel URLs), e.g. `https://codex.revelations.studio`. */
  CHECKOUT_REDIRECT_ORIGINS?: string;
  /** Signing secret (whsec_…) of each webhook endpoint configured in Stripe. */
  STRIPE_WEBHOOK_SECRET_BOOKING?: string;
  STRIPE_WEBHOOK_SECRET_PAYMENT?: string;
  STRIPE_WEBHOOK_SECRET_SUBSCRIPTION?: string;
  STRIPE_WEBHOOK_SECRET_CUSTOMER?: string;
  STRIPE_WEBHOOK_SECRET_CONNECT?: string;
  STRIPE_WEBHOOK_SECRET_DISPUTE?: string;
}
