import { HealthResponseSchema } from '@codex/contract';
import { DomainError, SESSION_COOKIE } from '@codex/domain';
import { OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import { sql } from 'drizzle-orm';
import type { Context, Env, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { z } from 'zod';
import { dbLifecycle, getDb } from './db';
import { docsPageCsp, scalarPageOptions } from './docs-page';
import { type BaseConfig, baseEnv, isLocalEnvironment, parseEnv } from './env';
import { errorResponse, toErrorResponse, validationDetails } from './http-errors';
import { createLogger, describeError, getLogger } from './logger';
import { rateLimiterHealth } from './rate-limit';
import { declaredErrorCodes, defineRoute, json, SESSION_SCHEME, STRIPE_SIGNATURE_SCHEME } from './route';
import type { AppEnv } from './types';

export interface WorkerServers {
  production: string;
  staging: string;
  development: string;
}

export interface WorkerOptions<S extends z.ZodType<BaseConfig>> {
  /** Service name as reported by /health and the logs, e.g. "auth-worker". */
  service: string;
  /** Short name used for the spec file, e.g. "auth". */
  name: string;
  title: string;
  version: string;
  description: string;
  servers: WorkerServers;
  /** The worker's bindings (src/env.ts), parsed once per bindings object. */
  env: S;
  /** Extra /health checks: check name → binding name. */
  kvChecks?: Record<string, string>;
  r2Checks?: Record<string, string>;
  /** Largest JSON body accepted (bytes). Default 1 MiB. */
  maxJsonBodyBytes?: number;
}

export type WorkerApp = OpenAPIHono<AppEnv> & {
  /** The worker's OpenAPI 3.1 document (servers: production, staging, local). */
  openApiDocument(): ReturnType<OpenAPIHono['getOpenAPI31Document']>;
  workerOptions: WorkerOptions<z.ZodType<BaseConfig>>;
};

/** The route groups of a worker: one OpenAPIHono per resource, mounted with `app.route('/', group)`. */
export function routeGroup() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

const API_CSP = "default-src 'none'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

/** The OpenAPI generator's options: unions of strict objects are exclusive, so they are `oneOf`. */
const GENERATOR_OPTIONS = { unionPreferredType: 'oneOf' as const };

/** Request validation failures: 400 VALIDATION_ERROR naming each field. */
export function validationHook(result: { success: boolean; error?: unknown }, c: Context) {
  if (result.success) return undefined;
  const issues = (result.error as z.ZodError | undefined)?.issues ?? [];
  return errorResponse(c, 'VALIDATION_ERROR', 'Request validation failed', validationDetails(issues));
}

function pathPattern(path: string) {
  const escaped = path
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}/?$`);
}

/** The OpenAPI path (`{id}` style) of the route that handled the request, and its method. */
function handledRoute(c: Context): { method: string; path: string } | undefined {
  const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
  const route = [...c.req.matchedRoutes].reverse().find((r) => r.method === method);
  if (!route) return undefined;
  return { method, path: route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}') };
}

/**
 * Builds a worker: an OpenAPIHono app with the standard middleware chain (request id → logging → security headers →
 * configuration → CORS → body limit → db lifecycle), the error envelope for every error, and the meta routes
 * /health, /openapi.json, /docs (Scalar, self-hosted) and /docs/scalar.js.
 */
export function createWorker<S extends z.ZodType<BaseConfig>>(options: WorkerOptions<S>): WorkerApp {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook }) as WorkerApp;
  app.workerOptions = options as WorkerOptions<z.ZodType<BaseConfig>>;
  registerComponents(app);

  // 1. Request id: honoured when well-formed, generated otherwise, echoed on every response.
  app.use('*', async (c, next) => {
    const sent = c.req.header('x-request-id');
    const id = sent && REQUEST_ID.test(sent) ? sent : crypto.randomUUID();
    c.set('requestId', id);
    c.set('service', options.service);
    c.header('x-request-id', id);
    await next();
    c.res.headers.set('x-request-id', id);
  });

  // 2. One structured log line per request: no bodies, no query strings, no cookies.
  app.use('*', async (c, next) => {
    const started = Date.now();
    await next();
    const status = c.res.status;
    const fields = {
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: Date.now() - started,
      ...(c.get('user') ? { userId: c.get('user')?.id } : {}),
    };
    const log = getLogger(c);
    if (status >= 500) log.error('request', fields);
    else log.info('request', fields);
  });

  // 3. Security headers (the docs page gets its own CSP, set by its route).
  app.use('*', async (c, next) => {
    await next();
    const h = c.res.headers;
    h.set('X-Content-Type-Options', 'nosniff');
    h.set('X-Frame-Options', 'SAMEORIGIN');
    h.set('Referrer-Policy', 'strict-origin-when-cross-origin');
    if (!h.has('Content-Security-Policy')) h.set('Content-Security-Policy', API_CSP);
    if (!isLocalEnvironment(c.get('config')?.ENVIRONMENT ?? 'production')) {
      h.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
    }
  });

  // 4. The configuration, parsed once per bindings object. Invalid: 503 for everything but /health.
  app.use('*', async (c, next) => {
    const parsed = parseEnv(options.env, c.env);
    if (parsed.ok) {
      c.set('config', parsed.config);
      return next();
    }
    const level = typeof c.env?.LOG_LEVEL === 'string' ? c.env.LOG_LEVEL : 'error';
    createLogger(options.service, level, { requestId: c.get('requestId') }).error('invalid configuration', {
      problems: parsed.problems,
    });
    c.set('config', baseEnv.parse({}));
    if (c.req.path === '/health') return next();
    return errorResponse(c, 'SERVICE_MISCONFIGURED', 'The service is not configured correctly');
  });

  // 5. CORS from an allow-list in config; credentials allowed for the session cookie.
  // The middleware is built once per allow-list (the parsed configuration is cached per bindings object).
  const corsFor = new WeakMap<readonly string[], MiddlewareHandler>();
  const corsMiddleware = (allowed: readonly string[]) => {
    let m = corsFor.get(allowed);
    if (!m) {
      m = corsWith(allowed);
      corsFor.set(allowed, m);
    }
    return m;
  };
  app.use('*', async (c, next) => corsMiddleware(c.get('config').CORS_ORIGINS)(c, next));

  // 6. JSON bodies are capped; other bodies (uploads, webhooks) are the route's business.
  const limit = bodyLimit({
    maxSize: options.maxJsonBodyBytes ?? 1024 * 1024,
    onError: (c) => errorResponse(c, 'PAYLOAD_TOO_LARGE', 'Request body too large'),
  });
  app.use('*', async (c, next) => {
    if ((c.req.header('content-type') ?? '').includes('json')) return limit(c, next);
    return next();
  });

  app.use('*', dbLifecycle());

  // 7. Hono hands only Error instances to onError; anything else thrown (the Neon driver rejects with a
  //    WebSocket ErrorEvent when the database is unreachable) would escape the envelope, so wrap it
  //    here, innermost, where the outer middleware still finishes normally.
  app.use('*', async (_c, next) => {
    try {
      await next();
    } catch (e) {
      if (e instanceof Error) throw e;
      throw new Error('Non-Error value thrown', { cause: e });
    }
  });

  app.onError((err, c) => {
    const log = getLogger(c);
    if (err instanceof DomainError) {
      const route = handledRoute(c);
      const declared = route ? declaredErrorCodes(route.method, route.path) : undefined;
      if (declared && !declared.has(err.code)) {
        log.error('error code not declared by the route', { code: err.code, route: `${route?.method} ${route?.path}` });
      }
    }
    const local = isLocalEnvironment(c.get('config')?.ENVIRONMENT ?? 'production');
    return toErrorResponse(c, err, (e) => log.error('unhandled error', describeError(e, local)));
  });

  app.notFound((c) => {
    const allowed = new Set<string>();
    for (const r of app.routes) {
      if (r.method === 'ALL') continue;
      if (pathPattern(r.path).test(c.req.path)) allowed.add(r.method);
    }
    if (allowed.size > 0) {
      if (allowed.has('GET')) allowed.add('HEAD');
      return errorResponse(c, 'METHOD_NOT_ALLOWED', `Method ${c.req.method} is not allowed here`, undefined, {
        Allow: [...allowed].sort().join(', '),
      });
    }
    return errorResponse(c, 'ROUTE_NOT_FOUND', 'No such route');
  });

  registerMetaRoutes(app, options);

  app.openApiDocument = () =>
    app.getOpenAPI31Document(
      {
        openapi: '3.1.0',
        info: { title: options.title, version: options.version, description: options.description },
        servers: [
          { url: options.servers.production, description: 'Production' },
          { url: options.servers.staging, description: 'Staging' },
          { url: options.servers.development, description: 'Local development (npm run dev)' },
        ],
      },
      GENERATOR_OPTIONS,
    );

  return app;
}

/** Security schemes and the response headers every route refers to. */
function registerComponents<E extends Env>(app: OpenAPIHono<E>) {
  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', SESSION_SCHEME, {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description:
      'The session cookie set by the auth worker on register and login (HttpOnly, SameSite=Strict, Secure outside local development). Browsers send it by themselves (fetch with credentials: "include"); servers send `Cookie: codex-session=<value>`.',
  });
  registry.registerComponent('securitySchemes', STRIPE_SIGNATURE_SCHEME, {
    type: 'apiKey',
    in: 'header',
    name: 'stripe-signature',
    description:
      'Stripe\'s webhook signature (`t=<unix seconds>,v1=<HMAC-SHA256 of "t.body">`), computed with the endpoint\'s signing secret and verified over the raw body; older than 300 s is refused.',
  });
  const header = (description: string, schema: Record<string, unknown>, required = false) => ({
    description,
    required,
    schema,
  });
  registry.registerComponent(
    'headers',
    'XRequestId',
    header(
      'Identifies the request in the logs of every worker it touched: echoed when the request sent a well-formed one (8–128 of A-Z a-z 0-9 . _ : -), generated otherwise.',
      { type: 'string', example: '550e8400-e29b-41d4-a716-446655440000' },
      true,
    ),
  );
  registry.registerComponent(
    'headers',
    'XRateLimitLimit',
    header('Requests allowed in the current window for this caller and operation', { type: 'integer', example: 100 }),
  );
  registry.registerComponent(
    'headers',
    'XRateLimitRemaining',
    header(
      'Requests left in the current window. Exact for limits below 200 (every preset but the webhook one); for higher limits, what this worker knows at this moment: requests another worker was granted but has not yet used may still be counted as left.',
      { type: 'integer', example: 99 },
    ),
  );
  registry.registerComponent(
    'headers',
    'XRateLimitReset',
    header('Seconds until the current window resets', { type: 'integer', example: 42 }),
  );
  registry.registerComponent(
    'headers',
    'RetryAfter',
    header('Seconds to wait before retrying', { type: 'integer', minimum: 1, example: 5 }),
  );
  registry.registerComponent(
    'headers',
    'RetryAfterRequired',
    header('Seconds until the limit resets', { type: 'integer', minimum: 1, example: 21 }, true),
  );
  registry.registerComponent(
    'headers',
    'Allow',
    header('The methods this path has', { type: 'string', example: 'GET, HEAD, PATCH' }, true),
  );
  registry.registerComponent(
    'headers',
    'IdempotentReplayed',
    header(
      '`true` when this is the stored answer to an earlier request with the same Idempotency-Key (nothing was done again); absent otherwise.',
      { type: 'string', enum: ['true'] },
    ),
  );
  registry.registerComponent(
    'headers',
    'ContentRangeUnsatisfied',
    header('`bytes */<size>`: the size of the file', { type: 'string', example: 'bytes */1048576' }, true),
  );
}

const META_TAG = 'Service';

const healthRoute = defineRoute({
  method: 'get',
  path: '/health',
  operationId: 'getHealth',
  tag: META_TAG,
  summary: 'Service health',
  description:
    'Checks the configuration, the database, the rate limiter and the bindings this worker uses. 200 when all are healthy, 503 (the same report, status degraded) when any is not.',
  access: 'public',
  rateLimit: null,
  database: false,
  responses: {
    200: json(HealthResponseSchema, 'All checks healthy'),
    503: json(HealthResponseSchema, 'At least one check failed (degraded)'),
  },
});

const OpenApiDocumentSchema = z.looseObject({ openapi: z.string() }).meta({ id: 'OpenApiDocument' });

const openApiRoute = defineRoute({
  method: 'get',
  path: '/openapi.json',
  operationId: 'getOpenApiDocument',
  tag: META_TAG,
  summary: "This worker's OpenAPI 3.1 document",
  description: "The worker's own part of the contract (the merged contract of all four is openapi/codex.yaml).",
  access: 'public',
  rateLimit: null,
  database: false,
  responses: { 200: json(OpenApiDocumentSchema, 'The OpenAPI document') },
});

const docsRoute = defineRoute({
  method: 'get',
  path: '/docs',
  operationId: 'getApiReference',
  tag: META_TAG,
  summary: 'Interactive API reference (Scalar)',
  description:
    "Self-hosted: the page loads its script from /docs/scalar.js and makes no external request of its own. Try-it sends requests to the server the page was opened from (the other servers of this worker are offered), with the browser's cookies, so a session cookie from a sign-in goes with signed-in operations.",
  access: 'public',
  rateLimit: null,
  database: false,
  responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } },
});

const scalarScriptRoute = defineRoute({
  method: 'get',
  path: '/docs/scalar.js',
  operationId: 'getApiReferenceScript',
  tag: META_TAG,
  summary: 'The self-hosted Scalar bundle used by /docs',
  description: 'Served from the static assets deployed with the worker.',
  access: 'public',
  rateLimit: null,
  database: false,
  errors: ['ASSETS_UNAVAILABLE'],
  responses: {
    200: { description: 'JavaScript bundle', content: { 'application/javascript': { schema: z.string() } } },
  },
});

function registerMetaRoutes<S extends z.ZodType<BaseConfig>>(app: WorkerApp, options: WorkerOptions<S>) {
  app.openapi(healthRoute, async (c) => {
    const checks: Record<string, 'healthy' | 'unhealthy'> = {};
    const settle = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await withTimeout(fn(), 3000);
        checks[name] = 'healthy';
      } catch (e) {
        getLogger(c).warn('health check failed', { check: name, ...describeError(e) });
        checks[name] = 'unhealthy';
      }
    };
    const env = (c.env ?? {}) as Record<string, unknown>;
    const tasks: Promise<void>[] = [
      settle('configuration', async () => {
        if (!parseEnv(options.env, c.env).ok) throw new Error('invalid configuration');
      }),
      settle('database', () => getDb(c).execute(sql`select 1`)),
      settle('rate_limiter', () => rateLimiterHealth(c.get('config'))),
    ];
    for (const [name, binding] of Object.entries(options.kvChecks ?? {})) {
      tasks.push(
        settle(name, async () => {
          const kv = env[binding] as KVNamespace | undefined;
          if (!kv) throw new Error('binding missing');
          await kv.get('health-check');
        }),
      );
    }
    for (const [name, binding] of Object.entries(options.r2Checks ?? {})) {
      tasks.push(
        settle(name, async () => {
          const bucket = env[binding] as R2Bucket | undefined;
          if (!bucket) throw new Error('binding missing');
          await bucket.head('health-check');
        }),
      );
    }
    await Promise.all(tasks);
    const healthy = Object.values(checks).every((v) => v === 'healthy');
    const body = {
      status: healthy ? ('healthy' as const) : ('degraded' as const),
      service: options.service,
      version: options.version,
      timestamp: new Date().toISOString(),
      checks,
    };
    c.header('Cache-Control', 'no-store');
    return healthy ? c.json(body, 200) : c.json(body, 503);
  });

  app.openapi(openApiRoute, (c) => c.json(app.openApiDocument() as { openapi: string }, 200));

  app.openapi(docsRoute, async (c) => {
    const nonce = crypto.randomUUID().replace(/-/g, '');
    const origin = new URL(c.req.url).origin;
    // Try-it talks to the worker the page was served by (the first server), the others are listed after it.
    const servers = [
      { url: origin, description: 'This server' },
      ...Object.entries(options.servers)
        .filter(([, url]) => url !== origin)
        .map(([name, url]) => ({ url, description: name[0]?.toUpperCase() + name.slice(1) })),
    ];
    const handler = Scalar<AppEnv>({
      ...scalarPageOptions({
        url: '/openapi.json',
        cdn: '/docs/scalar.js',
        pageTitle: `${options.title} reference`,
        nonce,
      }),
      servers,
    } as unknown as Parameters<typeof Scalar<AppEnv>>[0]);
    const res = (await handler(c as Context<AppEnv>, async () => undefined)) as Response;
    // Headers go into the constructor: @hono/node-server's Response drops headers set on it afterwards.
    const headers = new Headers(res.headers);
    headers.set(
      'Content-Security-Policy',
      docsPageCsp(
        nonce,
        servers.map((s) => s.url),
      ),
    );
    return new Response(res.body, { status: res.status, headers });
  });

  app.openapi(scalarScriptRoute, async (c) => {
    const assets = (c.env as { ASSETS?: Fetcher } | undefined)?.ASSETS;
    if (!assets) throw new DomainError('ASSETS_UNAVAILABLE', 'Static assets are not configured');
    const res = await assets.fetch(new Request(new URL('/docs/scalar.js', c.req.url)));
    if (!res.ok) throw new DomainError('ASSETS_UNAVAILABLE', 'Static assets are not configured');
    // Headers go into the constructor: @hono/node-server's Response drops headers set on it afterwards.
    return new Response(res.body, {
      status: 200,
      headers: { 'Content-Type': 'application/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600' },
    });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** CORS from an allow-list in config; credentials allowed for the session cookie. */
function corsWith(allowed: readonly string[]): MiddlewareHandler {
  return cors({
    origin: (origin) => (allowed.includes(origin) ? origin : null),
    credentials: true,
    // The headers @codex/client sends, and the answer headers it reads, from a page on another origin.
    allowHeaders: ['Content-Type', 'x-request-id', 'Idempotency-Key', 'Range'],
    exposeHeaders: [
      'x-request-id',
      'Retry-After',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'Content-Range',
      'Accept-Ranges',
      'Content-Length',
      'Idempotent-Replayed',
    ],
    maxAge: 600,
  });
}
