/**
 * The API reference pages, opened in headless Chromium as a reader would:
 * (a) a worker's Scalar page (/docs), served by the real app over HTTP with the local platform's
 *     bindings (ASSETS serves the self-hosted /docs/scalar.js);
 * (b) the static docs built by `npm run contract` (generated/docs/index.html), from a local web server.
 * Each must render every operation of its contract, make no request to another origin (docs work
 * offline, no CDN, no fonts, no telemetry) and log no Content-Security-Policy violation.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalPlatform, startLocalPlatform } from '@codex/local';
import { hasChromium, launchChromium } from '@codex/local/chromium';
import identityApp from '@codex/worker-identity-api';
import { serve } from '@hono/node-server';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

// The page.evaluate callbacks run in the browser; the project compiles without the DOM lib.
// biome-ignore lint/suspicious/noExplicitAny: browser globals, typed loosely on purpose
declare const document: any;
// biome-ignore lint/suspicious/noExplicitAny: browser globals, typed loosely on purpose
declare const window: any;

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const HAS_CHROMIUM = hasChromium('docs-browser');

// biome-ignore lint/suspicious/noExplicitAny: walking a parsed OpenAPI document
type Obj = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'options', 'head', 'trace'];

function operationsOf(doc: Obj) {
  const ops: Array<{ operationId: string; summary: string; tag: string; method: string; path: string }> = [];
  for (const [path, item] of Object.entries(doc.paths as Obj)) {
    for (const method of METHODS) {
      const op = (item as Obj)[method];
      if (op) ops.push({ operationId: op.operationId, summary: op.summary, tag: op.tags?.[0], method, path });
    }
  }
  return ops;
}

interface Observed {
  requests: string[];
  consoleErrors: string[];
}

/** Records every request and console error of the page. */
function observe(page: Page): Observed {
  const seen: Observed = { requests: [], consoleErrors: [] };
  page.on('request', (r) => seen.requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') seen.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => seen.consoleErrors.push(`pageerror: ${e.message}`));
  return seen;
}

function foreignRequests(requests: string[], origin: string) {
  return requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin);
}

const cspViolations = (errors: string[]) => errors.filter((e) => /content security policy|refused to/i.test(e));

function listen(server: Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
  );
}

describe.skipIf(!HAS_CHROMIUM)('API reference pages in headless Chromium', () => {
  let browser: Browser;
  let platform: LocalPlatform;

  beforeAll(async () => {
    browser = await launchChromium();
    platform = await startLocalPlatform({ apps: { 'identity-api': identityApp }, vars: { LOG_LEVEL: 'silent' } });
  });

  afterAll(async () => {
    await browser?.close();
    await platform?.close();
  });

  it("renders every operation of a worker's Scalar page (/docs) from the real app, offline", async () => {
    const server = serve({
      fetch: (req: Request) => identityApp.fetch(req, platform.envFor('identity-api')),
      port: 0,
      hostname: '127.0.0.1',
    }) as Server;
    const origin = await new Promise<string>((resolve) => {
      if (server.listening) resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
      else server.once('listening', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
    });
    const page = await browser.newPage();
    const seen = observe(page);
    try {
      const res = await page.goto(`${origin}/docs`, { waitUntil: 'load' });
      expect(res?.status()).toBe(200);
      const ops = operationsOf(identityApp.openApiDocument() as Obj);
      expect(ops.length).toBeGreaterThan(4);
      // Scalar renders client-side from /openapi.json, one sidebar group per tag, the later groups
      // collapsed: wait for the first operation, open every group, then read the sidebar.
      await page
        .getByText(ops[0]?.summary ?? '', { exact: true })
        .first()
        .waitFor({ timeout: 30_000 });
      for (let i = 0; i < 20; i++) {
        const closed = page.getByRole('button', { name: 'Open Group' });
        if ((await closed.count()) === 0) break;
        await closed.first().click();
      }
      // innerText on purpose: what is rendered, not hidden template text.
      // biome-ignore lint/performance/useDomNodeTextContent: see above
      const text = await page.evaluate(() => document.body.innerText);
      const missing = ops.filter((o) => !text.includes(o.summary)).map((o) => `${o.operationId} (${o.summary})`);
      expect(missing).toEqual([]);

      expect(seen.requests).toContain(`${origin}/docs/scalar.js`);
      expect(seen.requests).toContain(`${origin}/openapi.json`);
      expect(foreignRequests(seen.requests, origin)).toEqual([]);
      expect(cspViolations(seen.consoleErrors)).toEqual([]);
    } finally {
      await page.close();
      await new Promise((r) => server.close(r));
    }
  });

  it('renders every operation of the merged contract in the static docs (generated/docs/index.html), offline', async () => {
    const docsFile = join(ROOT, 'generated/docs/index.html');
    const html = readFileSync(docsFile);
    const server = createServer((req, res) => {
      if (req.url === '/' || req.url === '/index.html') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(html);
      } else {
        res.writeHead(404).end();
      }
    });
    const origin = await listen(server);
    const page = await browser.newPage();
    const seen = observe(page);
    try {
      const res = await page.goto(`${origin}/`, { waitUntil: 'load' });
      expect(res?.status()).toBe(200);
      const contract = parse(readFileSync(join(ROOT, 'openapi/codex.yaml'), 'utf8')) as Obj;
      const ops = operationsOf(contract);
      expect(ops.length).toBeGreaterThan(4);
      // Redoc 3 routes each operation at #/<tag>/<operationid> (its sidebar links each tag as /<tag>; the
      // landing page shows the guides of info.description); open every operation's page and check its summary
      // and path are rendered.
      const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-');
      await page.waitForSelector(`a[href="/${slug(ops[0]?.tag ?? '')}"]`, { state: 'attached', timeout: 30_000 });
      const links = await page.evaluate(() =>
        [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href')),
      );
      for (const tag of new Set(ops.map((o) => o.tag))) expect(links).toContain(`/${slug(tag)}`);
      // The guides are sections of the landing page.
      expect(links).toContain('/section/getting-started');
      expect(links).toContain('/section/errors');
      const missing: string[] = [];
      for (const op of ops) {
        await page.evaluate(
          (hash) => {
            window.location.hash = hash;
          },
          `#/${slug(op.tag)}/${op.operationId.toLowerCase()}`,
        );
        const shown = await page
          .waitForFunction(
            ([summary, path]) => {
              const main = document.querySelector('main') ?? document.body;
              return main.textContent?.includes(summary as string) && main.textContent.includes(path as string);
            },
            [op.summary, op.path],
            { timeout: 15_000 },
          )
          .then(() => true)
          .catch(() => false);
        if (!shown) missing.push(`${op.operationId} (${op.method.toUpperCase()} ${op.path})`);
      }
      expect(missing).toEqual([]);

      expect(foreignRequests(seen.requests, origin)).toEqual([]);
      expect(cspViolations(seen.consoleErrors)).toEqual([]);
    } finally {
      await page.close();
      await new Promise((r) => server.close(r));
    }
  });
});
