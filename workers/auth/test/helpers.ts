/**
 * Helpers shared by the auth worker's suites. Requests go through the local platform (Miniflare KV,
 * embedded PGlite or PostgreSQL via DATABASE_URL) into the real app; nothing of ours is mocked.
 */
import { accounts, sessions, users } from '@codex/database';
import { json, type LocalPlatform, startLocalPlatform, uniqueEmail } from '@codex/local';
import { sessionCacheKey, sessionTokenOf } from '@codex/worker-kit';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { type EmailKind, type EmailMessage, outbox } from '../src/email';
import { app } from '../src/index';

export { json, uniqueEmail };

/** A secret of our own, so tests can sign tokens the way the worker does. */
export const TEST_SECRET = 'test-secret-for-the-auth-worker-suite-0123456789';

export const PASSWORD = 'Sup3r-secret-pass';

export async function startAuthPlatform(vars: Record<string, string> = {}) {
  return startLocalPlatform({
    apps: { auth: app },
    vars: {
      LOG_LEVEL: 'silent',
      EMAIL_TRANSPORT: 'memory',
      ENVIRONMENT: 'test',
      BETTER_AUTH_SECRET: TEST_SECRET,
      ...vars,
    },
  });
}

let ipCounter = 0;
/** A client IP of its own per call (rate limits are per IP). */
export function freshIp() {
  ipCounter += 1;
  return `198.51.${(ipCounter + Math.floor(Math.random() * 200)) % 256}.${Math.floor(Math.random() * 254) + 1}`;
}

/** Every response body the suites saw, to check at the end that no secret ever left. */
export const seenBodies: string[] = [];

export interface Sent {
  res: Response;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: assertions walk arbitrary JSON
  body: any;
}

export async function send(
  platform: LocalPlatform,
  method: string,
  path: string,
  opts: {
    body?: unknown;
    rawBody?: string;
    cookie?: string;
    ip?: string;
    headers?: Record<string, string>;
    env?: Record<string, unknown>;
  } = {},
): Promise<Sent> {
  const headers: Record<string, string> = { 'cf-connecting-ip': opts.ip ?? freshIp(), ...opts.headers };
  if (opts.body !== undefined || opts.rawBody !== undefined) headers['content-type'] ??= 'application/json';
  if (opts.cookie) headers.cookie = opts.cookie;
  const init: RequestInit = {
    method,
    headers,
    ...(opts.rawBody !== undefined
      ? { body: opts.rawBody }
      : opts.body !== undefined
        ? { body: JSON.stringify(opts.body) }
        : {}),
  };
  const res = opts.env
    ? await app.fetch(new Request(new URL(path, 'http://localhost:42069'), init), platform.envFor('auth', opts.env))
    : await platform.request('auth', path, init);
  const text = await res.text();
  seenBodies.push(text);
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  return { res, text, body };
}

/** The `codex-session` Set-Cookie line of a response (exactly one expected). */
export function sessionSetCookie(res: Response): string {
  const lines = res.headers.getSetCookie();
  expect(lines).toHaveLength(1);
  const line = lines[0] as string;
  expect(line.startsWith('codex-session=')).toBe(true);
  return line;
}

/** `codex-session=<value>` for a Cookie header, from a Set-Cookie line. */
export function cookieFrom(res: Response): string {
  return sessionSetCookie(res).split(';', 1)[0] as string;
}

/** The raw session token inside a cookie header value. */
export function tokenOf(cookie: string): string {
  return sessionTokenOf(decodeURIComponent(cookie.slice('codex-session='.length)));
}

export async function cacheEntry(platform: LocalPlatform, cookie: string) {
  return platform.kv.AUTH_SESSION_KV.get(await sessionCacheKey(tokenOf(cookie)));
}

export async function register(
  platform: LocalPlatform,
  fields: { email?: string; password?: string; name?: string } = {},
) {
  const email = fields.email ?? uniqueEmail('auth');
  const sent = await send(platform, 'POST', '/api/auth/email/register', {
    body: { email, password: fields.password ?? PASSWORD, name: fields.name ?? 'Ada Lovelace' },
  });
  expect(sent.res.status, sent.text).toBe(201);
  return {
    ...sent,
    email: email.trim().toLowerCase(),
    cookie: cookieFrom(sent.res),
    userId: sent.body.user.id as string,
  };
}

export async function login(platform: LocalPlatform, email: string, password = PASSWORD) {
  const sent = await send(platform, 'POST', '/api/auth/email/login', { body: { email, password } });
  expect(sent.res.status, sent.text).toBe(200);
  return { ...sent, cookie: cookieFrom(sent.res) };
}

export async function userRow(platform: LocalPlatform, email: string) {
  const [row] = await platform.db.select().from(users).where(eq(users.email, email));
  return row;
}

export async function sessionRows(platform: LocalPlatform, userId: string) {
  return platform.db.select().from(sessions).where(eq(sessions.userId, userId));
}

export async function accountRows(platform: LocalPlatform, userId: string) {
  return platform.db.select().from(accounts).where(eq(accounts.userId, userId));
}

/** The last email of a kind sent to an address (memory transport). */
export function lastEmail(to: string, kind: EmailKind): EmailMessage | undefined {
  return outbox.filter((m) => m.to === to && m.kind === kind).at(-1);
}

/** Strips the per-response fields of an error envelope, to compare two answers. */
// biome-ignore lint/suspicious/noExplicitAny: envelope
export function withoutRequestFields(body: any) {
  const { requestId: _r, timestamp: _t, ...rest } = body;
  return rest;
}

function b64url(bytes: Uint8Array | string) {
  const raw = typeof bytes === 'string' ? bytes : String.fromCharCode(...bytes);
  return btoa(raw).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An HS256 JWT, as better-auth signs email verification tokens. */
export async function signJwt(payload: Record<string, unknown>, secret: string) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify(payload));
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${head}.${body}`)));
  return `${head}.${body}.${b64url(sig)}`;
}

/** The token in a link. */
export function tokenFromLink(link: string) {
  return new URL(link).searchParams.get('token') ?? '';
}
