/**
 * `npm run dev`: the whole platform on one machine.
 *
 * - the local platform (@codex/local): Miniflare KV and R2, and the database — embedded PGlite by default, or the
 *   PostgreSQL server named by DATABASE_URL through one process-wide postgres.js pool (the driver of the
 *   production Hyperdrive path); either way connections live as long as the process, never one per request;
 *   all state persists under .data/ (git-ignored; delete it to start over);
 * - migrations applied by the platform on start (PGlite and DATABASE_URL alike) and the demo data seeded (seedDemoData, idempotent) with its media file (seedDemoMedia);
 * - the four workers served over HTTP on their wrangler dev ports, each request going to
 *   `app.fetch(request, env, ctx)` exactly as the Workers runtime calls it;
 * - the merged contract's docs (static Redocly page, Scalar whose try-it calls the local workers, the guides) on
 *   DOCS_PORT (42070), allowed by the workers' CORS (scripts/docs/app.ts);
 * - Stripe for the ecom worker (scripts/stripe/dev-stripe.ts): without STRIPE_SECRET_KEY, a local stand-in for the
 *   Stripe API on STRIPE_LOCAL_PORT (12111) and development webhook secrets — no real payments; with a test-mode
 *   STRIPE_SECRET_KEY (and STRIPE_WEBHOOK_SECRET_<ENDPOINT> from `stripe listen`), Stripe's test mode.
 *
 * Env: DATABASE_URL (optional), CORS_ORIGINS (default: the web app's and the docs' origins), HOST (default 127.0.0.1), DOCS_PORT (default 42070), DEV_DATA_DIR (default .data),
 * STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET_<ENDPOINT>, CHECKOUT_REDIRECT_ORIGINS (default http://localhost:5173),
 * RATE_LIMITS (override of the rate-limit presets for every worker, e.g. "api=20/60,login=10/900"; README "Rate limits").
 */
import { join, resolve } from 'node:path';
import {
  DEMO_CREATOR_EMAIL,
  DEMO_CREATOR_PASSWORD,
  DEMO_ORGANIZATION_SLUG,
  seedDemoData,
  seedDemoMedia,
} from '@codex/database/seed';
import { DEV_PORTS, REPO_ROOT, startLocalPlatform, WORKERS, type WorkerName } from '@codex/local';
import { app as authApp } from '@codex/worker-auth';
import { app as contentApp } from '@codex/worker-content-api';
import { app as ecomApp } from '@codex/worker-ecom-api';
import { app as identityApp } from '@codex/worker-identity-api';
import { effectivePreset, parseRateLimitOverrides, RATE_LIMIT_PRESETS } from '@codex/worker-kit';
import { docsApp } from './docs/app';
import { type FetchApp, type ServedApp, serveApp, WaitUntilTracker } from './lib/worker-host';
import { startDevStripe } from './stripe/dev-stripe';

const APPS: Record<WorkerName, FetchApp> = {
  auth: authApp,
  'content-api': contentApp,
  'identity-api': identityApp,
  'ecom-api': ecomApp,
};

const DOCS_PORT = Number(process.env.DOCS_PORT ?? 42070);
const HOST = process.env.HOST ?? '127.0.0.1';
const DATA_DIR = resolve(REPO_ROOT, process.env.DEV_DATA_DIR ?? '.data');

/**
 * The origins allowed to call the workers with credentials: the web app's dev server and the merged docs (both
 * host names, so try-it works from http://localhost:42070 and http://127.0.0.1:42070). CORS_ORIGINS replaces it.
 */
const CORS_ORIGINS =
  process.env.CORS_ORIGINS ??
  ['http://localhost:5173', `http://localhost:${DOCS_PORT}`, `http://127.0.0.1:${DOCS_PORT}`].join(',');

const DEV_VARS = {
  ENVIRONMENT: 'development',
  CORS_ORIGINS,
  EMAIL_TRANSPORT: 'console',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
  ...(process.env.RATE_LIMITS ? { RATE_LIMITS: process.env.RATE_LIMITS } : {}),
};

