/**
 * Runs the full product flow (./flow.ts) against running workers — by default `npm run dev` on this machine:
 *
 *   npm run dev                                   # in one terminal
 *   npm run example:full-flow                     # in another (tsx --conditions=codex-source examples/full-flow/main.ts)
 *
 * Env: CODEX_AUTH_URL, CODEX_CONTENT_URL, CODEX_IDENTITY_URL, CODEX_ECOM_URL (default: the dev ports);
 * STRIPE_WEBHOOK_SECRET_BOOKING (default: the development secret `npm run dev` gives the booking endpoint);
 * CODEX_STRIPE_LIVEMODE=1 sends the event as a live-mode event (`npm run preview` runs ENVIRONMENT=production, which
 * ignores test-mode events as production must).
 * Plays Stripe's part with the Stripe SDK: the checkout.session.completed event is signed with
 * generateTestHeaderStringAsync and delivered to the booking webhook. Under a tight rate limit
 * (RATE_LIMITS="api=20/60" npm run dev) the client's retries wait out each 429's Retry-After.
 * Prints one line per step and the summary as JSON; exits 1 on the first failure.
 */
import { type CodexClientOptions, createCodexClient } from '@codex/client';
import Stripe from 'stripe';
import { runFlow, signedWebhook } from './flow';

const env = (name: string, fallback: string) => process.env[name] || fallback;

const client: CodexClientOptions = {
  baseUrls: {
    auth: env('CODEX_AUTH_URL', 'http://localhost:42069'),
    content: env('CODEX_CONTENT_URL', 'http://localhost:4001'),
    identity: env('CODEX_IDENTITY_URL', 'http://localhost:42071'),
    ecom: env('CODEX_ECOM_URL', 'http://localhost:42072'),
  },
  logger: console,
  logLevel: 'info',
};

const secret = env('STRIPE_WEBHOOK_SECRET_BOOKING', 'whsec_codex_dev_booking_local_only');
const livemode = env('CODEX_STRIPE_LIVEMODE', '') === '1';
const cryptoProvider = Stripe.createSubtleCryptoProvider();
const stripe = createCodexClient({ baseUrls: client.baseUrls });

const started = Date.now();
try {
  const summary = await runFlow({
    client,
    deliverWebhook: (event) =>
      signedWebhook(stripe, (payload) =>
        Stripe.webhooks.generateTestHeaderStringAsync({ payload, secret, cryptoProvider }),
      )(livemode ? { ...event, livemode: true } : event),
    log: (line) => console.log(line),
  });
  console.log(JSON.stringify({ ok: true, ms: Date.now() - started, summary }, null, 2));
} catch (error) {
  console.error('full flow failed:', error);
  process.exitCode = 1;
}
