/**
 * The worker toolkit itself, through a small worker built with it (createWorker + defineRoute), as every worker is:
 * what a route declaration documents, and how the toolkit answers what a handler throws or a deployment gets wrong.
 */
import { DomainError } from '@codex/domain';
import { baseEnv, createWorker, defineRoute, json, jsonBody, RATE_LIMIT_PRESETS, routeGroup } from '@codex/worker-kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';

const Thing = z.object({ id: z.string(), name: z.string() }).meta({ id: 'ProbeThing' });

const getThing = defineRoute({
  method: 'get',
  path: '/things/{id}',
  operationId: 'getThing',
  tag: 'Probe',
  summary: 'Get a thing',
  description: 'A probe route.',
  access: 'session',
  request: { params: z.object({ id: z.string().meta({ param: { name: 'id', in: 'path' } }) }) },
  responses: { 200: json(Thing, 'The thing') },
  errors: ['CONTENT_NOT_FOUND'],
});

const createThing = defineRoute({
  method: 'post',
  path: '/things',
  operationId: 'createThing',
  tag: 'Probe',
  summary: 'Create a thing',
  description: 'A probe route without the database.',
  access: 'public',
  rateLimit: null,
  database: false,
  request: { body: jsonBody(z.strictObject({ name: z.string() })) },
  responses: { 201: json(Thing, 'Created') },
});

const failing = (path: string, errors: Parameters<typeof defineRoute>[0]['errors'] = []) =>
  defineRoute({
    method: 'get',
    path,
    operationId: path.replace(/\W/g, ''),
    tag: 'Probe',
    summary: 'Fails',
    description: 'Throws.',
    access: 'public',
    rateLimit: null,
    database: false,
    responses: { 200: json(Thing, 'Never') },
    errors,
  });

const plainError = failing('/fail/error');
const nonError = failing('/fail/non-error');
const undeclared = failing('/fail/undeclared', ['CONTENT_NOT_FOUND']);

const routes = routeGroup();
routes.openapi(getThing, (c) => c.json({ id: c.req.valid('param').id, name: 'x' }, 200));
routes.openapi(createThing, (c) => c.json({ id: '1', name: c.req.valid('json').name }, 201));
routes.openapi(plainError, () => {
  throw new Error('SELECT password FROM users WHERE email = $1 -- params: ada@example.com');
});
routes.openapi(nonError, () => {
  throw 'a string, not an Error';
});
routes.openapi(undeclared, () => {
  throw new DomainError('SLUG_TAKEN', 'The slug is taken');
});

const app = createWorker({
  service: 'probe-worker',
  name: 'probe',
  title: 'Probe',
  version: '0.0.0',
  description: 'The toolkit under test.',
  servers: { production: 'https://probe.example', staging: 'https://probe.example', development: 'http://localhost' },
  env: baseEnv,
});
app.route('/', routes);

const env = { ENVIRONMENT: 'test', LOG_LEVEL: 'error' };
const call = (path: string, init: RequestInit = {}, bindings: Record<string, unknown> = env) =>
  app.fetch(new Request(new URL(path, 'http://localhost'), init), bindings);

afterEach(() => vi.restoreAllMocks());

function captureErrors() {
  const lines: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((line: unknown) => void lines.push(String(line)));
  return lines;
}

