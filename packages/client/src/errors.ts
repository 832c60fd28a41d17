/**
 * Errors of @codex/client. Every one is an `Error` and a `CodexError`:
 *
 * - an answer with an error status is an `APIError` of the class of its status family (`BadRequestError` for 400 …
 *   `InternalServerError` for 5xx), carrying status, code, message, details and requestId from the error envelope.
 *   Calls return it as `result.error`; comparing `error.status` (or `instanceof`) narrows it to its class;
 * - no answer at all is thrown: `APIConnectionError` (the network failed), `APIConnectionTimeoutError` (the
 *   timeout passed), `APIUserAbortError` (the caller's AbortSignal fired).
 */
import type { ErrorCode, ErrorEnvelope } from './types';

export class CodexError extends Error {
  override name = 'CodexError';
}

type ClientStatusNamed = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429;
/** 4xx statuses without a class of their own (405, 411, 416 …): `APIError` with one of these. */
export type OtherClientErrorStatus =
  | 402
  | 405
  | 406
  | 407
  | 408
  | 410
  | 411
  | 412
  | 414
  | 416
  | 417
  | 418
  | 421
  | 423
  | 424
  | 425
  | 426
  | 428
  | 431
  | 451;
export type ServerErrorStatus = 500 | 501 | 502 | 503 | 504 | 505 | 506 | 507 | 508 | 510 | 511;
export type ErrorStatus = ClientStatusNamed | OtherClientErrorStatus | ServerErrorStatus;

export interface APIErrorInit {
  status: number;
  /** The parsed body (the error envelope when the worker sent one). */
  body: unknown;
  headers: Headers;
  /** x-request-id of the answer, when it has one. */
  requestId: string | null;
  /** The operation (operationId) and the method + URL path, for the message. */
  operation?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function envelopeOf(body: unknown): ErrorEnvelope | undefined {
  if (!isObj(body) || !isObj(body.error)) return undefined;
  const { code, message, details } = body.error;
  if (typeof code !== 'string' || typeof message !== 'string') return undefined;
  // The server only sends catalogue codes (the contract's ErrorCode); a newer server may add codes.
  const error: ErrorEnvelope['error'] = { code: code as ErrorCode, message };
  if (isObj(details)) error.details = details;
  else if (Array.isArray(details)) error.details = details.filter(isObj);
  return {
    error,
    requestId: typeof body.requestId === 'string' ? body.requestId : '',
    timestamp: typeof body.timestamp === 'string' ? body.timestamp : '',
  };
}

/** Seconds to wait from a Retry-After header (delay seconds or an HTTP date); undefined when absent or unreadable. */
export function retryAfterSeconds(headers: Headers, now = Date.now()): number | undefined {
  const raw = headers.get('retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, (at - now) / 1000);
}

/** An answer with an error status. */
export class APIError<S extends number = ErrorStatus> extends CodexError {
  override name = 'APIError';
  readonly status: S;
  /** The catalogue code from the error envelope; null when the body was not the envelope (e.g. an HTML page). */
  readonly code: ErrorCode | null;
  /** Machine-readable context, e.g. the fields that failed validation. */
  readonly details: ErrorEnvelope['error']['details'] | undefined;
  /** The request id (quote it when reporting a problem): from the envelope, else the x-request-id header. */
  readonly requestId: string | null;
  readonly headers: Headers;
  /** The parsed body as received. */
  readonly body: unknown;
  /** Seconds the worker asked to wait before retrying (Retry-After), when it said. */
  readonly retryAfter: number | undefined;

  constructor(init: APIErrorInit) {
    const envelope = envelopeOf(init.body);
    const text = envelope?.error.message ?? (typeof init.body === 'string' ? init.body.slice(0, 200) : '');
    super(`${init.status}${envelope ? ` ${envelope.error.code}` : ''}${text ? `: ${text}` : ''}`);
    this.status = init.status as S;
    this.code = envelope?.error.code ?? null;
    this.details = envelope?.error.details;
    this.requestId = envelope?.requestId ?? init.requestId;
    this.headers = init.headers;
    this.body = init.body;
    this.retryAfter = retryAfterSeconds(init.headers);
  }
}

export class BadRequestError extends APIError<400> {
  override name = 'BadRequestError';
}
export class AuthenticationError extends APIError<401> {
  override name = 'AuthenticationError';
}
export class PermissionDeniedError extends APIError<403> {
  override name = 'PermissionDeniedError';
}
export class NotFoundError extends APIError<404> {
  override name = 'NotFoundError';
}
export class ConflictError extends APIError<409> {
  override name = 'ConflictError';
}
export class PayloadTooLargeError extends APIError<413> {
  override name = 'PayloadTooLargeError';
}
export class UnsupportedMediaTypeError extends APIError<415> {
  override name = 'UnsupportedMediaTypeError';
}
export class UnprocessableEntityError extends APIError<422> {
  override name = 'UnprocessableEntityError';
}
export class RateLimitError extends APIError<429> {
  override name = 'RateLimitError';
}
/** Any 5xx: the worker or a dependency failed (503: a dependency is down; retried by default). */
export class InternalServerError extends APIError<ServerErrorStatus> {
  override name = 'InternalServerError';
}
/** A 4xx without a class of its own (405, 411, 416 …). */
export class OtherClientError extends APIError<OtherClientErrorStatus> {
  override name = 'OtherClientError';
}

/** Every error answer, one class per status family; `error.status` or `instanceof` narrows it. */
export type AnyAPIError =
  | BadRequestError
  | AuthenticationError
  | PermissionDeniedError
  | NotFoundError
  | ConflictError
  | PayloadTooLargeError
  | UnsupportedMediaTypeError
  | UnprocessableEntityError
  | RateLimitError
  | InternalServerError
  | OtherClientError;

const BY_STATUS: Record<number, new (init: APIErrorInit) => AnyAPIError> = {
  400: BadRequestError,
  401: AuthenticationError,
  403: PermissionDeniedError,
  404: NotFoundError,
  409: ConflictError,
  413: PayloadTooLargeError,
  415: UnsupportedMediaTypeError,
  422: UnprocessableEntityError,
  429: RateLimitError,
};

/** The error class for an answer's status. */
export function apiErrorFor(init: APIErrorInit): AnyAPIError {
  const Class = BY_STATUS[init.status] ?? (init.status >= 500 ? InternalServerError : OtherClientError);
  return new Class(init);
}

/** The request could not be completed: no answer came (DNS, refused connection, reset, CORS refusal …). */
export class APIConnectionError extends CodexError {
  override name = 'APIConnectionError';
  constructor(message = 'Connection error', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** No answer within the timeout (per attempt; retried like a connection error). */
export class APIConnectionTimeoutError extends APIConnectionError {
  override name = 'APIConnectionTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`No answer within ${timeoutMs} ms`);
  }
}

/** The caller's AbortSignal fired; never retried. */
export class APIUserAbortError extends CodexError {
  override name = 'APIUserAbortError';
  constructor(options?: { cause?: unknown }) {
    super('The request was aborted', options);
  }
}
