import { ErrorResponseSchema, HealthResponseSchema } from '@codex/contract';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import { sql } from 'drizzle-orm';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { dbLifecycle, getDb } from './db';
import { errorResponse, toErrorResponse } from './envelope';
import { createLogger, describeError, type Logger } from './logger';
import { jsonResponse } from './openapi';
import type { AppBindings, AppEnv } from './types';

export interface WorkerServers {
  production: string;
  staging: string;
  development: string;
}

export interface WorkerOptions {
  /** Service name as reported by /health and the logs, e.g. "auth-worker". */
  service: string;
  /** Short name used for the spec file, e.g. "auth". */
  name: string;
  title: string;
  version: string;
  description: string;
  servers: WorkerServers;
  /** Extra /health checks: check name → binding name. */
  kvChecks?: Record<string, keyof AppBindings>;
  r2Checks?: Record<string, keyof AppBindings>;
  /** Largest JSON body accepted (bytes). Default 1 MiB. */
  maxJsonBodyBytes?: number;
}

export type WorkerApp<B extends AppBindings = AppBindings> = OpenAPIHono<AppEnv<B>> & {
  /** The worker's OpenAPI 3.1 document (servers: production, staging, local). */
  openApiDocument(): Record<string, unknown>;
  workerOptions: WorkerOptions;
};

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

const API_CSP = "default-src 'none'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'";

export const SESSION_COOKIE = 'codex-session';

function isDevelopment(env: AppBindings | undefined) {
  return (env?.ENVIRONMENT ?? 'development') === 'development';
}

/** Per-request logger bound to the request id. */
export function getLogger(c: Context<AppEnv>): Logger {
  return createLogger((c.get('service' as never) as string) ?? 'worker', c.env?.LOG_LEVEL, {
    requestId: c.get('requestId'),
  });
}

