import { DomainError } from '@codex/domain';
import type { Context, MiddlewareHandler } from 'hono';
import { clientIp } from './client-ip';
import { getLogger } from './logger';
import type { AppEnv } from './types';

export interface RateLimitPreset {
  /** Bucket name, part of the KV key. */
  name: string;
  limit: number;
  windowSeconds: number;
  /** What identifies the caller. */
  keyBy: 'ip' | 'user';
}

/** The seed's per-endpoint limits. */
export const RATE_LIMIT_PRESETS = {
  login: { name: 'auth-login', limit: 10, windowSeconds: 15 * 60, keyBy: 'ip' },
  register: { name: 'auth-register', limit: 10, windowSeconds: 15 * 60, keyBy: 'ip' },
  api: { name: 'api', limit: 100, windowSeconds: 60, keyBy: 'user' },
  webhook: { name: 'webhook', limit: 1000, windowSeconds: 60, keyBy: 'ip' },
} as const satisfies Record<string, RateLimitPreset>;

/** KV key of the caller's counter in the current fixed window. */
export function rateLimitKey(preset: RateLimitPreset, subject: string, nowMs = Date.now()) {
  const window = Math.floor(nowMs / 1000 / preset.windowSeconds);
  return `rl:${preset.name}:${subject}:${window}`;
}

function subjectOf(c: Context<AppEnv>, preset: RateLimitPreset) {
  if (preset.keyBy === 'user') {
    const user = c.get('user');
    return user ? `u:${user.id}` : `ip:${clientIp(c)}`;
  }
  return `ip:${clientIp(c)}`;
}

/**
 * Fixed-window rate limiter on the RATE_LIMIT_KV binding. KV is eventually
 * consistent across locations, so the limit is approximate at the edge
 * (exact within one location); good enough against brute force and spam.
 * Missing binding = limiter off (logged once per request by the health check).
 */
export function rateLimit(preset: RateLimitPreset): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const kv = c.env?.RATE_LIMIT_KV;
    if (!kv) return next();
    const now = Date.now();
    const key = rateLimitKey(preset, subjectOf(c, preset), now);
    const windowEnd = (Math.floor(now / 1000 / preset.windowSeconds) + 1) * preset.windowSeconds;
    const retryAfter = Math.max(1, Math.ceil(windowEnd - now / 1000));
    const count = Number((await kv.get(key)) ?? '0');
    c.header('X-RateLimit-Limit', String(preset.limit));
    if (count >= preset.limit) {
      throw new DomainError(
        'RATE_LIMITED',
        'Too many requests, retry later',
        { retryAfterSeconds: retryAfter },
        {
          retryAfterSeconds: retryAfter,
        },
      );
    }
    try {
      // KV needs an expiration of at least 60 s.
      await kv.put(key, String(count + 1), { expirationTtl: Math.max(60, retryAfter + 1) });
    } catch (e) {
      // KV refuses more than one write per second to a key; a burst from one caller must not turn into 500s.
      // The request goes on (fail open) and the count catches up with the next write.
      getLogger(c).warn('rate limit counter not written', {
        bucket: preset.name,
        reason: e instanceof Error ? e.message.slice(0, 120) : 'unknown',
      });
    }
    c.header('X-RateLimit-Remaining', String(Math.max(0, preset.limit - count - 1)));
    return next();
  };
}
