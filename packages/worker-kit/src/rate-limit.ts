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
  n = 1,
): Promise<RateLimitOutcome> {
  const url = `https://rate-limiter/${op}?limit=${preset.limit}&window=${preset.windowSeconds}${n > 1 ? `&n=${n}` : ''}`;
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

// ---------------------------------------------------------------------------------------------------------------------
// Leases: an isolate takes a few of a busy key's requests at once
// ---------------------------------------------------------------------------------------------------------------------

/**
 * Most requests one lease may hold: a hundredth of the limit (so at most 1 % of a key's window is tied up in one
 * isolate), never more than 1,000. Below a limit of 200 — the login, register and api presets — every request asks
 * the counter, which keeps those limits exact across workers and isolates; leases serve high limits (webhook's
 * 1000/min, operators' raised limits).
 */
export function maxLease(limit: number) {
  return Math.max(1, Math.min(1000, Math.floor(limit / 100)));
}

/** A lease used up within this time of being granted was too small: the next one is twice its size. */
const LEASE_GROWTH_WINDOW_MS = 1000;
/** Keys with a lease held per isolate; the oldest go first. */
const MAX_LEASES = 5000;

interface Lease {
  limit: number;
  /** Requests this isolate may still let through without asking the counter. */
  tokens: number;
  /** What the counter had left for everyone else when it last answered. */
  counterRemaining: number;
  /** When the counter's window ends (ms since the epoch): the lease is worth nothing after it. */
  windowEnd: number;
  grantedAt: number;
  /** How many requests the next ask takes. */
  nextAsk: number;
  /** An ask in flight: the other requests of the key wait for it instead of asking too. */
  pending?: Promise<void>;
}

const leases = new Map<string, Lease>();
const leaseKey = (preset: RateLimitPreset, subject: string) =>
  `${rateLimitKey(preset, subject)}/${preset.limit}/${preset.windowSeconds}`;

function leaseOutcome(lease: Lease, allowed: boolean, now: number): RateLimitOutcome {
  const resetMs = Math.max(1, lease.windowEnd - now);
  return {
    allowed,
    limit: lease.limit,
    remaining: lease.counterRemaining + lease.tokens,
    resetSeconds: Math.ceil(resetMs / 1000),
    resetMs,
    granted: allowed ? 1 : 0,
  };
}

/**
 * Counts one request of `subject` in the preset's bucket, from this isolate's lease when it holds one, else by
 * asking the key's counter for a lease (one request for a quiet key; twice the last lease, up to maxLease(), for a
 * key that used its last one up within a second). The counter never hands out more than the window allows, so no
 * more requests pass than the limit — at most the unused part of a lease is lost when an isolate goes away. A key
 * the counter refused is refused here until its window ends, without asking again. X-RateLimit-Remaining is the
 * counter's remainder at its last answer plus what this isolate still holds.
 */
export async function takeRateLimit(
  ns: DurableObjectNamespace,
  preset: RateLimitPreset,
  subject: string,
): Promise<RateLimitOutcome> {
  const key = leaseKey(preset, subject);
  for (;;) {
    const now = Date.now();
    let lease = leases.get(key);
    if (lease?.pending) {
      await lease.pending;
      continue;
    }
    if (lease && now >= lease.windowEnd) {
      leases.delete(key);
      lease = undefined;
    }
    if (lease && lease.tokens > 0) {
      lease.tokens -= 1;
      return leaseOutcome(lease, true, now);
    }
    if (lease && lease.counterRemaining === 0) return leaseOutcome(lease, false, now);

    const grow = lease !== undefined && now - lease.grantedAt < LEASE_GROWTH_WINDOW_MS;
    const ask = Math.min(maxLease(preset.limit), grow ? (lease?.nextAsk ?? 1) * 2 : 1);
    const entry: Lease = lease ?? {
      limit: preset.limit,
      tokens: 0,
      counterRemaining: preset.limit,
      windowEnd: now + preset.windowSeconds * 1000,
      grantedAt: now,
      nextAsk: 1,
    };
    let answer: RateLimitOutcome | undefined;
    let failure: unknown;
    entry.pending = callRateLimiter(ns, preset, subject, 'hit', ask).then(
      (o) => {
        answer = o;
      },
      (e: unknown) => {
        failure = e;
      },
    );
    if (!lease) {
      if (leases.size >= MAX_LEASES) {
        const oldest = leases.keys().next().value;
        if (oldest !== undefined) leases.delete(oldest);
      }
      leases.set(key, entry);
    }
    await entry.pending;
    entry.pending = undefined;
    if (!answer) {
      // The counter did not answer: this request fails closed; the others waiting ask for themselves.
      leases.delete(key);
      throw failure;
    }
    const answeredAt = Date.now();
    // A counter still running the code before leases (during a deploy, until auth's new version is live) answers
    // without `granted` and `resetMs`: it counted one request.
    const granted = answer.granted ?? (answer.allowed ? 1 : 0);
    entry.limit = answer.limit;
    entry.counterRemaining = answer.remaining;
    entry.windowEnd = answeredAt + (answer.resetMs ?? answer.resetSeconds * 1000);
    entry.grantedAt = answeredAt;
    entry.nextAsk = ask;
    if (granted <= 0) return leaseOutcome(entry, false, answeredAt);
    // This request takes one of the grant; the rest is the lease.
    entry.tokens += granted - 1;
    return leaseOutcome(entry, true, answeredAt);
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
      result = await takeRateLimit(ns, effective, subject);
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
 * request gets 429 until the window ends — in other isolates once they have spent their lease (at most maxLease()).
 * For operators (block an abusive caller) and tests.
 */
export async function blockRateLimit(
  ns: DurableObjectNamespace,
  presets: RateLimitPreset[],
  subject: string,
  overrides?: string,
) {
  await Promise.all(
    presets.map(async (p) => {
      const effective = effectivePreset(p, overrides);
      await callRateLimiter(ns, effective, subject, 'block');
      // This isolate's lease goes too; another isolate may still spend what it holds (at most maxLease()).
      leases.delete(leaseKey(effective, subject));
    }),
  );
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
