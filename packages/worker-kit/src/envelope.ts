import { ApiError, type ErrorDetails } from '@codex/contract';
import { isDatabaseUnavailable } from '@codex/database';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export function errorBody(c: Context, code: string, message: string, details?: ErrorDetails) {
  return {
    error: details === undefined ? { code, message } : { code, message, details },
    requestId: (c.get('requestId') as string | undefined) ?? 'unknown',
    timestamp: new Date().toISOString(),
  };
}

export function errorResponse(
  c: Context,
  status: ContentfulStatusCode,
  code: string,
  message: string,
  details?: ErrorDetails,
  headers: Record<string, string> = {},
) {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  return c.json(errorBody(c, code, message, details), status);
}

const HTTP_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_ENTITY',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/** Maps any thrown value to the envelope. Unknown errors become a 500 without internals. */
export function toErrorResponse(c: Context, err: unknown, log: (e: unknown) => void) {
  if (err instanceof ApiError) {
    return errorResponse(c, err.status as ContentfulStatusCode, err.code, err.message, err.details, err.headers);
  }
  if (isDatabaseUnavailable(err)) {
    log(err);
    return errorResponse(c, 503, 'DATABASE_UNAVAILABLE', 'Database unavailable, retry later', undefined, {
      'Retry-After': '5',
    });
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status >= 500) {
      log(err);
      return errorResponse(c, 500, 'INTERNAL_ERROR', 'An unexpected error occurred');
    }
    // Hono raises these for malformed JSON, bad content types and similar protocol errors.
    const message = status === 400 ? 'Malformed request body' : err.message || 'Request refused';
    return errorResponse(c, status, HTTP_CODES[status] ?? 'BAD_REQUEST', message);
  }
  log(err);
  return errorResponse(c, 500, 'INTERNAL_ERROR', 'An unexpected error occurred');
}
