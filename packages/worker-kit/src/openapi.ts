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
  429: 'Rate limit exceeded; see the Retry-After header',
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
