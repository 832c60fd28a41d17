import type { Context } from 'hono';

/**
 * The caller's IP. Cloudflare sets CF-Connecting-IP at its edge and overwrites
 * any value a client sends, so it is trustworthy there; the local dev host sets
 * it from the socket address for the same reason. X-Forwarded-For is never
 * trusted (a client could choose its own rate-limit bucket).
 */
export function clientIp(c: Context): string {
  const value = c.req.header('cf-connecting-ip');
  if (value === undefined) return 'unknown';
  // An IPv4 or IPv6 address in text form; anything else (only possible off Cloudflare) shares one bucket, so a
  // client can neither pick arbitrary buckets nor make the limiter's key unbounded.
  return IP_TEXT.test(value) ? value.toLowerCase() : 'invalid';
}

const IP_TEXT = /^[0-9A-Fa-f:.]{2,45}$/;
