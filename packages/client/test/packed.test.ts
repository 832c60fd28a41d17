/**
 * @codex/client as an integrator gets it: `npm pack` output installed into a fresh project outside the repository,
 * running the full product flow (examples/full-flow/flow.ts, compiled to JavaScript) against the four workers served
 * on free ports:
 *
 * - from plain Node (no tsx): the ESM build (examples/full-flow/main.ts compiled), and the CJS build via require();
 * - from a page in headless Chromium (the package resolved by an import map, no bundler), and from a Web Worker
 *   (which must use the browser's cookies, not a jar);
 * - from a Worker in workerd (the package bundled with esbuild, as wrangler does).
 *
 * Each run is checked in the database: the purchase, the access grant, the published content, the progress.
 */
import { execFile } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { content, contentAccess, mediaItems, playbackProgress, purchases } from '@codex/database';
import { uniqueEmail } from '@codex/local';
import { hasChromium, launchChromium } from '@codex/local/chromium';
import { signWebhookPayload } from '@codex/purchase';
import { and, eq } from 'drizzle-orm';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlowSummary, signedWebhook } from '../../../examples/full-flow/flow';
import { createCodexClient } from '../src/index';
import { type FlowHost, REDIRECT_ORIGIN, startFlowHost } from './flow-host';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');
const PACKAGE = join(ROOT, 'packages/client');
const FIXTURES = join(import.meta.dirname, 'packed');

let host: FlowHost;
let work: string;
let app: string;
let tarball: string;
let tightLimit = false;
const TIGHT_LIMIT = 'api=8/4';

