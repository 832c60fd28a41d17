/**
 * The merged docs as a workbench, driven in headless Chromium: the four real workers and the docs app of
 * `npm run dev` (scripts/docs/app.ts) served over HTTP, the Scalar page's try-it used as a person would —
 * sign in (POST /api/auth/email/login on the auth worker), then a signed-in GET (GET /api/organizations) and a
 * POST (POST /api/organizations), both on identity-api, another origin, carried by the cookie the sign-in set.
 * Each answer's status must be shown on screen, and the database must hold what the POST created.
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

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SCREENSHOTS = join(ROOT, 'test-results/docs');
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

  it('explore', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const log: string[] = [];
    page.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
    page.on('request', (r) => log.push(`req ${r.method()} ${r.url()}`));
    await page.goto(`${docsOrigin}/scalar`, { waitUntil: 'load' });
    await page.getByText('Sign in with email and password', { exact: false }).first().waitFor({ timeout: 30_000 });
    await shot(page, '00-loaded');
    console.log(log.filter((l) => !l.includes('scalar.js')).join('\n'));
  }, 120_000);
});
