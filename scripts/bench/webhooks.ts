/**
 * Benchmark: signed checkout.session.completed webhooks at the seed's webhook limit (1000/min per IP), with
 * redeliveries mixed in, over real HTTP against the ecom worker served by @hono/node-server on the local platform.
 *
 *   npx tsx scripts/bench/webhooks.ts [--duration 60] [--rate-per-minute 1000] [--duplicates 0.3]
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx scripts/bench/webhooks.ts
 *
 * Without DATABASE_URL: embedded PGlite. With it: a throwaway database of its own on that server (created,
 * migrated, dropped). Requests are sent on a fixed schedule (open loop, not "as fast as possible"); each new event is
 * a distinct paid checkout (its own session, buyer × content pair); a share of the sends are redeliveries of an
 * earlier event, re-signed as Stripe does on every attempt, some of them while the first delivery is still in
 * flight. Events that never got a 200 are redelivered at the end (as Stripe retries). Then the database is checked:
 * every event has exactly one webhook_events row, one purchase and one access row — zero lost, zero doubled.
 *
 * The webhook limit (1000/min per IP, in windows that start with the first request) is raised with the operators'
 * override RATE_LIMITS for the run: the limiter still counts every request, but a send rate right at the limit must
 * not turn a window boundary (or the redeliveries at the end) into 429s the bench would count as losses.
 */
import { content, contentAccess, mediaItems, purchases, users, webhookEvents } from '@codex/database';
import { createTestDatabase, dropTestDatabase } from '@codex/database/node';
import { startLocalPlatform } from '@codex/local';
import { signWebhookPayload } from '@codex/purchase';
import ecomApp from '@codex/worker-ecom-api';
import { and, count, countDistinct, eq, inArray, like } from 'drizzle-orm';
import { serveApp, WaitUntilTracker } from '../lib/worker-host';
import { arg, median, printTable } from './lib';

const DURATION_S = Math.min(120, Math.max(1, Number(arg('--duration', '60'))));
const RATE_PER_MIN = Math.min(1000, Math.max(1, Number(arg('--rate-per-minute', '1000'))));
const DUP_SHARE = Math.min(0.9, Math.max(0, Number(arg('--duplicates', '0.3'))));
const SECRET = 'whsec_bench_booking_0123456789abcdef';
const RUN = Date.now().toString(36);
const PRICE = 1999;

interface Sent {
  /** Seconds after the start when it was sent. */
  at: number;
  status: number;
  duplicate: boolean | undefined;
  ms: number;
}

