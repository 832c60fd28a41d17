/**
 * One declaration per route. `defineRoute` takes what a route author knows — method, path, docs, who may call it
 * (`access`), its rate limit, its inputs, its success responses and the domain error codes its handler can
 * return — and derives everything else from it, so that what is documented and what is enforced cannot drift:
 *
 * - the security requirement of the contract and the middleware that enforces it (session, rate limit);
 * - every error status the route can answer with, each documented with the exact codes (an enum on
 *   `error.code`) coming from the access policy (401/503), the rate limit (429), the inputs (400, 413, 415),
 *   the database (503), the platform (405, 500, 503) and the handler's own `errors`;
 * - the response headers: `x-request-id` everywhere, `X-RateLimit-*` on rate-limited routes, `Retry-After` on
 *   429 and 503;
 * - a runtime record of the declared codes: an error whose code the route did not declare is logged as such
 *   (and fails the contract suite, whose schemas only allow the declared codes).
 */

import { errorResponseOf } from '@codex/contract';
import { ERROR_CATALOGUE, type ErrorCode, statusOf } from '@codex/domain';
import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { z } from 'zod';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_TTL_HOURS,
  IDEMPOTENCY_RETRY_AFTER_SECONDS,
  IDEMPOTENT_REPLAYED_HEADER,
  idempotency,
} from './idempotency';
import { RATE_LIMIT_PRESETS, type RateLimitPreset, rateLimit } from './rate-limit';
import { requireSession, signedInOnly } from './session';
import type { AppEnv } from './types';

/**
 * Who may call an operation:
 * - `public`: anyone; the session cookie is not read;
 * - `session-optional`: anyone; a signed-in caller is recognised (and may see more);
 * - `session`: a signed-in user (`codex-session` cookie), else 401;
 * - `own-session`: the same, checked by the handler itself (the auth worker, which is where sessions are checked);
 * - `signed-url`: the URL's signature is the credential (URLs the API hands out);
 * - `stripe-signature`: Stripe, proven by the `stripe-signature` header (webhooks).
 */
export type Access = 'public' | 'session-optional' | 'session' | 'own-session' | 'signed-url' | 'stripe-signature';

export const SESSION_SCHEME = 'sessionCookie';
export const STRIPE_SIGNATURE_SCHEME = 'stripeSignature';

const SECURITY: Record<Access, Array<Record<string, string[]>>> = {
  public: [],
  'session-optional': [{ [SESSION_SCHEME]: [] }, {}],
  session: [{ [SESSION_SCHEME]: [] }],
  'own-session': [{ [SESSION_SCHEME]: [] }],
  'signed-url': [],
  'stripe-signature': [{ [STRIPE_SIGNATURE_SCHEME]: [] }],
};

const ACCESS_TEXT: Record<Access, string> = {
  public: 'Anyone.',
  'session-optional': 'Anyone; a signed-in caller (codex-session cookie) is recognised.',
  session: 'A signed-in user (codex-session cookie).',
  'own-session': 'A signed-in user (codex-session cookie).',
  'signed-url': 'Whoever holds the signed URL the API returned (no session needed).',
  'stripe-signature': 'Stripe only (signed with the endpoint secret).',
};

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
type Responses = Record<number, NonNullable<RouteConfig['responses'][string]>>;
type RequestParts = NonNullable<RouteConfig['request']>;

export interface RouteDeclaration<P extends string, M extends Method, Req extends RequestParts, Res extends Responses> {
  method: M;
  path: P;
  operationId: string;
  tag: string;
  summary: string;
  /** What it does; who may call it and the codes it returns are appended from the declaration. */
  description: string;
  access: Access;
  /**
   * The rate limit (429 RATE_LIMITED, X-RateLimit-* headers). Default: the API preset for session routes,
   * none otherwise. `null`: not limited.
   */
  rateLimit?: RateLimitPreset | null;
  /** Who may call it, when it is more than `access` says (roles, ownership): added to the description. */
  authorization?: string;
  request?: Req;
  /** The success responses (2xx); error statuses are derived. */
  responses: Res;
  /** The domain error codes the handler and the services it calls can return. */
  errors?: readonly ErrorCode[];
  /** Reads or writes the database (503 DATABASE_UNAVAILABLE). Default true. */
  database?: boolean;
  /** Route-specific middleware, after the access and rate-limit middleware. */
  middleware?: MiddlewareHandler<AppEnv>[];
  /**
   * A creating POST that accepts an `Idempotency-Key` header (see ./idempotency.ts): documented as an optional
   * header parameter, with the `Idempotent-Replayed` answer header and the 409/422 codes. Needs `access: 'session'`.
   */
  idempotent?: boolean;
}

