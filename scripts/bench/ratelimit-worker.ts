/**
 * The Worker of the rate-limit benchmark (scripts/bench/ratelimit.ts): one JSON route, three ways.
 *
 *   GET /none   → { ok: true }                               no limiter (the baseline)
 *   GET /do     → rateLimit(preset) of @codex/worker-kit      the Durable Object limiter (RATE_LIMITER)
 *   GET /kv     → the KV limiter this repository had before   fixed-window read-modify-write on RATE_LIMIT_KV
 *
 * `?spread=<n>` gives each request one of n client addresses (round robin) instead of the caller's: n keys
 * instead of one hot key. The preset is named `bench`; its limit comes from RATE_LIMITS for /do and from the
 * preset itself for /kv, so the bench can run far below or right at the limit.
 */
import { DomainError } from '@codex/domain';
import {
  type AppEnv,
  baseEnv,
  clientIp,
  getLogger,
  parseEnv,
  RateLimiter,
  type RateLimitPreset,
  rateLimit,
  toErrorResponse,
} from '@codex/worker-kit';
import { Hono, type MiddlewareHandler } from 'hono';

interface Env {
  RATE_LIMITER: DurableObjectNamespace;
  RATE_LIMIT_KV: KVNamespace;
  RATE_LIMITS?: string;
  /** The limit of the KV limiter's preset (the DO limiter reads RATE_LIMITS). */
  KV_LIMIT?: string;
  LOG_LEVEL?: string;
}

const PRESET: RateLimitPreset = { name: 'bench', limit: 100, windowSeconds: 60, keyBy: 'ip' };

// ---------------------------------------------------------------------------------------------------------------------
// The old limiter, kept here only to compare against (packages/worker-kit/src/rate-limit.ts before the Durable
// Object limiter): fixed wall-clock windows, KV get then put, fail open when KV refuses the write.
// ---------------------------------------------------------------------------------------------------------------------

function kvRateLimitKey(preset: RateLimitPreset, subject: string, nowMs = Date.now()) {
  const window = Math.floor(nowMs / 1000 / preset.windowSeconds);
  return `rl:${preset.name}:${subject}:${window}`;
}

function kvRateLimit(base: RateLimitPreset): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const env = c.env as unknown as Env;
    const preset = { ...base, limit: Number(env.KV_LIMIT ?? base.limit) };
    const kv = env.RATE_LIMIT_KV;
    const now = Date.now();
    const key = kvRateLimitKey(preset, `ip:${clientIp(c)}`, now);
    const windowEnd = (Math.floor(now / 1000 / preset.windowSeconds) + 1) * preset.windowSeconds;
    const retryAfter = Math.max(1, Math.ceil(windowEnd - now / 1000));
    const count = Number((await kv.get(key)) ?? '0');
    c.header('X-RateLimit-Limit', String(preset.limit));
    if (count >= preset.limit) {
      throw new DomainError('RATE_LIMITED', 'Too many requests', undefined, { retryAfterSeconds: retryAfter });
    }
    try {
      await kv.put(key, String(count + 1), { expirationTtl: Math.max(60, retryAfter + 1) });
    } catch (e) {
      getLogger(c).warn('rate limit counter not written', {
        bucket: preset.name,
        reason: e instanceof Error ? e.message.slice(0, 120) : 'unknown',
      });
    }
    c.header('X-RateLimit-Remaining', String(Math.max(0, preset.limit - count - 1)));
    return next();
  };
}

// ---------------------------------------------------------------------------------------------------------------------

const app = new Hono<AppEnv>();
app.onError((err, c) => toErrorResponse(c, err, () => undefined));
// What createWorker does first for every worker: the bindings parsed once, read by the limiter from `config`.
app.use('*', async (c, next) => {
  const parsed = parseEnv(baseEnv, c.env as object);
  if (!parsed.ok) throw new Error('bench worker: invalid bindings');
  c.set('config', parsed.config);
  await next();
});
app.get('/none', (c) => c.json({ ok: true }));
app.get('/do', rateLimit(PRESET), (c) => c.json({ ok: true }));
app.get('/kv', kvRateLimit(PRESET), (c) => c.json({ ok: true }));

let turn = 0;

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const spread = Number(new URL(request.url).searchParams.get('spread') ?? 0);
    if (spread > 0) {
      const n = turn++ % spread;
      const headers = new Headers(request.headers);
      headers.set('cf-connecting-ip', `10.77.${Math.floor(n / 250)}.${(n % 250) + 1}`);
      return app.fetch(new Request(request, { headers }), env, ctx);
    }
    return app.fetch(request, env, ctx);
  },
};

export { RateLimiter };