describe('what a declaration documents', () => {
  const doc = app.openApiDocument() as unknown as {
    paths: Record<string, Record<string, { security: unknown; responses: Record<string, Record<string, unknown>> }>>;
  };
  const codesOf = (response: Record<string, unknown> | undefined) =>
    (
      response as {
        content: {
          'application/json': {
            schema: { properties: { error: { properties: { code: { allOf: Array<{ enum?: string[] }> } } } } };
          };
        };
      }
    ).content['application/json'].schema.properties.error.properties.code.allOf[1]?.enum;

  it('a session route: its security, 401 with both codes, 429 with Retry-After, 503 with its dependencies, 405 and 500', () => {
    const op = doc.paths['/things/{id}']?.get;
    if (!op) throw new Error('GET /things/{id} is not documented');
    const headersOf = (status: string) => Object.keys((op.responses[status] as { headers?: object }).headers ?? {});
    expect(op.security).toEqual([{ sessionCookie: [] }]);
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(['200', '400', '401', '404', '405', '429', '500', '503']);
    expect(codesOf(op?.responses['401'])).toEqual(['AUTHENTICATION_REQUIRED', 'SESSION_INVALID']);
    expect(codesOf(op?.responses['404'])).toEqual(['CONTENT_NOT_FOUND']);
    expect(codesOf(op?.responses['429'])).toEqual(['RATE_LIMITED']);
    expect(codesOf(op?.responses['503'])).toEqual([
      'AUTH_UNAVAILABLE',
      'DATABASE_UNAVAILABLE',
      'RATE_LIMITER_UNAVAILABLE',
      'SERVICE_MISCONFIGURED',
    ]);
    expect(headersOf('429')).toContain('Retry-After');
    expect(headersOf('200')).toEqual([
      'x-request-id',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ]);
    expect(headersOf('405')).toContain('Allow');
  });

  it('a public route with a JSON body and no database: 400/413/415 from the body, no 401, no 429, no DATABASE_UNAVAILABLE', () => {
    const op = doc.paths['/things']?.post;
    expect(op?.security).toEqual([]);
    expect(Object.keys(op?.responses ?? {}).sort()).toEqual(['201', '400', '405', '413', '415', '500', '503']);
    expect(codesOf(op?.responses['400'])).toEqual(['MALFORMED_JSON', 'VALIDATION_ERROR']);
    expect(codesOf(op?.responses['503'])).toEqual(['SERVICE_MISCONFIGURED']);
  });
});

describe('how the toolkit answers', () => {
  it('an unexpected error: 500 INTERNAL_ERROR in the envelope, nothing of the error in the answer', async () => {
    captureErrors();
    const res = await call('/fail/error', { headers: { 'x-request-id': 'probe-request-0001' } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({
      error: { code: 'INTERNAL_ERROR', message: 'An unexpected error occurred' },
      requestId: 'probe-request-0001',
    });
    expect(text).not.toMatch(/SELECT|password|ada@example\.com|params/);
  });

  it('a thrown value that is not an Error: 500 in the envelope too', async () => {
    captureErrors();
    const res = await call('/fail/non-error');
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INTERNAL_ERROR');
  });

  it("a domain error the route did not declare: answered with the catalogue's status, and logged as undeclared", async () => {
    const lines = captureErrors();
    const res = await call('/fail/undeclared');
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SLUG_TAKEN');
    expect(lines.some((l) => l.includes('error code not declared by the route') && l.includes('SLUG_TAKEN'))).toBe(
      true,
    );
  });

  it('an invalid configuration: every route fails closed with 503 SERVICE_MISCONFIGURED; /health says which check', async () => {
    captureErrors();
    const bad = { ...env, ENVIRONMENT: 'prod' };
    const res = await call(
      '/things',
      { method: 'POST', body: '{"name":"x"}', headers: { 'content-type': 'application/json' } },
      bad,
    );
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('SERVICE_MISCONFIGURED');
    const health = await call('/health', {}, bad);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { checks: Record<string, string> }).checks.configuration).toBe('unhealthy');
  });

  it('another method on a declared path: 405 METHOD_NOT_ALLOWED with Allow; an unknown path: 404 ROUTE_NOT_FOUND', async () => {
    const wrong = await call('/things', { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST');
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
    const none = await call('/no/such/path');
    expect(none.status).toBe(404);
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('request validation: 400 VALIDATION_ERROR naming each unknown field, 400 MALFORMED_JSON for a broken body', async () => {
    const extra = await call('/things', {
      method: 'POST',
      body: JSON.stringify({ name: 'x', role: 'admin', id: 'mine' }),
      headers: { 'content-type': 'application/json' },
    });
    expect(extra.status).toBe(400);
    const details = ((await extra.json()) as { error: { details: Array<{ field: string }> } }).error.details;
    expect(details.map((d) => d.field).sort()).toEqual(['id', 'role']);
    const broken = await call('/things', {
      method: 'POST',
      body: '{"name":',
      headers: { 'content-type': 'application/json' },
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { code: string } }).error.code).toBe('MALFORMED_JSON');
  });

  it('the rate-limit preset of a session route is the API preset (documented in its description)', () => {
    const op = (app.openApiDocument() as unknown as { paths: Record<string, Record<string, { description: string }>> })
      .paths['/things/{id}']?.get;
    expect(op?.description).toContain(`Rate limit: ${RATE_LIMIT_PRESETS.api.limit} requests per`);
  });
});