export type DeclaredRoute<P extends string, M extends Method, Req extends RequestParts, Res extends Responses> = {
  method: M;
  path: P;
  request: Req;
  responses: Res;
  middleware: MiddlewareHandler<AppEnv>[];
} & Omit<RouteConfig, 'method' | 'path' | 'request' | 'responses' | 'middleware'> & {
    getRoutingPath(): string;
  };

/** `METHOD /openapi/{path}` → the codes the route may answer with. */
const declaredCodes = new Map<string, ReadonlySet<ErrorCode>>();

export function routeKey(method: string, openApiPath: string) {
  return `${method.toUpperCase()} ${openApiPath}`;
}

/** The codes a route declared (by method and OpenAPI path, `{id}` style), or undefined for an unknown route. */
export function declaredErrorCodes(method: string, openApiPath: string) {
  return declaredCodes.get(routeKey(method, openApiPath));
}

const X_REQUEST_ID = { $ref: '#/components/headers/XRequestId' };
const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { $ref: '#/components/headers/XRateLimitLimit' },
  'X-RateLimit-Remaining': { $ref: '#/components/headers/XRateLimitRemaining' },
  'X-RateLimit-Reset': { $ref: '#/components/headers/XRateLimitReset' },
};
const RETRY_AFTER = { $ref: '#/components/headers/RetryAfter' };
const RETRY_AFTER_REQUIRED = { $ref: '#/components/headers/RetryAfterRequired' };
const IDEMPOTENT_REPLAYED = { $ref: '#/components/headers/IdempotentReplayed' };

/** The optional Idempotency-Key request header of an idempotent route. */
const IdempotencyKeyHeaderSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[\x21-\x7E]{1,255}$/)
  .optional()
  .meta({
    description: `Makes retrying this create safe: 1–255 visible ASCII characters (a random UUID per logical request is best), kept ${IDEMPOTENCY_KEY_TTL_HOURS} h per signed-in caller. A repeat with the same key, path and body answers the first answer again (same status and body) with \`${IDEMPOTENT_REPLAYED_HEADER}: true\`, without doing anything; the same key with another request is 422 IDEMPOTENCY_KEY_REUSED; while the first request with the key is still running, 409 IDEMPOTENCY_KEY_IN_PROGRESS with Retry-After (${IDEMPOTENCY_RETRY_AFTER_SECONDS} s). A 5xx answer is not kept (the retry runs again).`,
    example: '5f0c7a52-8d3e-4f7b-9f61-2b1c0e4d9a33',
  });

/** The request parts with the Idempotency-Key header parameter added. */
function withIdempotencyKeyHeader(request: RequestParts | undefined): RequestParts {
  const existing = request?.headers;
  const headerShape = { [IDEMPOTENCY_KEY_HEADER]: IdempotencyKeyHeaderSchema };
  const headers =
    existing instanceof z.ZodObject ? existing.extend(headerShape) : existing ? existing : z.object(headerShape);
  return { ...(request ?? {}), headers } as RequestParts;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'The request does not match the contract',
  401: 'Not authenticated',
  403: 'Not allowed',
  404: 'Not found',
  405: 'Method not allowed on this path',
  409: 'Conflicts with the current state',
  411: 'Content-Length required',
  413: 'Body too large',
  415: 'Unsupported content type',
  416: 'Range not satisfiable',
  422: 'Breaks a business rule',
  429: 'Rate limit exceeded',
  500: 'Unexpected error',
  503: 'A dependency or the configuration is unavailable; nothing was changed',
};

