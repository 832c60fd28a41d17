/**
 * Domain errors. Services throw these; the worker toolkit turns them into the
 * standard error envelope with the matching HTTP status. They carry no HTTP
 * machinery so that service packages stay free of Hono.
 */
export type ErrorDetails = Record<string, unknown> | Array<Record<string, unknown>>;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetails | undefined;
  /** Extra response headers (e.g. Retry-After, Allow). */
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    details?: ErrorDetails,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.details = details;
    this.headers = headers;
  }
}

export class ValidationError extends ApiError {
  constructor(message = 'Request validation failed', details?: ErrorDetails) {
    super(400, 'VALIDATION_ERROR', message, details);
  }
}

export class UnauthorizedError extends ApiError {
  constructor(message = 'Authentication required', code = 'UNAUTHORIZED') {
    super(401, code, message);
  }
}

export class ForbiddenError extends ApiError {
  constructor(message = 'You do not have permission to do this', code = 'FORBIDDEN', details?: ErrorDetails) {
    super(403, code, message, details);
  }
}

export class NotFoundError extends ApiError {
  constructor(message = 'Resource not found', code = 'NOT_FOUND') {
    super(404, code, message);
  }
}

export class ConflictError extends ApiError {
  constructor(message = 'Conflict', code = 'CONFLICT', details?: ErrorDetails) {
    super(409, code, message, details);
  }
}

/** A well-formed request that breaks a business rule (HTTP 422). */
export class BusinessRuleError extends ApiError {
  constructor(message: string, code = 'BUSINESS_RULE_VIOLATION', details?: ErrorDetails) {
    super(422, code, message, details);
  }
}

export class RateLimitError extends ApiError {
  constructor(retryAfterSeconds: number) {
    super(
      429,
      'RATE_LIMITED',
      'Too many requests, retry later',
      { retryAfterSeconds },
      {
        'Retry-After': String(retryAfterSeconds),
      },
    );
  }
}

export class ServiceUnavailableError extends ApiError {
  constructor(message = 'Service temporarily unavailable', code = 'SERVICE_UNAVAILABLE') {
    super(503, code, message);
  }
}