async function main() {
  const serverUrl = process.env.DATABASE_URL;
  const testDb = serverUrl ? await createTestDatabase({ serverUrl }) : undefined;
  const platform = await startLocalPlatform({
    apps: { 'ecom-api': ecomApp },
    databaseUrl: testDb?.url ?? '',
    vars: { LOG_LEVEL: 'warn', ENVIRONMENT: 'development', RATE_LIMITS: 'webhook=1000000/60' },
    workerVars: { 'ecom-api': { STRIPE_WEBHOOK_SECRET_BOOKING: SECRET } },
  });
  const tracker = new WaitUntilTracker();
  const served = await serveApp(ecomApp, { port: 0, env: () => platform.envFor('ecom-api'), tracker });
  const url = `http://127.0.0.1:${served.port}/webhooks/stripe/booking`;

  try {
    // Buyers and content, written directly (the benchmark is about webhooks, not sign-up).
    const expectedEvents = Math.ceil((RATE_PER_MIN / 60) * DURATION_S) + 10;
    const side = Math.ceil(Math.sqrt(expectedEvents));
    const buyers = await platform.db
      .insert(users)
      .values(
        Array.from({ length: side }, (_, i) => ({ name: `Bench buyer ${i}`, email: `bench-${RUN}-${i}@example.test` })),
      )
      .returning({ id: users.id });
    const [creator] = await platform.db
      .insert(users)
      .values({ name: 'Bench creator', email: `bench-${RUN}-creator@example.test`, role: 'creator' })
      .returning({ id: users.id });
    const creatorId = creator?.id as string;
    const media = await platform.db
      .insert(mediaItems)
      .values(
        Array.from({ length: side }, (_, i) => ({
          creatorId,
          title: `Bench media ${i}`,
          mediaType: 'video' as const,
          mimeType: 'video/mp4',
          fileSizeBytes: 1000,
          storageKey: `bench/${RUN}/${i}.mp4`,
          status: 'ready' as const,
        })),
      )
      .returning({ id: mediaItems.id });
    const items = await platform.db
      .insert(content)
      .values(
        media.map((m, i) => ({
          creatorId,
          mediaItemId: m.id,
          title: `Bench film ${i}`,
          slug: `bench-${RUN}-${i}`,
          contentType: 'video' as const,
          visibility: 'purchased_only' as const,
          priceCents: PRICE,
          currency: 'usd',
          status: 'published' as const,
          publishedAt: new Date(),
        })),
      )
      .returning({ id: content.id });

    let made = 0;
    const events: Array<{ id: string; payload: string }> = [];
    const newEvent = () => {
      const n = made++;
      const buyer = buyers[n % side]?.id as string;
      const item = items[Math.floor(n / side) % side]?.id as string;
      const id = `evt_bench_${RUN}_${n}`;
      const object = {
        id: `cs_bench_${RUN}_${n}`,
        object: 'checkout.session',
        mode: 'payment',
        payment_status: 'paid',
        amount_total: PRICE,
        currency: 'usd',
        client_reference_id: buyer,
        payment_intent: `pi_bench_${RUN}_${n}`,
        metadata: { userId: buyer, contentId: item, amountCents: String(PRICE), currency: 'usd' },
      };
      const payload = JSON.stringify({
        id,
        object: 'event',
        api_version: '2026-04-22.dahlia',
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        type: 'checkout.session.completed',
        data: { object },
      });
      const ev = { id, payload };
      events.push(ev);
      return ev;
    };

    const results: Sent[] = [];
    const acked = new Set<string>();
    let startedAt = performance.now();
    const send = async (ev: { id: string; payload: string }): Promise<Sent> => {
      const t0 = performance.now();
      const at = (t0 - startedAt) / 1000;
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'stripe-signature': await signWebhookPayload(ev.payload, SECRET),
          },
          body: ev.payload,
        });
        const body = (await res.json()) as { duplicate?: boolean };
        if (res.status === 200) acked.add(ev.id);
        return { at, status: res.status, duplicate: body.duplicate, ms: performance.now() - t0 };
      } catch {
        return { at, status: 0, duplicate: undefined, ms: performance.now() - t0 };
      }
    };

    // Open-loop schedule: request k leaves at k × interval, whatever the previous ones are doing.
    const intervalMs = 60_000 / RATE_PER_MIN;
    const total = Math.floor((DURATION_S * 1000) / intervalMs);
    console.log(
      `\nWebhook bench — ${platform.databaseDescription}, ` +
        `${RATE_PER_MIN}/min (${(1000 / intervalMs).toFixed(1)}/s) for ${DURATION_S} s = ${total} sends, ~${Math.round(DUP_SHARE * 100)} % redeliveries\n`,
    );
    const inflight: Promise<void>[] = [];
    const started = performance.now();
    startedAt = started;
    for (let k = 0; k < total; k++) {
      const due = started + k * intervalMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const ev =
        events.length > 0 && Math.random() < DUP_SHARE
          ? (events[Math.floor(Math.random() * events.length)] as { id: string; payload: string })
          : newEvent();
      inflight.push(send(ev).then((r) => void results.push(r)));
    }
    await Promise.all(inflight);
    const elapsed = (performance.now() - started) / 1000;

    // Stripe retries what was not acknowledged.
    const unacked = events.filter((e) => !acked.has(e.id));
    const retries: Sent[] = [];
    for (const ev of unacked) retries.push(await send(ev));

    const ok = results.filter((r) => r.status === 200);
    const byStatus = new Map<number, number>();
    for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    const latencies = results.map((r) => r.ms);
    const sorted = [...latencies].sort((a, b) => a - b);
    const p99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;

    printTable(
      ['figure', 'value'],
      [
        ['sends', String(results.length)],
        [
          'throughput reached',
          `${(results.length / elapsed).toFixed(2)} req/s (${Math.round((results.length / elapsed) * 60)}/min)`,
        ],
        ['distinct events', String(events.length)],
        ['200 new (processed)', String(ok.filter((r) => r.duplicate === false).length)],
        ['200 duplicate', String(ok.filter((r) => r.duplicate === true).length)],
        [
          'other statuses',
          [...byStatus]
            .filter(([s]) => s !== 200)
            .map(([s, n]) => `${s === 0 ? 'network error' : s}: ${n}`)
            .join(', ') || '0',
        ],
        ['latency p50 / p99', `${median(latencies).toFixed(1)} / ${p99.toFixed(1)} ms`],
        [
          'redelivered at the end (not acked)',
          `${unacked.length} (${retries.filter((r) => r.status === 200).length} acked then)`,
        ],
      ],
    );

    // Latency over the run, in 10 s slices (a rising median means the server fell behind the schedule).
    const slices: string[][] = [];
    for (let from = 0; from < DURATION_S; from += 10) {
      const inSlice = results.filter((r) => r.at >= from && r.at < from + 10).map((r) => r.ms);
      if (inSlice.length === 0) continue;
      const s = [...inSlice].sort((a, b) => a - b);
      slices.push([
        `${from}–${Math.min(DURATION_S, from + 10)} s`,
        String(inSlice.length),
        median(inSlice).toFixed(1),
        (s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? 0).toFixed(1),
      ]);
    }
    console.log('');
    printTable(['sent during', 'requests', 'p50 ms', 'p99 ms'], slices);

    // The database: every event exactly once.
    const ids = events.map((e) => e.id);
    const sessions = events.map((_, n) => `cs_bench_${RUN}_${n}`);
    const [ev] = await platform.db
      .select({ n: count() })
      .from(webhookEvents)
      .where(inArray(webhookEvents.stripeEventId, ids));
    const [pu] = await platform.db
      .select({ n: count(), distinct: countDistinct(purchases.stripeCheckoutSessionId) })
      .from(purchases)
      .where(and(like(purchases.stripeCheckoutSessionId, `cs_bench_${RUN}_%`), eq(purchases.status, 'completed')));
    const [ac] = await platform.db
      .select({ n: count() })
      .from(contentAccess)
      .where(
        inArray(
          contentAccess.userId,
          buyers.map((b) => b.id),
        ),
      );
    const eventRows = Number(ev?.n ?? 0);
    const purchaseRows = Number(pu?.n ?? 0);
    const distinctSessions = Number(pu?.distinct ?? 0);
    const accessRows = Number(ac?.n ?? 0);
    const lost = sessions.length - distinctSessions;
    const doubled = purchaseRows - distinctSessions;
    console.log('');
    printTable(
      ['database check', 'expected', 'found'],
      [
        ['webhook_events rows', String(events.length), String(eventRows)],
        ['completed purchases', String(events.length), String(purchaseRows)],
        ['access rows (one per buyer × content)', String(events.length), String(accessRows)],
        ['lost purchases', '0', String(lost)],
        ['doubled purchases', '0', String(doubled)],
      ],
    );
    const pass = eventRows === events.length && lost === 0 && doubled === 0 && accessRows === events.length;
    console.log(`\n${pass ? 'PASS' : 'FAIL'}: ${lost} lost, ${doubled} doubled\n`);
    if (!pass) process.exitCode = 1;
  } finally {
    await served.close();
    await tracker.drain();
    await platform.close();
    if (testDb && serverUrl) await dropTestDatabase(testDb.name, { serverUrl });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
