/**
 * Checks every worker's bundle must pass inside workerd (the real Workers runtime), shared by the
 * workers/<w>/test-workerd suites. Runtime-neutral: the caller passes the worker's fetch (SELF.fetch).
 */
import { describe, expect, it } from 'vitest';

export interface BootExpectations {
  /** `service` reported by /health, e.g. "auth-worker". */
  service: string;
  /** `info.title` of the OpenAPI document. */
  title: string;
  /** The /health checks besides `database`. */
  checks: string[];
  /** Whether a database is reachable from the worker in this run (DATABASE_URL + relay). */
  database: boolean;
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function describeWorkerBoot(fetch: Fetch, expected: BootExpectations, bundle: Fetch) {
  describe(`${expected.service} boots in workerd`, () => {
    it("wrangler's deploy bundle starts as a Worker and answers /health", async () => {
      const res = await bundle('http://localhost/health');
      expect(res.status).toBe(expected.database ? 200 : 503);
      const body = (await res.json()) as { service: string; checks: Record<string, string> };
      expect(body.service).toBe(expected.service);
      expect(Object.keys(body.checks).sort()).toEqual([...expected.checks, 'configuration', 'database'].sort());
    });

    it('GET /health reports every check, with the database state of this run', async () => {
      const res = await fetch('http://localhost/health');
      const body = (await res.json()) as Record<string, unknown>;
      const checks = Object.fromEntries(
        [...expected.checks, 'configuration', 'database'].map((name) => [
          name,
          name === 'database' && !expected.database ? 'unhealthy' : 'healthy',
        ]),
      );
      expect(res.status).toBe(expected.database ? 200 : 503);
      expect(body).toEqual({
        status: expected.database ? 'healthy' : 'degraded',
        service: expected.service,
        version: '1.0.0',
        timestamp: expect.stringMatching(ISO),
        checks,
      });
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    });

    it('GET /openapi.json is an OpenAPI 3.1 document with unique operation ids and documented responses', async () => {
      const res = await fetch('http://localhost/openapi.json');
      expect(res.status).toBe(200);
      const doc = (await res.json()) as {
        openapi: string;
        info: { title: string; version: string };
        servers: Array<{ url: string }>;
        paths: Record<string, Record<string, { operationId?: string; responses?: Record<string, unknown> }>>;
        components?: { securitySchemes?: Record<string, unknown> };
      };
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.info).toMatchObject({ title: expected.title, version: '1.0.0' });
      expect(doc.servers.length).toBe(3);
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/openapi.json', '/docs']));
      expect(doc.components?.securitySchemes?.sessionCookie).toMatchObject({
        type: 'apiKey',
        in: 'cookie',
        name: 'codex-session',
      });
      const ids: string[] = [];
      for (const [path, item] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(item)) {
          if (!['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(method)) continue;
          expect(op.operationId, `${method.toUpperCase()} ${path} operationId`).toMatch(/^[a-z][A-Za-z0-9]*$/);
          expect(Object.keys(op.responses ?? {}).length, `${method.toUpperCase()} ${path} responses`).toBeGreaterThan(
            0,
          );
          ids.push(op.operationId as string);
        }
      }
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('GET /docs serves Scalar with its bundle from the ASSETS binding (no external request)', async () => {
      const page = await fetch('http://localhost/docs');
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('/docs/scalar.js');
      expect(html).not.toMatch(/https:\/\/cdn\./);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self' 'nonce-");
      const js = await fetch('http://localhost/docs/scalar.js');
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/^application\/javascript/);
      expect((await js.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    });

    it('an unknown route answers 404 in the error envelope', async () => {
      const res = await fetch('http://localhost/no-such-route');
      expect(res.status).toBe(404);
      const body = (await res.json()) as { error: { code: string }; requestId: string; timestamp: string };
      expect(body.error.code).toBe('ROUTE_NOT_FOUND');
      expect(body.requestId).toBe(res.headers.get('x-request-id'));
      expect(body.timestamp).toMatch(ISO);
    });
  });
}