function isJsonBody(body: RequestParts['body']) {
  return Object.keys(body?.content ?? {}).some((t) => /^application\/([\w.-]+\+)?json$/.test(t));
}

/** The error codes a declaration implies, besides the ones it lists. */
function impliedCodes(
  d: {
    access: Access;
    request?: RequestParts | undefined;
    database?: boolean | undefined;
    idempotent?: boolean | undefined;
  },
  limited: boolean,
): ErrorCode[] {
  const codes: ErrorCode[] = ['INTERNAL_ERROR', 'SERVICE_MISCONFIGURED', 'METHOD_NOT_ALLOWED'];
  if (d.idempotent) codes.push('VALIDATION_ERROR', 'IDEMPOTENCY_KEY_REUSED', 'IDEMPOTENCY_KEY_IN_PROGRESS');
  const req = d.request;
  if (req?.params || req?.query || req?.headers || req?.body) codes.push('VALIDATION_ERROR');
  if (req?.body && isJsonBody(req.body)) codes.push('MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  if (d.access === 'session') codes.push('AUTHENTICATION_REQUIRED', 'SESSION_INVALID', 'AUTH_UNAVAILABLE');
  if (d.access === 'session-optional') codes.push('AUTH_UNAVAILABLE');
  if (d.access === 'own-session') codes.push('AUTHENTICATION_REQUIRED', 'SESSION_INVALID');
  if (limited) codes.push('RATE_LIMITED', 'RATE_LIMITER_UNAVAILABLE');
  if (d.database ?? true) codes.push('DATABASE_UNAVAILABLE');
  return codes;
}

function errorExample(code: ErrorCode) {
  return {
    error: { code, message: ERROR_CATALOGUE[code].meaning.split('. ')[0]?.replace(/\.$/, '') ?? code },
    requestId: '550e8400-e29b-41d4-a716-446655440000',
    timestamp: '2026-11-25T12:34:56.000Z',
  };
}

/** The documented error responses for a set of codes, one per status. */
export function errorResponsesFor(codes: Iterable<ErrorCode>, options: { rateLimited: boolean; idempotent?: boolean }) {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of new Set(codes)) {
    const status = statusOf(code);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const out: Record<number, NonNullable<RouteConfig['responses'][string]>> = {};
  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const list = (byStatus.get(status) ?? []).sort();
    const headers: Record<string, { $ref: string }> = { 'x-request-id': X_REQUEST_ID };
    if (options.rateLimited) Object.assign(headers, RATE_LIMIT_HEADERS);
    if (status === 429) headers['Retry-After'] = RETRY_AFTER_REQUIRED;
    if (status === 503) headers['Retry-After'] = RETRY_AFTER;
    if (status === 409 && list.includes('IDEMPOTENCY_KEY_IN_PROGRESS')) headers['Retry-After'] = RETRY_AFTER;
    if (options.idempotent) headers[IDEMPOTENT_REPLAYED_HEADER] = IDEMPOTENT_REPLAYED;
    if (status === 405) headers.Allow = { $ref: '#/components/headers/Allow' };
    if (status === 416) headers['Content-Range'] = { $ref: '#/components/headers/ContentRangeUnsatisfied' };
    out[status] = {
      description: `${STATUS_TEXT[status] ?? 'Error'}. Codes:\n${list
        .map((code) => `- \`${code}\`: ${ERROR_CATALOGUE[code].meaning}`)
        .join('\n')}`,
      headers,
      content: {
        'application/json': {
          schema: errorResponseOf(list) as z.ZodType,
          example: errorExample(list[0] as ErrorCode),
        },
      },
    };
  }
  return out;
}

/** Adds x-request-id (and the rate-limit and replay headers) to a success response. */
function withHeaders(
  response: NonNullable<RouteConfig['responses'][string]>,
  rateLimited: boolean,
  idempotent = false,
) {
  if ('$ref' in response) return response;
  const headers: Record<string, unknown> = { 'x-request-id': X_REQUEST_ID };
  if (rateLimited) Object.assign(headers, RATE_LIMIT_HEADERS);
  if (idempotent) headers[IDEMPOTENT_REPLAYED_HEADER] = IDEMPOTENT_REPLAYED;
  Object.assign(headers, response.headers ?? {});
  return { ...response, headers } as typeof response;
}

/** Declares a route: see the module comment. */
export function defineRoute<
  const P extends string,
  const M extends Method,
  const Req extends RequestParts = Record<never, never>,
  const Res extends Responses = Responses,
>(d: RouteDeclaration<P, M, Req, Res>): DeclaredRoute<P, M, Req, Res> {
  const sessionRoute = d.access === 'session' || d.access === 'session-optional';
  const preset = d.rateLimit === undefined ? (sessionRoute ? RATE_LIMIT_PRESETS.api : null) : d.rateLimit;
  const limited = preset !== null;
  const codes = new Set<ErrorCode>([...impliedCodes(d, limited), ...(d.errors ?? [])]);
  declaredCodes.set(routeKey(d.method, d.path), codes);

  // The session is resolved first (a per-user limit needs the user); a missing session is refused after the limit is
  // counted, so calls without a valid session spend their IP's budget too.
  const middleware: MiddlewareHandler<AppEnv>[] = [];
  if (sessionRoute) middleware.push(requireSession({ auth: 'optional' }));
  if (preset) middleware.push(rateLimit(preset));
  if (d.access === 'session') middleware.push(signedInOnly);
  middleware.push(...(d.middleware ?? []));
  if (d.idempotent) {
    if (d.access !== 'session') throw new Error(`${d.operationId}: an idempotent route needs access 'session'`);
    middleware.push(idempotency(d.operationId));
  }

  // A status the declaration documents itself (e.g. an HTML error page) wins over the derived envelope.
  const idempotent = d.idempotent === true;
  const responses: Responses = errorResponsesFor(codes, { rateLimited: limited, idempotent });
  for (const [status, response] of Object.entries(d.responses)) {
    responses[Number(status)] = withHeaders(response, limited, idempotent);
  }
  const request = idempotent ? withIdempotencyKeyHeader(d.request) : d.request;

  const who = [ACCESS_TEXT[d.access], d.authorization].filter(Boolean).join(' ');
  const limit = preset
    ? ` Rate limit: ${preset.limit} requests per ${preset.windowSeconds >= 120 ? `${preset.windowSeconds / 60} minutes` : `${preset.windowSeconds} s`} per ${preset.keyBy === 'user' ? 'user (per IP when anonymous)' : 'IP'}.`
    : '';
  const config = createRoute({
    method: d.method,
    path: d.path,
    operationId: d.operationId,
    tags: [d.tag],
    summary: d.summary,
    description: `${d.description}\n\n**Who may call it:** ${who}${limit}`,
    security: SECURITY[d.access],
    middleware,
    ...(request ? { request } : {}),
    responses,
  });
  return config as unknown as DeclaredRoute<P, M, Req, Res>;
}

// ---------------------------------------------------------------------------------------------------------------------
// Bodies and responses
// ---------------------------------------------------------------------------------------------------------------------

/** A required JSON request body. The example is what the docs' try-it sends. */
export function jsonBody<T extends z.ZodType>(schema: T, options: { description?: string; example?: unknown } = {}) {
  return {
    required: true,
    ...(options.description ? { description: options.description } : {}),
    content: {
      'application/json': { schema, ...(options.example !== undefined ? { example: options.example } : {}) },
    },
  } as const;
}

/** A JSON success response. */
export function json<T extends z.ZodType>(schema: T, description: string, options: { example?: unknown } = {}) {
  return {
    description,
    content: {
      'application/json': { schema, ...(options.example !== undefined ? { example: options.example } : {}) },
    },
  } as const;
}

/** A response without a body (204). */
export function noContent(description: string) {
  return { description } as const;
}
