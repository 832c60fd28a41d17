/**
 * `npm run stripe:event -- --session cs_test_…` — plays Stripe's part after a checkout, against `npm run dev`:
 * builds the checkout.session.completed event for that Checkout Session (or charge.refunded with --refund), signs it
 * with the endpoint's webhook secret (Stripe's scheme, via the SDK's generateTestHeaderStringAsync) and POSTs it to
 * the ecom worker's booking (or payment) webhook, printing each answer.
 *
 * The session's facts (buyer, content, amount, currency) are read back from the Stripe API — the local stand-in
 * that `npm run dev` starts, or api.stripe.com when STRIPE_SECRET_KEY is set — with the SDK's
 * checkout.sessions.retrieve. Give --user, --content and --amount (and --currency) to skip the look-up.
 *
 * The event id is derived from the session id, so running the command again redelivers the same event, as Stripe
 * retries do (the worker answers `duplicate: true`); --new-event sends a different event about the same checkout.
 * --times N repeats the delivery, --concurrent sends the N deliveries at once.
 *
 * Env: ECOM_URL (default http://localhost:42072), STRIPE_LOCAL_PORT (default 12111), STRIPE_SECRET_KEY,
 * STRIPE_WEBHOOK_SECRET_BOOKING / _PAYMENT (default: the development secrets `npm run dev` uses).
 */
import { parseArgs } from 'node:util';
import Stripe from 'stripe';
import { ECOM_URL, LOCAL_STRIPE_PORT, LOCAL_STRIPE_SECRET_KEY, webhookSecret } from './config';
import { buildEvent, type CheckoutFacts, type DeliveryResult, deliverEvent } from './events';

const USAGE = `Usage: npm run stripe:event -- --session <cs_…> [options]

  --session <id>      the Checkout Session id returned by POST /checkout/create (sessionId)
  --refund            send charge.refunded (a full refund) to /webhooks/stripe/payment instead of
                      checkout.session.completed to /webhooks/stripe/booking
  --times <n>         deliver the event n times (default 1)
  --concurrent        deliver the n copies at once instead of one after another
  --new-event         a new event id (default: the same id every run, i.e. a redelivery)
  --user <uuid>       with --content and --amount: don't look the session up, use these facts
  --content <uuid>
  --amount <cents>
  --currency <code>   default usd
  --url <base>        the ecom worker (default ${ECOM_URL})

Examples:
  npm run stripe:event -- --session cs_test_abc123
  npm run stripe:event -- --session cs_test_abc123 --times 20 --concurrent
  npm run stripe:event -- --session cs_test_abc123 --refund`;

function fail(message: string): never {
  console.error(`stripe:event: ${message}\n\n${USAGE}`);
  process.exit(2);
}

async function lookUp(sessionId: string): Promise<CheckoutFacts> {
  const realKey = process.env.STRIPE_SECRET_KEY;
  const stripe = new Stripe(realKey || LOCAL_STRIPE_SECRET_KEY, {
    httpClient: Stripe.createFetchHttpClient(),
    maxNetworkRetries: 0,
    timeout: 10_000,
    telemetry: false,
    ...(realKey ? {} : { host: '127.0.0.1', port: LOCAL_STRIPE_PORT, protocol: 'http' as const }),
  });
  const where = realKey
    ? 'the Stripe API (STRIPE_SECRET_KEY is set)'
    : `the local Stripe stand-in on :${LOCAL_STRIPE_PORT}`;
  let session: Stripe.Checkout.Session;
  try {
    session = await stripe.checkout.sessions.retrieve(sessionId);
  } catch (e) {
    const why = e instanceof Stripe.errors.StripeError ? e.message : e instanceof Error ? e.message : String(e);
    fail(
      `could not read session ${sessionId} from ${where}: ${why}\n` +
        'Is `npm run dev` running? Otherwise pass --user, --content and --amount.',
    );
  }
  const userId = session.metadata?.userId ?? session.client_reference_id;
  const contentId = session.metadata?.contentId;
  if (!userId || !contentId || session.amount_total === null || !session.currency) {
    fail(`session ${sessionId} carries no userId/contentId metadata or amount: it was not created by ecom-api`);
  }
  return {
    sessionId,
    userId,
    contentId,
    amountCents: session.amount_total,
    currency: session.currency,
    customerEmail: session.customer_email,
    successUrl: session.success_url,
    cancelUrl: session.cancel_url,
  };
}

function parseCli() {
  return parseArgs({
    options: {
      session: { type: 'string' },
      refund: { type: 'boolean', default: false },
      times: { type: 'string', default: '1' },
      concurrent: { type: 'boolean', default: false },
      'new-event': { type: 'boolean', default: false },
      user: { type: 'string' },
      content: { type: 'string' },
      amount: { type: 'string' },
      currency: { type: 'string', default: 'usd' },
      url: { type: 'string', default: ECOM_URL },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
}

async function main() {
  let args: ReturnType<typeof parseCli>;
  try {
    args = parseCli();
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e));
  }
  const v = args.values;
  if (v.help) {
    console.log(USAGE);
    return;
  }
  if (!v.session || !/^cs_(test|live)_[A-Za-z0-9_]+$/.test(v.session)) fail('--session cs_test_… is required');
  const times = Number(v.times);
  if (!Number.isInteger(times) || times < 1 || times > 1000) fail('--times must be an integer from 1 to 1000');
  const explicit = [v.user, v.content, v.amount].filter((x) => x !== undefined).length;
  if (explicit > 0 && explicit < 3) fail('--user, --content and --amount go together');

  let facts: CheckoutFacts;
  if (explicit === 3) {
    const amount = Number(v.amount);
    if (!Number.isInteger(amount) || amount < 0) fail('--amount is an integer number of cents');
    facts = {
      sessionId: v.session,
      userId: v.user as string,
      contentId: v.content as string,
      amountCents: amount,
      currency: v.currency ?? 'usd',
    };
  } else {
    facts = await lookUp(v.session);
  }

  const event = buildEvent(v.refund ? 'refunded' : 'completed', facts, v['new-event']);
  const secret = webhookSecret(event.endpoint);
  const url = `${v.url}/webhooks/stripe/${event.endpoint}`;
  console.log(`${event.type} ${event.id}`);
  console.log(
    `  session ${facts.sessionId}: user ${facts.userId}, content ${facts.contentId}, ${facts.amountCents} ${facts.currency}`,
  );
  console.log(
    `  → POST ${url} ×${times}${times > 1 ? (v.concurrent ? ' (all at once)' : ' (one after another)') : ''}`,
  );

  const send = async (): Promise<DeliveryResult> => {
    try {
      return await deliverEvent(event, secret, v.url);
    } catch (e) {
      return { status: 0, body: `not delivered: ${e instanceof Error ? e.message : String(e)}` };
    }
  };
  const results: DeliveryResult[] = [];
  if (v.concurrent) {
    results.push(...(await Promise.all(Array.from({ length: times }, send))));
  } else {
    for (let i = 0; i < times; i++) results.push(await send());
  }

  if (times === 1) {
    const [r] = results;
    console.log(`  ← ${r?.status} ${JSON.stringify(r?.body)}`);
  } else {
    const tally = new Map<string, number>();
    for (const r of results) {
      const key = `${r.status} ${JSON.stringify(r.body)}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
    }
    for (const [key, n] of tally) console.log(`  ← ${String(n).padStart(3)} × ${key}`);
  }
  if (results.some((r) => r.status !== 200)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
