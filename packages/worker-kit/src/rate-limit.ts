import { DomainError } from '@codex/domain';
import type { Context, MiddlewareHandler } from 'hono';
import { clientIp } from './client-ip';
import { getLogger } from './logger';
import type { RateLimiterOp, RateLimitOutcome } from './rate-limiter-object';
import type { AppEnv } from './types';

export type { RateLimiterOp, RateLimitOutcome } from './rate-limiter-object';
export { RateLimiter } from './rate-limiter-object';

export interface RateLimitPreset {
  /** Bucket name: part of the counter's key, and the name the RATE_LIMITS override uses. */
  name: string;
  limit: number;
  windowSeconds: number;
  /** What identifies the caller: the user when signed in (else the IP), or always the IP. */
  keyBy: 'ip' | 'user';
}

/** The product spec's per-endpoint limits. */
export const RATE_LIMIT_PRESETS = {
  login: { name: 'login', limit: 10, windowSeconds: 15 * 60, keyBy: 'ip' },
  register: { name: 'register', limit: 10, windowSeconds: 15 * 60, keyBy: 'ip' },
  api: { name: 'api', limit: 100, windowSeconds: 60, keyBy: 'user' },
  webhook: { name: 'webhook', limit: 1000, windowSeconds: 60, keyBy: 'ip' },
} as const satisfies Record<string, RateLimitPreset>;

/** Response headers of a rate-limited route. */
export const RATE_LIMIT_HEADERS = {
  limit: 'X-RateLimit-Limit',
  remaining: 'X-RateLimit-Remaining',
  reset: 'X-RateLimit-Reset',
} as const;

// ---------------------------------------------------------------------------------------------------------------------
// The RATE_LIMITS override: "api=20/60,login=10/900" (bucket=limit/windowSeconds, comma-separated)
// ---------------------------------------------------------------------------------------------------------------------

export interface RateLimitOverrides {
  limits: Map<string, { limit: number; windowSeconds: number }>;
  /** Entries that could not be read (reported by /health; ignored by the limiter). */
  invalid: string[];
}

const OVERRIDE_ENTRY = /^([a-z][a-z0-9-]*)=(\d{1,10})\/(\d{1,7})$/;
const overrideCache = new Map<string, RateLimitOverrides>();

/** Parses a RATE_LIMITS value; the result is cached per value (the var is read on every limited request). */
export function parseRateLimitOverrides(value: string | undefined): RateLimitOverrides {
  const text = (value ?? '').trim();
  const cached = overrideCache.get(text);
  if (cached) return cached;
  const out: RateLimitOverrides = { limits: new Map(), invalid: [] };
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (!entry) continue;
    const m = OVERRIDE_ENTRY.exec(entry);
    const limit = Number(m?.[2]);
    const windowSeconds = Number(m?.[3]);
    if (!m || limit < 1 || limit > 1_000_000_000 || windowSeconds < 1 || windowSeconds > 7 * 24 * 3600) {
      out.invalid.push(entry);
      continue;
    }
    out.limits.set(m[1] as string, { limit, windowSeconds });
  }
  if (overrideCache.size > 16) overrideCache.clear();
  overrideCache.set(text, out);
  return out;
}

/** The preset as this deployment enforces it: RATE_LIMITS may change its limit and window. */
export function effectivePreset(preset: RateLimitPreset, overrides: string | undefined): RateLimitPreset {
  const o = parseRateLimitOverrides(overrides).limits.get(preset.name);
  return o ? { ...preset, ...o } : preset;
}

// ---------------------------------------------------------------------------------------------------------------------
// The counter: one Durable Object per key
// ---------------------------------------------------------------------------------------------------------------------

/** The Durable Object key of a caller's counter in a bucket, e.g. `api:u:<user id>` or `login:ip:203.0.113.7`. */
export function rateLimitKey(preset: RateLimitPreset, subject: string) {
  return `${preset.name}:${subject}`;
}

/** Marks an error the Durable Object runtime says is worth one more try (never when it reports overload). */
function retryable(e: unknown) {
  const err = e as { retryable?: boolean; overloaded?: boolean };
  return err?.retryable === true && err?.overloaded !== true;
}

/**
 * Asks the key's counter: `hit` counts a request if the window has room, `peek` only reads, `block` uses the
 * window up. Throws when the limiter cannot answer (the caller fails closed).
 */
export async function callRateLimiter(
  ns: DurableObjectNamespace,
  preset: RateLimitPreset,
  subject: string,
  op: RateLimiterOp = 'hit',
): Promise<RateLimitOutcome> {
  const url = `https://rate-limiter/${op}?limit=${preset.limit}&window=${preset.windowSeconds}`;
  const key = rateLimitKey(preset, subject);
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await ns.getByName(key).fetch(url, { method: 'POST' });
      if (!res.ok) throw new Error(`rate limiter answered ${res.status}`);
      return (await res.json()) as RateLimitOutcome;
    } catch (e) {
      if (attempt >= 2 || !retryable(e)) throw e;
    }
  }
}

