/**
 * The API rate limit (100 per minute per user, per IP when anonymous) on a real route, in the real Workers runtime:
 * wrangler's deploy bundle of identity-api, whose RATE_LIMITER is the RateLimiter class hosted by the auth worker's
 * bundle (script_name codex-auth), as deployed.
 *
 * The route: GET /api/organizations/check-slug/{slug} (anonymous: counted per IP) with a malformed slug, which the
 * service answers without a query (the database client connects lazily) — 200 `available: false` whether or not a
 * database is reachable. A request the limiter let through gets that answer and a refused one 429 RATE_LIMITED; and
 * 100 requests at once do not measure the database's connection limit.
 */
import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';

const passed = 200;

/** A client address of its own per test, as the edge would set it. */
function clientIp() {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

const checkSlug = (fetcher: Fetcher, ip: string) =>
  fetcher.fetch('http://localhost/api/organizations/check-slug/Not_A_Slug', { headers: { 'cf-connecting-ip': ip } });

describe('API rate limit in workerd', () => {
  it('200 concurrent requests on one key against 100 per minute: exactly 100 through, 100 refused with 429', async () => {
    const ip = clientIp();
    const responses = await Promise.all(Array.from({ length: 200 }, () => checkSlug(env.BUNDLE, ip)));
    const refused = responses.filter((r) => r.status === 429);
    const through = responses.filter((r) => r.status !== 429);
    expect(refused).toHaveLength(100);
    expect(through.map((r) => r.status)).toEqual(Array(100).fill(passed));
    // Each request let through was counted once: X-RateLimit-Remaining 99 … 0, each exactly once.
    const remaining = through.map((r) => Number(r.headers.get('x-ratelimit-remaining'))).sort((a, b) => a - b);
    expect(remaining).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (const r of responses) {
      expect(r.headers.get('x-ratelimit-limit')).toBe('100');
      const reset = Number(r.headers.get('x-ratelimit-reset'));
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(60);
    }
    for (const r of refused) {
      const body = (await r.json()) as { error: { code: string; details: { retryAfterSeconds: number } } };
      expect(body.error.code).toBe('RATE_LIMITED');
      expect(r.headers.get('retry-after')).toBe(r.headers.get('x-ratelimit-reset'));
      expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
      expect(body.error.details.retryAfterSeconds).toBe(Number(r.headers.get('retry-after')));
    }
    for (const r of through) {
      const body = (await r.json()) as Record<string, unknown>;
      expect(body).toEqual({ slug: 'Not_A_Slug', available: false, reason: 'invalid' });
    }
  });

  it("one budget across workers: the test worker and the deploy bundle share the IP's 100", async () => {
    const ip = clientIp();
    // Two different Workers (SELF is src/index.ts in the test isolate; BUNDLE is the deploy artifact), one counter.
    const responses = await Promise.all(
      Array.from({ length: 120 }, (_, i) => checkSlug(i % 2 ? (SELF as unknown as Fetcher) : env.BUNDLE, ip)),
    );
    expect(responses.filter((r) => r.status === 429)).toHaveLength(20);
    expect(responses.filter((r) => r.status === passed)).toHaveLength(100);
    for (const r of responses) await r.body?.cancel();
    // Another IP has its own budget.
    const other = await checkSlug(env.BUNDLE, clientIp());
    expect(other.status).toBe(passed);
    expect(other.headers.get('x-ratelimit-remaining')).toBe('99');
  });
});