/** The rate limits in force, for the startup banner: "login 10/900s, register 10/900s, api 100/60s, …". */
function describeRateLimits() {
  const limits = Object.values(RATE_LIMIT_PRESETS)
    .map((p) => effectivePreset(p, DEV_VARS.RATE_LIMITS))
    .map((p) => `${p.name} ${p.limit}/${p.windowSeconds}s`)
    .join(', ');
  const { invalid } = parseRateLimitOverrides(DEV_VARS.RATE_LIMITS);
  const source = DEV_VARS.RATE_LIMITS ? `RATE_LIMITS="${DEV_VARS.RATE_LIMITS}"` : 'presets';
  return [
    `  limits   : ${limits} (${source}; Durable Objects in Miniflare, under ${process.env.DEV_DATA_DIR ?? '.data'}/do)`,
    ...(invalid.length
      ? [`  WARNING  : RATE_LIMITS entries ignored (expected bucket=limit/seconds): ${invalid.join(', ')}`]
      : []),
  ];
}

async function main() {
  const started = performance.now();
  const databaseUrl = process.env.DATABASE_URL ?? '';
  const stripe = await startDevStripe({ dataDir: DATA_DIR, ecomUrl: `http://localhost:${DEV_PORTS['ecom-api']}` });
  const platform = await startLocalPlatform({
    apps: APPS,
    persistDir: DATA_DIR,
    databaseUrl,
    vars: DEV_VARS,
    workerVars: { 'ecom-api': stripe.vars },
  });
  const tracker = new WaitUntilTracker();
  const servers: ServedApp[] = [];
  let stopping = false;
  const shutdown = async (signal: string, exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping …`);
    const force = setTimeout(() => {
      console.error('shutdown timed out; exiting');
      process.exit(1);
    }, 10_000);
    force.unref();
    await Promise.allSettled(servers.map((s) => s.close()));
    await tracker.drain();
    await stripe.close();
    await platform.close();
    clearTimeout(force);
    console.log('stopped.');
    process.exit(exitCode);
  };
  // Miniflare installs exit hooks that kill workerd and exit at once on SIGINT/SIGTERM; this process owns shutdown
  // instead (servers closed, waitUntil work drained, PGlite closed cleanly so its data folder stays consistent).
  process.removeAllListeners('SIGINT');
  process.removeAllListeners('SIGTERM');
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  try {
    await seedDemoData(platform.db);
    // The demo media's file, so that every seeded content streams.
    await seedDemoMedia(platform.bucket);
    for (const worker of WORKERS) {
      servers.push(
        await serveApp(APPS[worker], {
          port: DEV_PORTS[worker],
          hostname: HOST,
          env: () => platform.envFor(worker),
          tracker,
        }),
      );
    }
    const workerDocs = WORKERS.map((w) => ({ name: w, url: `http://localhost:${DEV_PORTS[w]}/docs` }));
    const docs = await serveApp(docsApp({ root: REPO_ROOT, workerDocs }), {
      port: DOCS_PORT,
      hostname: HOST,
      env: () => ({}),
      tracker,
    });
    servers.push(docs);

    const db =
      platform.mode === 'embedded'
        ? `embedded PGlite (${join(process.env.DEV_DATA_DIR ?? '.data', 'pglite')})`
        : `${redact(databaseUrl)}: ${platform.databaseDescription}, held for the whole process`;
    const lines = [
      '',
      `Codex API dev platform ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      `  database : ${db}`,
      `  KV / R2  : Miniflare, persisted under ${process.env.DEV_DATA_DIR ?? '.data'}/kv and /r2`,
      ...describeRateLimits(),
      ...stripe.describe(),
      '',
      ...WORKERS.map(
        (w, i) =>
          `  ${w.padEnd(13)} ${servers[i]?.url}   docs ${servers[i]?.url}/docs   health ${servers[i]?.url}/health`,
      ),
      '',
      `  merged docs   ${docs.url}/            (index)`,
      `                ${docs.url}/redoc       (static Redocly, generated/docs/index.html)`,
      `                ${docs.url}/scalar      (Scalar, try-it against the local workers)`,
      `                ${docs.url}/guides/getting-started.md   (guides: authentication, errors, rate limits, …)`,
      '',
      `  demo login    ${DEMO_CREATOR_EMAIL} / ${DEMO_CREATOR_PASSWORD}  (creator of organization "${DEMO_ORGANIZATION_SLUG}")`,
      '',
      'Ctrl+C to stop.',
    ];
    console.log(lines.join('\n'));
  } catch (e) {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    await shutdown('startup failure', 1);
  }
}

function redact(url: string) {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(DATABASE_URL)';
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
