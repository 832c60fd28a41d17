/**
 * The meta operations every worker serves (/health, /openapi.json, /docs, /docs/scalar.js). The contract lists
 * each once with the servers of all workers; every case here runs against each of them.
 */
import { expect } from 'vitest';
import { DATABASE_UNREACHABLE, NO_ASSETS } from '../harness/env';
import { defineCase, defineScenarios } from '../harness/types';

const SERVICE_NAMES = {
  auth: 'auth-worker',
  'content-api': 'content-api',
  'identity-api': 'identity-api',
  'ecom-api': 'ecom-api',
} as const;

interface HealthBody {
  status: string;
  service: string;
  checks: Record<string, string>;
}

export const metaScenarios = defineScenarios({
  getHealth: [
    defineCase({
      name: 'every check healthy',
      status: 200,
      request: () => ({}),
      assert(ctx, res) {
        const body = res.body as HealthBody;
        expect(body.status).toBe('healthy');
        expect(body.service).toBe(SERVICE_NAMES[ctx.worker]);
        expect(body.checks.database).toBe('healthy');
        expect(Object.values(body.checks).every((v) => v === 'healthy')).toBe(true);
        expect(res.headers.get('cache-control')).toBe('no-store');
      },
    }),
    defineCase({
      name: 'database unreachable → degraded',
      status: 503,
      env: DATABASE_UNREACHABLE,
      request: () => ({}),
      assert(ctx, res) {
        const body = res.body as HealthBody;
        expect(body.status).toBe('degraded');
        expect(body.service).toBe(SERVICE_NAMES[ctx.worker]);
        expect(body.checks.database).toBe('unhealthy');
        expect(body.checks.rate_limiter).toBe('healthy');
        // Nothing about the failure leaks into the public body.
        expect(res.text).not.toMatch(/127\.0\.0\.1|nobody|ECONNREFUSED/);
      },
    }),
    defineCase({
      name: 'rate limiter binding missing → degraded',
      status: 503,
      env: { RATE_LIMITER: undefined },
      request: () => ({}),
      assert(_ctx, res) {
        const body = res.body as HealthBody;
        expect(body.status).toBe('degraded');
        expect(body.checks.rate_limiter).toBe('unhealthy');
        expect(body.checks.database).toBe('healthy');
      },
    }),
    defineCase({
      name: 'an unreadable RATE_LIMITS override → degraded (the presets stay in force)',
      status: 503,
      env: { RATE_LIMITS: 'api=lots/60' },
      request: () => ({}),
      assert(_ctx, res) {
        const body = res.body as HealthBody;
        expect(body.status).toBe('degraded');
        expect(body.checks.rate_limiter).toBe('unhealthy');
        expect(body.checks.database).toBe('healthy');
      },
    }),
  ],

  getOpenApiDocument: [
    defineCase({
      name: "the worker's own OpenAPI 3.1 document, matching the contract",
      status: 200,
      request: () => ({}),
      assert(ctx, res) {
        const doc = res.body as { openapi: string; paths: Record<string, Record<string, { operationId?: string }>> };
        expect(doc.openapi).toMatch(/^3\.1\./);
        // What the worker publishes and what the contract says it serves are the same operations.
        const published = Object.entries(doc.paths ?? {})
          .flatMap(([path, item]) =>
            Object.entries(item)
              .filter(([k, v]) => typeof v === 'object' && v && 'operationId' in v && k !== 'servers')
              .map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
          )
          .sort();
        const declared = ctx.contract.operations
          .filter((op) => op.workers.includes(ctx.worker))
          .map((op) => `${op.method} ${op.path} ${op.operationId}`)
          .sort();
        expect(published).toEqual(declared);
      },
    }),
  ],

  getApiReference: [
    defineCase({
      name: 'the Scalar page, self-hosted',
      status: 200,
      request: () => ({}),
      assert(_ctx, res) {
        expect(res.text).toContain('/docs/scalar.js');
        expect(res.text).toContain('/openapi.json');
        // No script, style or font from anywhere else.
        expect(res.text).not.toMatch(/<script[^>]+src=["']https?:/i);
        expect(res.text).not.toMatch(/fonts\.(googleapis|gstatic)|cdn\.jsdelivr/i);
        const csp = res.headers.get('content-security-policy') ?? '';
        expect(csp).toMatch(/script-src 'self' 'nonce-[0-9a-f]+'/);
        expect(csp).not.toContain('unsafe-eval');
      },
    }),
  ],

  getApiReferenceScript: [
    defineCase({
      name: 'the self-hosted Scalar bundle',
      status: 200,
      request: () => ({}),
      assert(_ctx, res) {
        expect(res.text.length).toBeGreaterThan(100_000);
        expect(res.headers.get('cache-control')).toMatch(/max-age=\d+/);
      },
    }),
    defineCase({
      name: 'static assets binding missing → 503',
      status: 503,
      env: NO_ASSETS,
      request: () => ({}),
      assert(_ctx, res) {
        expect((res.body as { error: { code: string } }).error.code).toBe('ASSETS_UNAVAILABLE');
      },
    }),
  ],
});
