/**
 * The merged docs as a workbench, driven in headless Chromium: the four real workers and the docs app of
 * `npm run dev` (scripts/docs/app.ts) served over HTTP, the Scalar page's try-it used as a person would —
 * sign in (POST /api/auth/email/login on the auth worker), then a signed-in GET (GET /api/organizations) and a
 * POST (POST /api/organizations), both on identity-api, another origin, carried by the cookie the sign-in set.
 * Each answer's status must be shown on screen, and the database must hold what the POST created. Then the same
 * signed-in GET from identity-api's own reference (/docs), which sends it to the worker it was opened from.
 * Every operation goes to its own worker's local server (the contract's http://localhost:<port>, served here on
 * a free port: the docs app rewrites it), with the cookie (credentials: "include") and the CORS of the workers.
 *
 * Screenshots of each step: test-results/docs/*.png (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { organizations } from '@codex/database';
import { DEV_PORTS, type LocalPlatform, startLocalPlatform, WORKERS, type WorkerName } from '@codex/local';
import { hasChromium, launchChromium } from '@codex/local/chromium';
import { app as authApp } from '@codex/worker-auth';
import { app as contentApp } from '@codex/worker-content-api';
import { app as ecomApp } from '@codex/worker-ecom-api';
import { app as identityApp } from '@codex/worker-identity-api';
import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docsApp } from '../../scripts/docs/app';
import { type ServedApp, serveApp, WaitUntilTracker } from '../../scripts/lib/worker-host';

// The page.evaluate callbacks run in the browser; the project compiles without the DOM lib.
// biome-ignore lint/suspicious/noExplicitAny: browser globals, typed loosely on purpose
declare const document: any;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SCREENSHOTS = join(ROOT, 'test-results/docs');
const HAS_CHROMIUM = hasChromium('docs-try-it');

const APPS = { auth: authApp, 'content-api': contentApp, 'identity-api': identityApp, 'ecom-api': ecomApp };
const EXAMPLE_LOGIN = { email: 'ada@example.com', password: 'correct horse battery', name: 'Ada Lovelace' };

describe.skipIf(!HAS_CHROMIUM)('try-it in the merged docs (Chromium)', () => {
  let browser: Browser;
  let platform: LocalPlatform;
  const tracker = new WaitUntilTracker();
  const served: ServedApp[] = [];
  const portOf = new Map<number, number>(); // the contract's local port → the port the test serves it on
  let docsOrigin = '';

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    platform = await startLocalPlatform({ apps: APPS, vars: { LOG_LEVEL: 'silent' } });
    const docs = await serveApp(
      docsApp({ root: ROOT, localOrigin: (port, hostname) => `http://${hostname}:${portOf.get(port) ?? port}` }),
      { port: 0, env: () => ({}), tracker },
    );
    served.push(docs);
    docsOrigin = `http://127.0.0.1:${docs.port}`;
    for (const worker of WORKERS) {
      const app = await serveApp(APPS[worker as WorkerName], {
        port: 0,
        env: () => platform.envFor(worker, { CORS_ORIGINS: `http://localhost:5173,${docsOrigin}` }),
        tracker,
      });
      served.push(app);
      portOf.set(DEV_PORTS[worker], app.port);
    }
    // The account the login example names (registering is not what this test is about).
    const res = await platform.request('auth', '/api/auth/email/register', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(EXAMPLE_LOGIN),
    });
    expect(res.status).toBe(201);
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.allSettled(served.map((s) => s.close()));
    await tracker.drain();
    await platform?.close();
  });

  async function shot(page: Page, name: string) {
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });
  }

  /** Opens an operation from the sidebar, opens its try-it client, checks where it will send, sends it. */
  async function tryIt(
    page: Page,
    step: string,
    op: { group?: string; summary: string; method: string; path: string; worker: WorkerName },
  ) {
    if (op.group) {
      const group = page.getByRole('button', { name: new RegExp(`^${op.group}\\s*Open Group`) });
      if ((await group.count()) > 0) await group.first().click();
    }
    await page
      .getByRole('button', { name: new RegExp(`^${op.summary}\\s*HTTP METHOD`, 'i') })
      .first()
      .click();
    const test = page.getByRole('button', { name: `Test Request (${op.method} ${op.path})` });
    await test.first().waitFor({ timeout: 30_000 });
    await test.first().click();
    // Try-it sends to the operation's own worker, on its local server (the contract's http://localhost:<port>).
    const url = `http://127.0.0.1:${portOf.get(DEV_PORTS[op.worker])}${op.path}`;
    const send = page.getByRole('button', { name: `Send ${op.method} request to ${url}` });
    await send.waitFor({ timeout: 30_000 });
    await shot(page, `${step}-before-send`);
    const answered = page.waitForResponse((r) => r.url() === url && r.request().method() === op.method.toUpperCase());
    await send.click();
    const response = await answered;
    await page.waitForTimeout(500); // the response panel renders
    await shot(page, `${step}-answer`);
    return response;
  }

  /** What the try-it client shows (its response panel starts with the duration, size and status). */
  async function shownText(page: Page): Promise<string> {
    // innerText on purpose: what is rendered on screen.
    // biome-ignore lint/performance/useDomNodeTextContent: see above
    return page.evaluate(() => document.body.innerText);
  }

  async function closeClient(page: Page) {
    await page.getByRole('button', { name: 'Close Client' }).click();
  }

  it('signs in from try-it, then sends a signed-in GET and a POST to another worker, each answer shown on screen', async () => {
    const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(`${docsOrigin}/scalar`, { waitUntil: 'load' });
    await page.getByText('Sign in with email and password').first().waitFor({ timeout: 60_000 });
    await shot(page, '00-reference');

    // 1. Sign in: POST login on the auth worker with the operation's example body (the account exists).
    const login = await tryIt(page, '01-login', {
      summary: 'Sign in with email and password',
      method: 'post',
      path: '/api/auth/email/login',
      worker: 'auth',
    });
    expect(login.status()).toBe(200);
    expect(await login.json()).toMatchObject({ user: { email: EXAMPLE_LOGIN.email } });
    expect(await shownText(page)).toContain('200 OK');
    const cookies = await page.context().cookies();
    expect(cookies.map((c) => c.name)).toContain('codex-session');
    await closeClient(page);

    // 2. A signed-in GET on identity-api (another origin): the cookie goes with it.
    const list = await tryIt(page, '02-list-organizations', {
      group: 'Organizations',
      summary: 'List organizations',
      method: 'get',
      path: '/api/organizations',
      worker: 'identity-api',
    });
    expect(list.status()).toBe(200);
    // The database may hold other tests' organizations (PostgreSQL runs share one): assert the page, and that the
    // request carried the session cookie across origins.
    expect(await list.json()).toMatchObject({ items: expect.any(Array), pagination: { page: 1 } });
    expect((await list.request().allHeaders()).cookie ?? '').toContain('codex-session=');
    expect(await shownText(page)).toContain('200 OK');
    await closeClient(page);

    // 3. A signed-in POST with the operation's example body.
    const create = await tryIt(page, '03-create-organization', {
      group: 'Organizations',
      summary: 'Create an organization',
      method: 'post',
      path: '/api/organizations',
      worker: 'identity-api',
    });
    expect(create.status()).toBe(201);
    const created = (await create.json()) as { id: string; slug: string };
    expect(await shownText(page)).toContain('201 Created');
    const rows = await platform.db.select().from(organizations).where(eq(organizations.id, created.id));
    expect(rows).toHaveLength(1);
    expect(rows[0]?.slug).toBe(created.slug);

    // 4. A worker's own reference (/docs on identity-api): try-it goes to that worker, the cookie with it.
    await page.goto(`http://127.0.0.1:${portOf.get(DEV_PORTS['identity-api'])}/docs`, { waitUntil: 'load' });
    await page
      .getByRole('button', { name: /^Organizations/ })
      .first()
      .waitFor({ timeout: 60_000 });
    await shot(page, '04-worker-docs');
    const again = await tryIt(page, '04-worker-docs-list-organizations', {
      group: 'Organizations',
      summary: 'List organizations',
      method: 'get',
      path: '/api/organizations',
      worker: 'identity-api',
    });
    expect(again.status()).toBe(200);
    expect(await again.json()).toMatchObject({ items: expect.any(Array), pagination: { page: 1 } });
    expect((await again.request().allHeaders()).cookie ?? '').toContain('codex-session=');
    expect(await shownText(page)).toContain('200 OK');

    expect(errors.filter((e) => /content security policy|refused to|CORS/i.test(e))).toEqual([]);
    await context.close();
  }, 180_000);
});
