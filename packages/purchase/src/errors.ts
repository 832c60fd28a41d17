import { pgErrorCode } from '@codex/database';
import { DomainError } from '@codex/domain';

/**
 * A webhook event that can never be applied, however often Stripe retries it (unknown content or user, an
 * amount that does not match, a malformed object). It is logged in webhook_events as failed and acknowledged.
 */
export class PermanentWebhookError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentWebhookError';
  }
}

/** SQLSTATE classes of failures that may succeed on retry: connection (08), resources (53), operator (57), system (58). */
const TRANSIENT_CLASSES = new Set(['08', '53', '57', '58']);
/** Serialization failure and deadlock: retry the transaction. */
const TRANSIENT_CODES = new Set(['40001', '40P01']);
const CONNECTION_WORDS =
  /websocket|connect|connection|socket|econnrefused|econnreset|etimedout|epipe|timed? ?out|terminat|closed|network/i;

/**
 * Whether a database error is transient (the database is unreachable, restarting or overloaded, or the
 * transaction lost a race) rather than a problem with the statement or the data.
 */
export function isTransientDbError(error: unknown): boolean {
  const code = pgErrorCode(error);
  if (code) return TRANSIENT_CODES.has(code) || TRANSIENT_CLASSES.has(code.slice(0, 2));
  for (
    let e: unknown = error, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const err = e as { message?: unknown; code?: unknown };
    if (typeof err.code === 'string' && CONNECTION_WORDS.test(err.code)) return true;
    if (typeof err.message === 'string' && CONNECTION_WORDS.test(err.message)) return true;
  }
  return false;
}

/** Runs a database operation, turning a transient failure into a 503 (never a 500 with driver text). */
export async function withDatabase<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof DomainError) && isTransientDbError(e)) {
      throw new DomainError('DATABASE_UNAVAILABLE', 'The database is unavailable, retry shortly', undefined, {
        cause: e,
      });
    }
    throw e;
  }
}
