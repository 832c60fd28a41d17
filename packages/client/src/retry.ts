/**
 * When and how long to wait before trying a request again.
 *
 * Retried, up to `maxRetries` (default 2) more attempts:
 * - 429: always (any method). The rate limiter answers 429 before the operation runs, so nothing happened and a
 *   repeat cannot duplicate anything;
 * - 408, 500, 502, 503, 504, a connection error or a timeout: only when repeating is safe — an idempotent method
 *   (GET, HEAD, PUT, DELETE, OPTIONS), a POST that carries an Idempotency-Key (the worker replays the first answer),
 *   or sign-out (ending a session twice ends it once);
 * - 409 with a Retry-After, under the same condition: the worker is still executing the first request with that
 *   Idempotency-Key.
 *
 * Wait: the Retry-After the worker sent (delay-seconds or an HTTP date), or else exponential backoff with jitter:
 * min(initial × 2^n, max) minus up to 25 %. A Retry-After longer than `maxRetryAfterSeconds` is not waited for:
 * the error is returned at once, with `retryAfter` on it.
 */
import { retryAfterSeconds } from './errors';

export interface RetryPolicy {
  /** First backoff delay (ms); default 500. */
  initialDelayMs?: number;
  /** Largest backoff delay (ms); default 8000. */
  maxDelayMs?: number;
  /** Longest Retry-After the client waits for (s); default 60. */
  maxRetryAfterSeconds?: number;
}

export const DEFAULT_MAX_RETRIES = 2;
const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const RETRY_WHEN_SAFE = new Set([408, 500, 502, 503, 504]);

/** Whether repeating this request cannot do the work twice. */
export function safeToRepeat(method: string, headers: Headers): boolean {
  return IDEMPOTENT.has(method.toUpperCase()) || headers.has('idempotency-key');
}

/** Exponential backoff with jitter for retry number `retry` (0 for the first retry). */
export function backoffMs(retry: number, policy: RetryPolicy = {}, random = Math.random): number {
  const initial = policy.initialDelayMs ?? 500;
  const max = policy.maxDelayMs ?? 8000;
  const base = Math.min(initial * 2 ** retry, max);
  return Math.round(base * (1 - random() * 0.25));
}

export type RetryDecision = { retry: false } | { retry: true; delayMs: number; reason: string };

/** For an answer: retry or not, and after how long. */
export function retryAfterResponse(
  response: Response,
  safe: boolean,
  retry: number,
  policy: RetryPolicy = {},
): RetryDecision {
  const { status } = response;
  const asked = retryAfterSeconds(response.headers);
  const eligible =
    status === 429 || (safe && RETRY_WHEN_SAFE.has(status)) || (safe && status === 409 && asked !== undefined);
  if (!eligible) return { retry: false };
  if (asked !== undefined) {
    if (asked > (policy.maxRetryAfterSeconds ?? 60)) return { retry: false };
    return { retry: true, delayMs: Math.ceil(asked * 1000), reason: `${status}, Retry-After ${asked} s` };
  }
  return { retry: true, delayMs: backoffMs(retry, policy), reason: String(status) };
}

/** Waits, unless the signal fires first (then rejects with its reason). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