/** The subject a preset counts: `u:<user id>` for a signed-in caller of a per-user bucket, else `ip:<address>`. */
export function rateLimitSubject(c: Context<AppEnv>, preset: RateLimitPreset) {
  if (preset.keyBy === 'user') {
    const user = c.get('user');
    if (user) return `u:${user.id}`;
  }
  return `ip:${clientIp(c)}`;
}

/** A short, non-reversible tag of a counter key for logs (never the IP or the user id in clear). */
async function keyTag(key: string) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(`codex-rate-limit:${key}`));
  return [...new Uint8Array(digest).slice(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

function setHeaders(target: (name: string, value: string) => void, o: RateLimitOutcome) {
  target(RATE_LIMIT_HEADERS.limit, String(o.limit));
  target(RATE_LIMIT_HEADERS.remaining, String(o.remaining));
  target(RATE_LIMIT_HEADERS.reset, String(o.resetSeconds));
}

/**
 * Rate-limit middleware: counts the request on the caller's counter (a Durable Object in the RATE_LIMITER
 * namespace, shared by every worker) and refuses it with 429 RATE_LIMITED once the window is used up. Every answer
 * carries X-RateLimit-Limit, X-RateLimit-Remaining and X-RateLimit-Reset (seconds until the window ends); the 429
 * also Retry-After. Fails closed: without the binding, or when the limiter cannot answer, the request gets 503
 * RATE_LIMITER_UNAVAILABLE, never a free pass.
 */
export function rateLimit(preset: RateLimitPreset): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const { RATE_LIMITER: ns, RATE_LIMITS } = c.get('config');
    const effective = effectivePreset(preset, RATE_LIMITS);
    if (!ns) {
      getLogger(c).error('rate limiter not bound', { bucket: preset.name });
      throw new DomainError('RATE_LIMITER_UNAVAILABLE', 'Rate limiter unavailable, retry later');
    }
    const subject = rateLimitSubject(c, effective);
    let result: RateLimitOutcome;
    try {
      result = await callRateLimiter(ns, effective, subject);
    } catch (e) {
      getLogger(c).error('rate limiter unavailable', {
        bucket: preset.name,
        reason: e instanceof Error ? e.message.slice(0, 200) : 'unknown',
      });
      throw new DomainError('RATE_LIMITER_UNAVAILABLE', 'Rate limiter unavailable, retry later');
    }
    setHeaders((k, v) => c.header(k, v), result);
    if (!result.allowed) {
      getLogger(c).warn('rate limit refused', {
        event: 'rate_limit.refused',
        bucket: effective.name,
        keyKind: subject.startsWith('u:') ? 'user' : 'ip',
        keyTag: await keyTag(rateLimitKey(effective, subject)),
        limit: effective.limit,
        windowSeconds: effective.windowSeconds,
        retryAfterSeconds: result.resetSeconds,
      });
      throw new DomainError(
        'RATE_LIMITED',
        'Too many requests, retry later',
        { retryAfterSeconds: result.resetSeconds },
        { retryAfterSeconds: result.resetSeconds },
      );
    }
    await next();
    // A handler that returns its own Response (not built by c.json) did not get the prepared headers; one whose
    // headers are immutable (e.g. passed through from a fetch) is copied first.
    if (!c.res.headers.has(RATE_LIMIT_HEADERS.limit)) {
      try {
        setHeaders((k, v) => c.res.headers.set(k, v), result);
      } catch {
        c.res = new Response(c.res.body, c.res);
        setHeaders((k, v) => c.res.headers.set(k, v), result);
      }
    }
  };
}

/**
 * Uses up `subject`'s window in each preset's bucket (e.g. `ip:203.0.113.7`, `u:<user id>`): its next limited
 * request gets 429 until the window ends. For operators (block an abusive caller) and tests.
 */
export async function blockRateLimit(
  ns: DurableObjectNamespace,
  presets: RateLimitPreset[],
  subject: string,
  overrides?: string,
) {
  await Promise.all(presets.map((p) => callRateLimiter(ns, effectivePreset(p, overrides), subject, 'block')));
}

/**
 * The /health probe of the limiter: the binding is there, RATE_LIMITS reads, and a counter answers (a `peek`,
 * which counts nothing and writes nothing).
 */
export async function rateLimiterHealth(env: { RATE_LIMITER?: DurableObjectNamespace; RATE_LIMITS?: string }) {
  if (!env.RATE_LIMITER) throw new Error('binding missing');
  const { invalid } = parseRateLimitOverrides(env.RATE_LIMITS);
  if (invalid.length) throw new Error(`RATE_LIMITS has unreadable entries: ${invalid.join(', ').slice(0, 200)}`);
  await callRateLimiter(env.RATE_LIMITER, RATE_LIMIT_PRESETS.api, 'health', 'peek');
}
