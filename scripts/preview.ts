/**
 * `npm run preview`: the four deploy bundles (`wrangler deploy --dry-run --env production`, as `npm run deploy:prod`
 * builds them) served by workerd through Miniflare with the PRODUCTION settings: ENVIRONMENT=production, Secure
 * cookies, HSTS, the production CORS rules with local host names, every required secret present (or the command
 * refuses to start), the database on the pooled path (HYPERDRIVE binding → a local PgBouncer in transaction mode →
 * the PostgreSQL server of DATABASE_URL; never embedded PGlite), KV, R2 and the RateLimiter Durable Object from
 * Miniflare, and the service bindings of wrangler.jsonc (AUTH_SERVICE → codex-auth, RATE_LIMITER hosted by it).
 *
 *   DATABASE_URL=postgres://… npm run preview -- --generate-secrets   # writes .preview/.dev.vars (random secrets)
 *   DATABASE_URL=postgres://… npm run preview                         # secrets from the environment or that file
 *
 * Options: --secrets-file <path> (default .preview/.dev.vars; KV/R2/DO state is kept in `state/` beside it),
 * --generate-secrets (write random secrets there when the file is absent), --port-base <n> (auth, content-api,
 * identity-api, ecom-api on n…n+3 instead of the development ports), --no-migrate, --ready-file <path> (written with
 * the URLs once every worker's /health answers 200; CI waits for it). STRIPE_LOCAL_PORT moves the Stripe stand-in.
 *
 * What differs from Cloudflare is listed in the README ("Preview"): plain http on localhost (browsers and curl keep
 * Secure cookies for localhost), no edge in front setting CF-Connecting-IP, the email API and Stripe are stand-ins.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { DEV_PORTS, type WorkerName } from '@codex/local';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { bundleWorker, ROOT, readWorkerConfig } from './lib/wrangler';
import { startLocalStripe } from './stripe/local-stripe';

const ENV = 'production';
const WORKER_DIRS: WorkerName[] = ['auth', 'content-api', 'identity-api', 'ecom-api'];
/** The browser origin the preview allows (CORS, checkout redirects, password-reset links). */
const WEB_ORIGIN = process.env.PREVIEW_WEB_ORIGIN || 'http://localhost:5173';
const STRIPE_PORT = Number(process.env.STRIPE_LOCAL_PORT ?? 12111);

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const flag = (name: string) => process.argv.includes(name);

function withoutKeys(record: Record<string, string>, keys: string[]) {
  return Object.fromEntries(Object.entries(record).filter(([k]) => !keys.includes(k)));
}

/** A `.dev.vars`-style file: NAME=value lines, # comments. */
export function readVarsFile(path: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (m?.[1]) out[m[1]] = (m[2] ?? '').replace(/^"(.*)"$/, '$1');
  }
  return out;
}

/** A random value of the shape each secret has in production. */
function generatedSecret(name: string): string {
  const hex = randomBytes(24).toString('hex');
  if (name === 'STRIPE_SECRET_KEY') return `sk_test_preview_${hex}`; // the Stripe stand-in takes test-mode keys only
  if (name.startsWith('STRIPE_WEBHOOK_SECRET_')) return `whsec_preview_${hex}`;
  return `preview-${hex}`;
}