beforeAll(async () => {
  work = join(tmpdir(), `codex-client-consumer-${process.pid}-${Date.now().toString(36)}`);
  app = join(work, 'app');
  await run('mkdir', ['-p', app]);
  // npm pack runs the package's prepack (tsup): what gets installed is the build, not the source.
  const packed = await run('npm', ['pack', '--silent', '--pack-destination', work], { cwd: PACKAGE });
  tarball = join(work, packed.stdout.trim().split('\n').at(-1) ?? '');
  await writeFile(
    join(app, 'package.json'),
    JSON.stringify({ name: 'codex-client-consumer', private: true, type: 'module' }, null, 2),
  );
  const stripeVersion = JSON.parse(await readFile(join(ROOT, 'node_modules/stripe/package.json'), 'utf8')).version;
  await run(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', tarball, `stripe@${stripeVersion}`],
    { cwd: app },
  );

  // The example program, compiled to plain JavaScript: flow.mjs imports '@codex/client' from node_modules.
  await build({
    entryPoints: [join(ROOT, 'examples/full-flow/flow.ts')],
    outfile: join(app, 'flow.mjs'),
    format: 'esm',
    target: 'es2022',
    logLevel: 'silent',
  });
  await build({
    entryPoints: [join(ROOT, 'examples/full-flow/main.ts')],
    outfile: join(app, 'main.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'es2022',
    external: ['@codex/client', 'stripe'],
    logLevel: 'silent',
  });
  for (const f of ['page.html', 'web-worker.mjs', 'worker-entry.mjs', 'cjs-check.cjs']) {
    await writeFile(join(app, f), await readFile(join(FIXTURES, f)));
  }

  // A tight api limit (where the limiter reads RATE_LIMITS): the flows complete only through the client's retries.
  host = await startFlowHost({ RATE_LIMITS: TIGHT_LIMIT });
  const probe = await fetch(`${host.baseUrls.identity}/api/organizations?limit=1`);
  tightLimit = probe.headers.get('x-ratelimit-limit') === '8';
  if (!tightLimit) {
    console.warn(
      `packed client: this build's rate limiter ignores RATE_LIMITS (X-RateLimit-Limit ${probe.headers.get('x-ratelimit-limit')}); the flows run under the default limits, so no 429 is expected`,
    );
  }
}, 300_000);

afterAll(async () => {
  await host?.close();
  if (work) await rm(work, { recursive: true, force: true });
});

/** The database effects of one completed flow. */
async function expectFlowEffects(summary: FlowSummary) {
  const db = host.platform.db;
  expect(summary).toMatchObject({
    webhook: { received: true, duplicate: false, status: 'processed' },
    listed: 2,
    pagesRead: 2,
    progressSeconds: 12,
  });
  expect(summary.rangeRead).toMatchObject({ start: 1000, end: 1999, bytesMatch: true });
  const [item] = await db.select().from(content).where(eq(content.id, summary.contentId));
  expect(item).toMatchObject({
    status: 'published',
    visibility: 'purchased_only',
    priceCents: 499,
    organizationId: summary.organizationId,
    mediaItemId: summary.mediaId,
  });
  const [media] = await db.select().from(mediaItems).where(eq(mediaItems.id, summary.mediaId));
  expect(media).toMatchObject({ status: 'ready', fileSizeBytes: 64 * 1024 });
  const bought = await db
    .select()
    .from(purchases)
    .where(and(eq(purchases.userId, summary.buyerId), eq(purchases.contentId, summary.contentId)));
  expect(bought).toEqual([
    expect.objectContaining({
      status: 'completed',
      amountCents: 499,
      stripeCheckoutSessionId: summary.checkoutSessionId,
    }),
  ]);
  const access = await db
    .select()
    .from(contentAccess)
    .where(and(eq(contentAccess.userId, summary.buyerId), eq(contentAccess.contentId, summary.contentId)));
  expect(access).toHaveLength(1);
  expect(access[0]?.revokedAt).toBeNull();
  const progress = await db
    .select()
    .from(playbackProgress)
    .where(and(eq(playbackProgress.userId, summary.buyerId), eq(playbackProgress.contentId, summary.contentId)));
  expect(progress).toEqual([expect.objectContaining({ positionSeconds: 12, completed: false })]);
}

function flowEnv() {
  return {
    ...process.env,
    CODEX_AUTH_URL: host.baseUrls.auth,
    CODEX_CONTENT_URL: host.baseUrls.content,
    CODEX_IDENTITY_URL: host.baseUrls.identity,
    CODEX_ECOM_URL: host.baseUrls.ecom,
    STRIPE_WEBHOOK_SECRET_BOOKING: host.bookingSecret,
    BASE_URLS: JSON.stringify(host.baseUrls),
  };
}

describe('the packed client', () => {
  it('is a real package: ESM, CJS and declarations in dist, its dependency declared, no source shipped', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n').sort();
    expect(files).toEqual(
      expect.arrayContaining([
        'package/dist/index.js',
        'package/dist/index.cjs',
        'package/dist/index.d.ts',
        'package/dist/index.d.cts',
        'package/README.md',
        'package/package.json',
      ]),
    );
    expect(
      files.filter((f) => f.includes('/src/') || (f.endsWith('.ts') && !f.endsWith('.d.ts') && !f.endsWith('.d.cts'))),
    ).toEqual([]);
    const manifest = JSON.parse(await readFile(join(app, 'node_modules/@codex/client/package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies)).toEqual(['openapi-fetch']);
    const types = await readFile(join(app, 'node_modules/@codex/client/dist/index.d.ts'), 'utf8');
    // Self-contained: the generated contract types are inlined, nothing points back into the repository.
    expect(types).not.toMatch(/from ['"]\.{1,2}\//);
    expect(types).toContain("'/api/media/{id}/upload'");
  });

  it('runs the full flow from plain Node (ESM), and require() works (CJS)', async () => {
    const { stdout } = await run(process.execPath, ['main.mjs'], { cwd: app, env: flowEnv(), timeout: 120_000 });
    const json = stdout.slice(stdout.indexOf('\n{') + 1);
    const result = JSON.parse(json) as { ok: boolean; summary: FlowSummary };
    expect(result.ok).toBe(true);
    expect(stdout).toContain('(cookies: jar)');
    // main.ts logs the client's retries (logger: console, level info).
    if (tightLimit) expect(stdout).toMatch(/retrying .* \(429, Retry-After \d+ s\)/);
    expect(result.summary.rangeRead.size).toBe(64 * 1024);
    await expectFlowEffects(result.summary);

    const cjs = await run(process.execPath, ['cjs-check.cjs'], { cwd: app, env: flowEnv(), timeout: 60_000 });
    const required = JSON.parse(cjs.stdout);
    expect(required).toMatchObject({ cookies: 'jar', health: 'healthy', notFound: true });
    expect(required.code).toMatch(/NOT_FOUND$/);
  }, 180_000);

  it('runs in workerd: the full flow from a Worker bundling the package', async () => {
    const bundled = await build({
      entryPoints: [join(app, 'worker-entry.mjs')],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      conditions: ['workerd', 'worker', 'browser'],
      mainFields: ['module', 'main'],
      absWorkingDir: app,
      logLevel: 'silent',
    });
    const mf = new Miniflare({
      modules: true,
      script: bundled.outputFiles[0]?.text ?? '',
      compatibilityDate: '2026-04-01',
      compatibilityFlags: ['nodejs_compat'],
    });
    try {
      const res = await mf.dispatchFetch('http://flow.local/run', {
        method: 'POST',
        body: JSON.stringify({ baseUrls: host.baseUrls, secret: host.bookingSecret }),
      });
      const result = (await res.json()) as { ok: boolean; mode: string; summary: FlowSummary; error?: string };
      expect(result.error).toBeUndefined();
      expect(result.ok).toBe(true);
      expect(result.mode).toBe('jar');
      expect(result.summary.rangeRead.size).toBe(64 * 1024);
      await expectFlowEffects(result.summary);
    } finally {
      await mf.dispose();
    }
  }, 180_000);

  describe.runIf(hasChromium('packed client in Chromium'))('in Chromium', () => {
    let server: Server;
    let origin: string;

    beforeAll(async () => {
      await build({
        entryPoints: [join(app, 'web-worker.mjs')],
        outfile: join(app, 'web-worker.js'),
        bundle: true,
        format: 'esm',
        platform: 'browser',
        target: 'es2022',
        absWorkingDir: app,
        logLevel: 'silent',
      });
      server = await serveStatic(app);
      origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      host.setCorsOrigins(origin);
    });

    afterAll(() => {
      server?.close();
    });

    it('runs the full flow from a page, and signs in from a Web Worker with the browser’s cookies', async () => {
      const browser = await launchChromium();
      try {
        const context = await browser.newContext();
        const page = await context.newPage();
        const pageErrors: string[] = [];
        page.on('pageerror', (e) => pageErrors.push(e.message));
        // Stripe's part, played by the test: sign the event and deliver it to the booking webhook.
        const stripe = createCodexClient({ baseUrls: host.baseUrls, cookies: 'jar' });
        await page.exposeFunction(
          'deliverWebhook',
          signedWebhook(stripe, (payload) => signWebhookPayload(payload, host.bookingSecret)),
        );
        await page.goto(`${origin}/page.html`);
        await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);

        const result = await page.evaluate(
          (input) =>
            (
              globalThis as unknown as {
                runCodexFlow(i: unknown): Promise<{ summary: FlowSummary; lines: string[]; mode: string }>;
              }
            ).runCodexFlow(input),
          { baseUrls: host.baseUrls, redirectOrigin: REDIRECT_ORIGIN },
        );
        expect(pageErrors).toEqual([]);
        expect(result.mode).toBe('browser');
        expect(result.lines[0]).toContain('(cookies: browser)');
        // Content-Range is readable from the page (exposed by CORS).
        expect(result.summary.rangeRead.size).toBe(64 * 1024);
        await expectFlowEffects(result.summary);
        // The session lives in the browser's cookie store (HttpOnly), not in script.
        const cookies = await context.cookies(host.baseUrls.auth);
        expect(cookies.find((c) => c.name === 'codex-session')?.httpOnly ?? 'signed out').toBe('signed out');

        const slug = `worker-${Date.now().toString(36)}`;
        const fromWorker = await page.evaluate(
          (input) =>
            (globalThis as unknown as { runInWebWorker(i: unknown): Promise<Record<string, unknown>> }).runInWebWorker(
              input,
            ),
          { baseUrls: host.baseUrls, email: uniqueEmail('webworker'), slug },
        );
        expect(fromWorker).toMatchObject({
          ok: true,
          cookies: 'browser',
          jar: null,
          organization: { myRole: 'owner' },
        });
        expect(fromWorker.sessionEmail).toMatch(/^webworker-/);
        const session = (await context.cookies(host.baseUrls.auth)).find((c) => c.name === 'codex-session');
        expect(session?.httpOnly).toBe(true);
      } finally {
        await browser.close();
      }
    }, 180_000);
  });
});

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
};

/** The consumer project's files over HTTP (the page's origin). */
function serveStatic(root: string): Promise<Server> {
  const server = createServer(async (req, res) => {
    const rel = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^[/\\]+/, '');
    if (rel.startsWith('..')) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(join(root, rel));
      res.writeHead(200, { 'content-type': TYPES[extname(rel)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
