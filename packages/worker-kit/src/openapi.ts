import { ErrorResponseSchema } from '@codex/contract';
import type { z } from '@hono/zod-openapi';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Validation failed: the details name the fields',
  401: 'Not signed in, or the session is no longer valid',
  403: 'Signed in, but not allowed to do this',
  404: 'Not found',
  409: 'Conflicts with the current state (e.g. a taken slug)',
  411: 'Content-Length header required',
  413: 'Request body too large',
  415: 'Unsupported content type (send application/json)',
  416: 'Range not satisfiable; Content-Range gives the size',
  422: 'Well-formed, but breaks a business rule',
  429: 'Rate limit exceeded: retry after Retry-After seconds (X-RateLimit-Reset says the same)',
  503: 'A dependency (database, storage) is unavailable',
};

export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 411 | 413 | 415 | 416 | 422 | 429 | 503;

type ErrorResponses<S extends ErrorStatus> = {
  [K in S]: {
    description: string;
    content: { 'application/json': { schema: typeof ErrorResponseSchema } };
    headers?: Record<string, { description: string; schema: { type: 'integer' } }>;
  };
};

/** Documents the given error statuses with the shared ErrorResponse component. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]): ErrorResponses<S> {
  const out = {} as ErrorResponses<S>;
  for (const s of statuses) {
    out[s] = {
      description: DESCRIPTIONS[s] ?? 'Error',
      content: { 'application/json': { schema: ErrorResponseSchema } },
      ...(s === 429
        ? {
            headers: {
              'Retry-After': { description: 'Seconds until the limit resets', schema: { type: 'integer' as const } },
            },
          }
        : {}),
    } as ErrorResponses<S>[S];
  }
  return out;
}

/** A JSON response entry for createRoute. */
export function jsonResponse<T extends z.ZodTypeAny>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** A required JSON request body for createRoute. */
export function jsonBody<T extends z.ZodTypeAny>(schema: T, description?: string) {
  return { required: true, ...(description ? { description } : {}), content: { 'application/json': { schema } } };
}

/** Security requirement names registered by createWorker. */
export const SESSION_SECURITY: Array<Record<string, string[]>> = [{ sessionCookie: [] }];
/** Works with or without a session (the empty requirement allows anonymous calls). */
export const OPTIONAL_SESSION_SECURITY: Array<Record<string, string[]>> = [{ sessionCookie: [] }, {}];

/** The rate-limit response headers, as components of the OpenAPI document (see documentRateLimitHeaders). */
export const RATE_LIMIT_HEADER_COMPONENTS = {
  'X-RateLimit-Limit': {
    description: "Requests allowed in the caller's current window on this route's rate limit",
    schema: { type: 'integer', minimum: 1 },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current window (0 once the limit is reached)',
    schema: { type: 'integer', minimum: 0 },
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the current window ends and the full limit is available again',
    schema: { type: 'integer', minimum: 1 },
  },
} as const;

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/**
 * Rate-limited operations (those documenting 429) carry X-RateLimit-Limit, -Remaining and -Reset on their answers
 * once the limiter has counted the request: this documents the three headers (as `components.headers`) on every
 * response of such an operation. Applied to each worker's document by createWorker.
 */
export function documentRateLimitHeaders(doc: Record<string, unknown>) {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, { responses?: Record<string, unknown> }>>;
  let used = false;
  for (const item of Object.values(paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!HTTP_METHODS.includes(method) || !op?.responses?.['429']) continue;
      used = true;
      for (const res of Object.values(op.responses) as Array<{ $ref?: string; headers?: Record<string, unknown> }>) {
        if (res.$ref) continue;
        res.headers = { ...res.headers };
        for (const name of Object.keys(RATE_LIMIT_HEADER_COMPONENTS)) {
          res.headers[name] ??= { $ref: `#/components/headers/${name}` };
        }
      }
    }
  }
  if (used) {
    const components = (doc.components ?? {}) as Record<string, Record<string, unknown>>;
    doc.components = { ...components, headers: { ...components.headers, ...RATE_LIMIT_HEADER_COMPONENTS } };
  }
  return doc;
}