/** A local HTTP email API (the `http` transport's EMAIL_API_URL): logs the kind and the link, keeps nothing. */
async function startEmailSink(apiKey: string) {
  const received: Array<{ kind: string; to: string; text: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => {
      body += d;
    });
    req.on('end', () => {
      if (req.headers.authorization !== `Bearer ${apiKey}`) {
        res.writeHead(401).end();
        return;
      }
      try {
        const mail = JSON.parse(body) as { kind: string; to: string; text: string };
        received.push(mail);
        const link = /https?:\/\/\S+/.exec(mail.text)?.[0];
        console.log(`  email  ${mail.kind}${link ? ` → ${link}` : ''}`);
        res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/send`, received, close: () => new Promise((r) => server.close(() => r(0))) };
}

/** What must be stopped however the script ends (the pooler is a child process). */
const cleanups: Array<() => Promise<unknown>> = [];
async function cleanup() {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
}

async function main() {
  const started = Date.now();
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    console.error(
      'npm run preview needs DATABASE_URL (a PostgreSQL database; the preview never uses embedded PGlite), e.g.\n' +
        '  createdb -h 127.0.0.1 -U postgres codex_preview\n' +
        '  DATABASE_URL=postgres://postgres@127.0.0.1:5432/codex_preview npm run preview -- --generate-secrets',
    );
    process.exit(1);
  }

  // 1. The secrets every worker requires in production (`secrets.required` of wrangler.jsonc, env.production).
  const portBase = argValue('--port-base');
  const port = (w: WorkerName) => (portBase ? Number(portBase) + WORKER_DIRS.indexOf(w) : DEV_PORTS[w]);
  const configs = await Promise.all(WORKER_DIRS.map((w) => readWorkerConfig(w, ENV)));
  const required = [...new Set(configs.flatMap((c) => c.secrets))];
  const secretsFile = argValue('--secrets-file') ?? join(ROOT, '.preview', '.dev.vars');
  if (flag('--generate-secrets') && !existsSync(secretsFile)) {
    mkdirSync(dirname(secretsFile), { recursive: true });
    const lines = required.map((n) => `${n}=${generatedSecret(n)}`);
    writeFileSync(
      secretsFile,
      `# npm run preview: generated secrets for the local production-mode stack (never deploy these)\n${lines.join('\n')}\n`,
      { mode: 0o600 },
    );
    console.log(`• wrote ${required.length} generated secrets to ${relative(ROOT, secretsFile)}`);
  }
  const fromFile = existsSync(secretsFile) ? readVarsFile(secretsFile) : {};
  const secrets: Record<string, string> = {};
  const missing: string[] = [];
  for (const name of required) {
    const value = process.env[name] || fromFile[name];
    if (value) secrets[name] = value;
    else missing.push(name);
  }
  if (missing.length) {
    console.error(
      `npm run preview refuses to start: required secrets missing: ${missing.join(', ')}\n` +
        `Set them in the environment or in ${relative(ROOT, secretsFile)} (NAME=value lines), or pass ` +
        '--generate-secrets to write random ones there.',
    );
    process.exit(1);
  }
  const secretFor = (dir: string) =>
    Object.fromEntries((configs.find((c) => c.dir === dir)?.secrets ?? []).map((n) => [n, secrets[n] as string]));

  // 2. The bundles, exactly as the production deploy builds them.
  console.log(`• bundling ${WORKER_DIRS.length} workers (wrangler deploy --dry-run --env ${ENV})`);
  const bundles: Record<string, string> = {};
  for (const w of WORKER_DIRS) {
    const outdir = join(ROOT, 'dist', 'preview', w);
    await bundleWorker(w, ENV, outdir);
    bundles[w] = join(outdir, 'index.js');
  }

  // 3. The database: migrations directly (session advisory lock), the workers through PgBouncer (transaction mode).
  const dbNode = await import('@codex/database/node');
  if (!flag('--no-migrate')) {
    console.log('• applying migrations');
    await dbNode.migrateUrl(databaseUrl);
  }
  const pooler = await dbNode.startPgBouncer({ serverUrl: databaseUrl });
  cleanups.push(() => pooler.close());
  const hyperdrive = pooler.hyperdriveUrlFor(databaseUrl);

  // 4. The stand-ins for what the workers reach on the internet: an email API, the Stripe API.
  const email = await startEmailSink(secrets.EMAIL_API_KEY ?? '');
  cleanups.push(() => email.close());
  const ecomUrl = `http://localhost:${port('ecom-api')}`;
  const stripe = await startLocalStripe({
    port: STRIPE_PORT,
    webhook: { baseUrl: ecomUrl, secret: secrets.STRIPE_WEBHOOK_SECRET_BOOKING ?? '' },
  });
  cleanups.push(() => stripe.close());

  const localVars: Record<WorkerName, Record<string, string>> = {
    auth: { WEB_APP_URL: WEB_ORIGIN, EMAIL_API_URL: email.url },
    'content-api': {},
    'identity-api': {},
    'ecom-api': { CHECKOUT_REDIRECT_ORIGINS: WEB_ORIGIN, ...stripe.vars },
  };

  // env.production has no localConnectionString (Hyperdrive ids only); wrangler's reader takes the local one from here.
  process.env.CLOUDFLARE_HYPERDRIVE_LOCAL_CONNECTION_STRING_HYPERDRIVE = hyperdrive;
  const workers = WORKER_DIRS.map((w) => {
    const { workerOptions: o } = unstable_getMiniflareWorkerOptions(join(ROOT, 'workers', w, 'wrangler.jsonc'), ENV);
    const config = configs.find((c) => c.dir === w);
    return {
      name: config?.name ?? w,
      modules: true,
      scriptPath: bundles[w] as string,
      compatibilityDate: o.compatibilityDate,
      compatibilityFlags: o.compatibilityFlags,
      unsafeDirectSockets: [{ host: '127.0.0.1', port: port(w) }],
      bindings: {
        // Production's cookie Domain (.revelations.studio) would be refused on localhost; here the four workers share
        // one host (localhost, ports differ), so the host-only cookie already reaches all of them.
        ...withoutKeys(o.bindings as Record<string, string>, ['COOKIE_DOMAIN']),
        // Production's vars with this machine's host names.
        ENVIRONMENT: 'production',
        PUBLIC_URL: `http://localhost:${port(w)}`,
        CORS_ORIGINS: WEB_ORIGIN,
        ...localVars[w],
        ...secretFor(w),
      },
      hyperdrives: { HYPERDRIVE: hyperdrive },
      kvNamespaces: o.kvNamespaces,
      r2Buckets: o.r2Buckets,
      durableObjects: o.durableObjects,
      serviceBindings: o.serviceBindings,
      assets: o.assets,
    };
  });

  // KV, R2 and Durable Object state beside the secrets file (a run with its own secrets gets its own state).
  const persistRoot = join(dirname(secretsFile), 'state');
  const mf = new Miniflare({
    workers: workers as never,
    kvPersist: join(persistRoot, 'kv'),
    r2Persist: join(persistRoot, 'r2'),
    durableObjectsPersist: join(persistRoot, 'do'),
  });
  cleanups.push(() => mf.dispose());
  await mf.ready;

  const urls = Object.fromEntries(WORKER_DIRS.map((w) => [w, `http://localhost:${port(w)}`])) as Record<
    WorkerName,
    string
  >;
  // Every worker answers /health (the database through the pooler, KV, the rate limiter): the stack is up.
  for (const w of WORKER_DIRS) {
    const res = await fetch(`${urls[w]}/health`);
    const body = (await res.json()) as { status: string; checks: Record<string, string> };
    if (res.status !== 200) throw new Error(`${w} /health answered ${res.status}: ${JSON.stringify(body.checks)}`);
  }

  const secondsTaken = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    [
      '',
      `Codex preview (ENVIRONMENT=production, deploy bundles in workerd) — ready in ${secondsTaken}s`,
      ...WORKER_DIRS.map((w) => `  ${w.padEnd(13)} ${urls[w]}`),
      `  database      HYPERDRIVE → PgBouncer 127.0.0.1:${pooler.port} → ${new URL(databaseUrl).host}${new URL(databaseUrl).pathname}`,
      `  secrets       ${required.join(', ')} (${relative(ROOT, secretsFile)} / environment)`,
      `  email API     ${email.url} (stand-in; links printed below)`,
      `  Stripe API    ${stripe.url} (stand-in; events must be livemode:true — production ignores test-mode events)`,
      `  CORS origin   ${WEB_ORIGIN}`,
      `  contract      CONTRACT_BASE_URL='${JSON.stringify(urls)}' CONTRACT_SECURE_COOKIES=1 npx vitest run --project node test/contract/contract.test.ts`,
      '',
    ].join('\n'),
  );
  const readyFile = argValue('--ready-file');
  if (readyFile) {
    writeFileSync(readyFile, `${JSON.stringify({ urls, stripe: stripe.url, secretsFile }, null, 2)}\n`);
  }

  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    console.log('• stopping the preview');
    await cleanup();
    process.exit(0);
  };
  process.on('SIGINT', close);
  process.on('SIGTERM', close);
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
  void cleanup().finally(() => process.exit(1));
});
