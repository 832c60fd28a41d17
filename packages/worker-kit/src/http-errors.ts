/**
 * The HTTP side of the error catalogue: a DomainError (or anything else thrown) becomes the standard envelope
 * `{ error: { code, message, details? }, requestId, timestamp }` with the status the catalogue gives its code.
 * This is the only place a code meets a status.
 */
import { isDatabaseUnavailable } from '@codex/database';
import { DomainError, type ErrorCode, type ErrorDetails, statusOf } from '@codex/domain';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';

/** Seconds a client is asked to wait after a 503 caused by an unreachable dependency. */
export const RETRY_AFTER_UNAVAILABLE_SECONDS = 5;

export function errorBody(c: Context, code: ErrorCode, message: string, details?: ErrorDetails) {
  return {
    error: details === undefined ? { code, message } : { code, message, details },
    requestId: (c.get('requestId') as string | undefined) ?? 'unknown',
    timestamp: new Date().toISOString(),
  };
}

/** An error response for a catalogue code (status from the catalogue). */
export function errorResponse(
  c: Context,
  code: ErrorCode,
  message: string,
  details?: ErrorDetails,
  headers: Record<string, string> = {},
) {
  for (const [k, v] of Object.entries(headers)) c.header(k, v);
  return c.json(errorBody(c, code, message, details), statusOf(code) as ContentfulStatusCode);
}

/** Headers that go with a code: Retry-After on 429 and 503. */
function headersFor(e: DomainError): Record<string, string> {
  const status = statusOf(e.code);
  if (status !== 429 && status !== 503) return {};
  return { 'Retry-After': String(e.retryAfterSeconds ?? RETRY_AFTER_UNAVAILABLE_SECONDS) };
}

export type ValidationIssue = { field: string; message: string; code: string };

type Issue = ZodError['issues'][number];

/**
 * How far a union variant is from the input: a literal that does not match (the variant's discriminator) weighs
 * most, then fields the variant does not know, then anything else.
 */
function distance(issues: Issue[]) {
  let d = 0;
  for (const i of issues) d += i.code === 'invalid_value' ? 100 : i.code === 'unrecognized_keys' ? 10 : 1;
  return d;
}

/**
 * zod issues as the envelope's details: one entry per field. For a body that matches none of a union's variants
 * (oneOf), the variant it came closest to is reported rather than "invalid input".
 */
export function validationDetails(issues: readonly Issue[], prefix: PropertyKey[] = []): ValidationIssue[] {
  const out: ValidationIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && 'errors' in issue && Array.isArray(issue.errors) && issue.errors.length) {
      const closest = [...(issue.errors as Issue[][])].sort((a, b) => distance(a) - distance(b))[0] ?? [];
      if (closest.length > 0) {
        out.push(...validationDetails(closest, path));
        continue;
      }
    }
    if (issue.code === 'unrecognized_keys' && 'keys' in issue && Array.isArray(issue.keys)) {
      // One entry per unknown field, named: the caller sees which field the contract does not have.
      for (const key of issue.keys as string[]) {
        out.push({ field: [...path, key].map(String).join('.'), message: 'unknown field', code: issue.code });
      }
      continue;
    }
    out.push({ field: path.length ? path.map(String).join('.') : '(root)', message: issue.message, code: issue.code });
  }
  return out;
}

/** Maps any thrown value to the envelope. Unknown errors become a 500 without internals. */
export function toErrorResponse(c: Context, err: unknown, log: (e: unknown) => void) {
  if (err instanceof DomainError) {
    if (statusOf(err.code) >= 500) log(err);
    return errorResponse(c, err.code, err.message, err.details, headersFor(err));
  }
  if (isDatabaseUnavailable(err)) {
    log(err);
    return errorResponse(c, 'DATABASE_UNAVAILABLE', 'Database unavailable, retry later', undefined, {
      'Retry-After': String(RETRY_AFTER_UNAVAILABLE_SECONDS),
    });
  }
  if (err instanceof HTTPException) {
    // Hono raises these for malformed JSON and similar protocol errors before a handler runs.
    if (err.status === 400) return errorResponse(c, 'MALFORMED_JSON', 'The body is not well-formed JSON');
    if (err.status === 413) return errorResponse(c, 'PAYLOAD_TOO_LARGE', 'Request body too large');
    if (err.status === 415) return errorResponse(c, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported content type');
  }
  log(err);
  return errorResponse(c, 'INTERNAL_ERROR', 'An unexpected error occurred');
}
