/**
 * The docs guides (docs/guides/*.md, published by `npm run contract`): each exists, is generated beside the
 * static reference (generated/docs/guides/<slug>.md, current with its source), is inside the published contract's
 * description (so the Redocly and Scalar references show it), and is served by the docs of `npm run dev`; the
 * errors guide lists every code of the server's error catalogue with its status.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ERROR_CATALOGUE } from '@codex/domain';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { docsApp } from '../../scripts/docs/app';
import { GUIDES, GUIDES_OUT, GUIDES_SOURCE, renderGuides, standaloneGuide } from '../../scripts/docs/guides';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CODES = Object.entries(ERROR_CATALOGUE);
const REQUIRED = [
  'getting-started',
  'authentication',
  'errors',
  'rate-limits',
  'pagination',
  'versioning',
  'stripe-webhooks',
];

describe('docs guides', () => {
  it('has every guide the docs promise, each written and generated (current with its source)', () => {
    expect(GUIDES.map((g) => g.slug)).toEqual(REQUIRED);
    const rendered = renderGuides(ROOT);
    for (const g of rendered) {
      expect(existsSync(join(ROOT, GUIDES_SOURCE, `${g.slug}.md`)), g.slug).toBe(true);
      const generated = readFileSync(join(ROOT, GUIDES_OUT, `${g.slug}.md`), 'utf8');
      expect(generated, `${GUIDES_OUT}/${g.slug}.md is stale: run npm run contract`).toBe(standaloneGuide(g.markdown));
      expect(g.markdown.length, g.slug).toBeGreaterThan(600);
    }
  });

  it('publishes the guides inside the contract, so both references show them', () => {
    const contract = parse(readFileSync(join(ROOT, 'openapi/codex.yaml'), 'utf8')) as { info: { description: string } };
    const staticDocs = readFileSync(join(ROOT, 'generated/docs/index.html'), 'utf8');
    for (const g of GUIDES) {
      expect(contract.info.description, g.slug).toContain(`\n# ${g.title}\n`);
      expect(contract.info.description, g.slug).toContain(`(guides/${g.slug}.md)`);
      expect(staticDocs, g.slug).toContain(g.title);
    }
    for (const [code] of CODES) expect(contract.info.description).toContain(`| \`${code}\` |`);
  });

  it('serves each guide from the docs of npm run dev, and the index links them', async () => {
    const app = docsApp({ root: ROOT });
    const index = await app.request('/');
    expect(index.status).toBe(200);
    const html = await index.text();
    for (const g of GUIDES) {
      expect(html).toContain(`href="/guides/${g.slug}.md"`);
      const res = await app.request(`/guides/${g.slug}.md`);
      expect(res.status, g.slug).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/markdown; charset=utf-8');
      expect(await res.text()).toContain(`# ${g.title}\n`);
    }
    const unknown = await app.request('/guides/nope.md');
    expect(unknown.status).toBe(404);
  });

  it('lists every code of the error catalogue, with its status, meaning and action, on the errors page', async () => {
    const res = await docsApp({ root: ROOT }).request('/guides/errors.md');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('"requestId"'); // the envelope
    expect(page).toContain(`${CODES.length} codes.`);
    const rows = page.split('\n').filter((l) => /^\| `[A-Z_]+` \|/.test(l));
    expect(rows).toHaveLength(CODES.length);
    const missing = CODES.filter(([code, e]) => !rows.some((r) => r.startsWith(`| \`${code}\` | ${e.status} |`)));
    expect(missing.map(([code]) => code)).toEqual([]);
    for (const [code, e] of CODES) {
      const row = rows.find((r) => r.startsWith(`| \`${code}\` |`)) ?? '';
      expect(row, code).toContain(e.action.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' '));
    }
  });
});

describe('the merged docs of npm run dev: try-it contract', () => {
  type Server = { url: string };
  type Doc = { servers: Server[]; paths: Record<string, Record<string, { servers?: Server[]; operationId?: string }>> };
  const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

  it("gives every operation its own worker's servers, the local one first on the page's host, and the CSP allows them", async () => {
    const contract = parse(readFileSync(join(ROOT, 'openapi/codex.yaml'), 'utf8')) as Doc;
    const app = docsApp({ root: ROOT });
    const res = await app.request('http://127.0.0.1:42070/openapi/try-it.json');
    expect(res.status).toBe(200);
    const tryIt = (await res.json()) as Doc;
    const wrong: string[] = [];
    let operations = 0;
    for (const [path, item] of Object.entries(contract.paths)) {
      const pathServers = (item as unknown as { servers: Server[] }).servers;
      // Shared meta paths list every worker's servers: all the local ones come first.
      const local = pathServers
        .filter((s) => s.url.startsWith('http://localhost:'))
        .map((s) => s.url.replace('localhost', '127.0.0.1'));
      for (const method of METHODS) {
        const op = tryIt.paths[path]?.[method];
        if (!op) continue;
        operations++;
        const urls = (op.servers ?? []).map((s) => s.url);
        const expected = [
          ...local,
          ...pathServers.filter((s) => !s.url.startsWith('http://localhost:')).map((s) => s.url),
        ];
        if (JSON.stringify(urls) !== JSON.stringify(expected)) wrong.push(`${op.operationId}: ${urls.join(', ')}`);
      }
    }
    expect(operations).toBeGreaterThan(40);
    expect(wrong).toEqual([]);
    expect(tryIt.paths['/api/content']?.post?.servers?.[0]?.url).toBe('http://127.0.0.1:4001');
    expect(tryIt.paths['/api/organizations']?.post?.servers?.[0]?.url).toBe('http://127.0.0.1:42071');
    expect(tryIt.servers[0]?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const page = await app.request('http://localhost:42070/scalar');
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    for (const port of [42069, 4001, 42071, 42072]) expect(csp).toContain(`http://localhost:${port}`);
    expect(csp).toMatch(/script-src 'self' 'nonce-[0-9a-f]+'/);
    const html = await page.text();
    expect(html).toContain('/openapi/try-it.json');
    // try-it sends the session cookie (Scalar's onBeforeRequest, written into the page as source)
    expect(html).toMatch(/"onBeforeRequest": .*credentials:\s*["']include["']/);
  });
});
