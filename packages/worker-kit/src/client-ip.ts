import type { Context } from 'hono';

/**
 * The caller's IP. Cloudflare sets CF-Connecting-IP at its edge and overwrites
 * any value a client sends, so it is trustworthy there; the local dev host sets
 * it from the socket address for the same reason. X-Forwarded-For is never
 * trusted (a client could choose its own rate-limit bucket).
 */
export function clientIp(c: Context): string {
  return c.req.header('cf-connecting-ip') ?? 'unknown';
}