function pathPattern(path: string) {
  const escaped = path
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg === '*' ? '.*' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${escaped}/?$`);
}

/**
 * Builds a worker: an OpenAPIHono app with the standard middleware chain
 * (request id → logging → security headers → CORS → body limit → db lifecycle),
 * the error envelope for every error, and the meta routes /health,
 * /openapi.json, /docs (Scalar, self-hosted) and /docs/scalar.js.
 */
export function createWorker<B extends AppBindings = AppBindings>(options: WorkerOptions): WorkerApp<B> {
  const app = new OpenAPIHono<AppEnv<B>>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const issues = result.error.issues.map((i) => ({
          field: i.path.length ? i.path.join('.') : '(root)',
          message: i.message,
          code: i.code,
        }));
        return errorResponse(c, 400, 'VALIDATION_ERROR', 'Request validation failed', issues);
      }
      return undefined;
    },
  }) as WorkerApp<B>;
  app.workerOptions = options;

  app.openAPIRegistry.registerComponent('securitySchemes', 'sessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The session cookie set by the auth worker on register and login (HttpOnly, SameSite=Strict).',
  });

  // 1. Request id: honoured when well-formed, generated otherwise, echoed on every response.
  app.use('*', async (c, next) => {
    const sent = c.req.header('x-request-id');
    const id = sent && REQUEST_ID.test(sent) ? sent : crypto.randomUUID();
    c.set('requestId', id);
    c.set('service' as never, options.service as never);
    c.header('x-request-id', id);
    await next();
    c.res.headers.set('x-request-id', id);
  });

  // 2. One structured log line per request: no bodies, no query strings, no cookies.
  app.use('*', async (c, next) => {
    const started = Date.now();
    await next();
    const log = getLogger(c as unknown as Context<AppEnv>);
    const status = c.res.status;
    const fields = {
      method: c.req.method,
      path: c.req.path,
      status,
      durationMs: Date.now() - started,
      ...(c.get('user') ? { userId: c.get('user')?.id } : {}),
    };
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
    if (!isDevelopment(c.env)) h.set('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  });

  // 4. CORS from an allow-list in config; credentials allowed for the session cookie.
  app.use('*', async (c, next) => {
    const allowed = (c.env?.CORS_ORIGINS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
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
        'Content-Range',
        'Accept-Ranges',
        'Content-Length',
      ],
      maxAge: 600,
    })(c, next);
  });

  // 5. JSON bodies are capped; other bodies (uploads, webhooks) are the route's business.
  const limit = bodyLimit({
    maxSize: options.maxJsonBodyBytes ?? 1024 * 1024,
    onError: (c) => errorResponse(c, 413, 'PAYLOAD_TOO_LARGE', 'Request body too large'),
  });
  app.use('*', async (c, next) => {
    if ((c.req.header('content-type') ?? '').includes('json')) return limit(c, next);
    return next();
  });

  app.use('*', dbLifecycle() as unknown as MiddlewareHandler<AppEnv<B>>);

  // 6. Hono hands only Error instances to onError; anything else thrown (the Neon driver rejects with a
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
    const log = getLogger(c as unknown as Context<AppEnv>);
    return toErrorResponse(c, err, (e) => log.error('unhandled error', describeError(e, isDevelopment(c.env))));
  });

  app.notFound((c) => {
    const allowed = new Set<string>();
    for (const r of app.routes) {
      if (r.method === 'ALL') continue;
      if (pathPattern(r.path).test(c.req.path)) allowed.add(r.method);
    }
    if (allowed.size > 0) {
      if (allowed.has('GET')) allowed.add('HEAD');
      return errorResponse(c, 405, 'METHOD_NOT_ALLOWED', `Method ${c.req.method} is not allowed here`, undefined, {
        Allow: [...allowed].sort().join(', '),
      });
    }
    return errorResponse(c, 404, 'NOT_FOUND', 'No such route');
  });

  registerMetaRoutes(app, options);

  app.openApiDocument = () =>
    app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: { title: options.title, version: options.version, description: options.description },
      servers: [
        { url: options.servers.production, description: 'Production' },
        { url: options.servers.staging, description: 'Staging' },
        { url: options.servers.development, description: 'Local development (npm run dev)' },
      ],
    }) as unknown as Record<string, unknown>;

  return app;
}

const META_TAG = 'Service';

function registerMetaRoutes<B extends AppBindings>(app: WorkerApp<B>, options: WorkerOptions) {
  const healthRoute = createRoute({
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    tags: [META_TAG],
    summary: 'Service health',
    description:
      'Checks the database and the bindings this worker uses. 200 when all are healthy, 503 when any is not.',
    security: [],
    responses: {
      200: jsonResponse(HealthResponseSchema, 'All checks healthy'),
      503: jsonResponse(HealthResponseSchema, 'At least one check failed (degraded)'),
    },
  });

  app.openapi(healthRoute, async (c) => {
    const checks: Record<string, 'healthy' | 'unhealthy'> = {};
    const settle = async (name: string, fn: () => Promise<unknown>) => {
      try {
        await withTimeout(fn(), 3000);
        checks[name] = 'healthy';
      } catch (e) {
        getLogger(c as unknown as Context<AppEnv>).warn('health check failed', { check: name, ...describeError(e) });
        checks[name] = 'unhealthy';
      }
    };
    const tasks: Promise<void>[] = [
      settle('database', () => getDb(c as unknown as Context<AppEnv>).execute(sql`select 1`)),
    ];
    for (const [name, binding] of Object.entries(options.kvChecks ?? {})) {
      tasks.push(
        settle(name, async () => {
          const kv = c.env?.[binding] as KVNamespace | undefined;
          if (!kv) throw new Error('binding missing');
          await kv.get('health-check');
        }),
      );
    }
    for (const [name, binding] of Object.entries(options.r2Checks ?? {})) {
      tasks.push(
        settle(name, async () => {
          const bucket = c.env?.[binding] as R2Bucket | undefined;
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

  const openApiRoute = createRoute({
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    tags: [META_TAG],
    summary: "This worker's OpenAPI 3.1 document",
    security: [],
    responses: {
      200: jsonResponse(
        z.object({ openapi: z.string() }).passthrough().openapi('OpenApiDocument'),
        'The OpenAPI document',
      ),
    },
  });
  app.openapi(openApiRoute, (c) => c.json(app.openApiDocument() as { openapi: string }, 200));

  const docsRoute = createRoute({
    method: 'get',
    path: '/docs',
    operationId: 'getApiReference',
    tags: [META_TAG],
    summary: 'Interactive API reference (Scalar)',
    description: 'Self-hosted: the page loads its script from /docs/scalar.js and makes no external request.',
    security: [],
    responses: { 200: { description: 'HTML page', content: { 'text/html': { schema: z.string() } } } },
  });
  app.openapi(docsRoute, async (c) => {
    const nonce = crypto.randomUUID().replace(/-/g, '');
    const handler = Scalar({
      url: '/openapi.json',
      cdn: '/docs/scalar.js',
      pageTitle: `${options.title} reference`,
      withDefaultFonts: false,
      agent: { disabled: true },
      telemetry: false,
      nonce,
    } as Parameters<typeof Scalar>[0]);
    const res = (await handler(c as never, async () => undefined)) as Response;
    // Headers go into the constructor: @hono/node-server's Response drops headers set on it afterwards.
    const headers = new Headers(res.headers);
    headers.set(
      'Content-Security-Policy',
      `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'`,
    );
    return new Response(res.body, { status: res.status, headers }) as never;
  });

  const scalarScriptRoute = createRoute({
    method: 'get',
    path: '/docs/scalar.js',
    operationId: 'getApiReferenceScript',
    tags: [META_TAG],
    summary: 'The self-hosted Scalar bundle used by /docs',
    security: [],
    responses: {
      200: { description: 'JavaScript bundle', content: { 'application/javascript': { schema: z.string() } } },
      503: jsonResponse(ErrorResponseSchema, 'The static assets binding is not configured'),
    },
  });
  app.openapi(scalarScriptRoute, async (c) => {
    const assets = c.env?.ASSETS;
    if (!assets) return errorResponse(c, 503, 'ASSETS_UNAVAILABLE', 'Static assets are not configured') as never;
    const res = await assets.fetch(new Request(new URL('/docs/scalar.js', c.req.url)));
    if (!res.ok) return errorResponse(c, 503, 'ASSETS_UNAVAILABLE', 'Static assets are not configured') as never;
    // Headers go into the constructor: @hono/node-server's Response drops headers set on it afterwards.
    return new Response(res.body, {
      status: 200,
      headers: { 'Content-Type': 'application/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=3600' },
    }) as never;
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
