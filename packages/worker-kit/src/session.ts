import { DomainError, SESSION_COOKIE } from '@codex/domain';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { getLogger } from './logger';
import type { AppEnv, SessionData } from './types';

/** Sessions are cached for 5 minutes (KV's minimum TTL is 60 s). */
export const SESSION_CACHE_TTL_SECONDS = 300;

/**
 * How long an isolate (a Node process locally) reuses a session it has just read from KV without reading it again:
 * the bound on how late another worker's isolate sees a sign-out or a password reset. Far below what KV itself
 * allows in production (a deleted key can be served from another location's cache for up to 60 s), and it takes
 * the KV read off nearly every request of a busy caller. In one process (the Node host, the tests) evictions and
 * writes update this memory at once.
 */
export const SESSION_MEMORY_TTL_MS = 1000;
/** At most this many sessions are held per isolate; the oldest go first. */
export const SESSION_MEMORY_MAX_ENTRIES = 2000;

interface MemoryEntry {
  data: SessionData;
  token: string;
  /** Reused until then (ms since the epoch). */
  until: number;
}

/**
 * Keyed by the whole cookie value (token and signature): only a cookie that KV or the auth worker accepted gets
 * here, so a forged signature never matches. Lives in isolate memory only, never stored anywhere.
 */
const memory = new Map<string, MemoryEntry>();

function remember(cookieValue: string, data: SessionData, now = Date.now()) {
  memory.delete(cookieValue);
  if (memory.size >= SESSION_MEMORY_MAX_ENTRIES) {
    const oldest = memory.keys().next().value;
    if (oldest !== undefined) memory.delete(oldest);
  }
  memory.set(cookieValue, { data, token: sessionTokenOf(cookieValue), until: now + SESSION_MEMORY_TTL_MS });
}

function recall(cookieValue: string, now = Date.now()): SessionData | null {
  const entry = memory.get(cookieValue);
  if (!entry) return null;
  if (entry.until <= now || Date.parse(entry.data.session.expiresAt) <= now) {
    memory.delete(cookieValue);
    return null;
  }
  return entry.data;
}

function forgetTokens(tokens: string[]) {
  if (tokens.length === 0 || memory.size === 0) return;
  const gone = new Set(tokens);
  for (const [cookieValue, entry] of memory) if (gone.has(entry.token)) memory.delete(cookieValue);
}

async function sha256Hex(value: string) {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * The cookie holds `<token>.<signature>`. The cache is keyed by a hash of the
 * token alone, so the auth worker can evict every session of a user from the
 * tokens it finds in the database; the entry also records a hash of the whole
 * cookie so that a token with a forged signature never hits the cache.
 */
export function sessionTokenOf(cookieValue: string) {
  const dot = cookieValue.indexOf('.');
  return dot === -1 ? cookieValue : cookieValue.slice(0, dot);
}

export async function sessionCacheKey(token: string) {
  return `session:${await sha256Hex(token)}`;
}

interface CacheEntry {
  cookieHash: string;
  data: SessionData;
}

export async function readSessionCache(kv: KVNamespace | undefined, cookieValue: string): Promise<SessionData | null> {
  if (!kv) return null;
  const entry = await kv.get<CacheEntry>(await sessionCacheKey(sessionTokenOf(cookieValue)), 'json');
  if (!entry || entry.cookieHash !== (await sha256Hex(cookieValue))) return null;
  if (Date.parse(entry.data.session.expiresAt) <= Date.now()) return null;
  return entry.data;
}

export async function writeSessionCache(kv: KVNamespace | undefined, cookieValue: string, data: SessionData) {
  if (!kv) return;
  const secondsLeft = Math.floor((Date.parse(data.session.expiresAt) - Date.now()) / 1000);
  if (secondsLeft <= 0) return;
  const entry: CacheEntry = { cookieHash: await sha256Hex(cookieValue), data };
  remember(cookieValue, data);
  await kv.put(await sessionCacheKey(sessionTokenOf(cookieValue)), JSON.stringify(entry), {
    expirationTtl: Math.max(60, Math.min(SESSION_CACHE_TTL_SECONDS, secondsLeft)),
  });
}

/** Removes the cache entries of the given raw session tokens (sign-out, password reset). */
export async function evictSessions(kv: KVNamespace | undefined, tokens: string[]) {
  forgetTokens(tokens);
  if (!kv) return;
  await Promise.all(tokens.map(async (t) => kv.delete(await sessionCacheKey(t))));
}

/** Asks the auth worker who the cookie belongs to: service binding in Cloudflare, HTTP locally. */
async function fetchSessionFromAuth(c: Context<AppEnv>, cookieValue: string): Promise<SessionData | null> {
  const headers = {
    cookie: `${SESSION_COOKIE}=${cookieValue}`,
    'x-request-id': c.get('requestId'),
    accept: 'application/json',
  };
  let res: Response;
  try {
    if (c.env.AUTH_SERVICE) {
      res = await c.env.AUTH_SERVICE.fetch('https://auth.internal/api/auth/session', { headers });
    } else if (c.env.AUTH_URL) {
      res = await fetch(new URL('/api/auth/session', c.env.AUTH_URL), { headers });
    } else {
      throw new Error('neither AUTH_SERVICE nor AUTH_URL is configured');
    }
  } catch (e) {
    getLogger(c).error('session lookup failed', { reason: e instanceof Error ? e.message : 'unknown' });
    throw new DomainError('AUTH_UNAVAILABLE', 'Authentication service unavailable');
  }
  if (res.status === 401) return null;
  if (!res.ok) {
    getLogger(c).error('session lookup failed', { authStatus: res.status });
    throw new DomainError('AUTH_UNAVAILABLE', 'Authentication service unavailable');
  }
  return (await res.json()) as SessionData;
}

export interface SessionPolicy {
  auth: 'required' | 'optional';
}

/**
 * Who the cookie belongs to: this isolate's memory (SESSION_MEMORY_TTL_MS), else the KV cache (5 min), else the
 * auth worker (which then fills both).
 */
async function resolveSession(c: Context<AppEnv>, cookieValue: string): Promise<SessionData | null> {
  const remembered = recall(cookieValue);
  if (remembered) return remembered;
  let data = await readSessionCache(c.env.AUTH_SESSION_KV, cookieValue);
  if (data) {
    remember(cookieValue, data);
    return data;
  }
  data = await fetchSessionFromAuth(c, cookieValue);
  if (data) await writeSessionCache(c.env.AUTH_SESSION_KV, cookieValue, data);
  return data;
}

/**
 * Session middleware for the non-auth workers: resolves the `codex-session` cookie (resolveSession), puts the user
 * on the context, and enforces the route's policy.
 */
export function requireSession(policy: SessionPolicy = { auth: 'required' }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const cookieValue = getCookie(c, SESSION_COOKIE);
    let data: SessionData | null = null;
    if (cookieValue) data = await resolveSession(c, cookieValue);
    if (!data) {
      if (policy.auth === 'required') {
        throw cookieValue
          ? new DomainError('SESSION_INVALID', 'Session is invalid or expired')
          : new DomainError('AUTHENTICATION_REQUIRED', 'Authentication required');
      }
      c.set('user', undefined);
      c.set('session', undefined);
      c.set('sessionToken', undefined);
      return next();
    }
    c.set('user', data.user);
    c.set('session', data.session);
    c.set('sessionToken', sessionTokenOf(cookieValue as string));
    return next();
  };
}

/** The signed-in user, for handlers behind requireSession(). */
export function currentUser(c: Context<AppEnv>) {
  const user = c.get('user');
  if (!user) throw new DomainError('AUTHENTICATION_REQUIRED', 'Authentication required');
  return user;
}

/**
 * After requireSession({ auth: 'optional' }) and the rate limit: refuses a caller it found no valid session for.
 * The limit is counted before the refusal, so a caller without a valid session spends its IP's budget on signed-in
 * routes too and cannot flood them with bad cookies past the limit.
 */
export const signedInOnly: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (!c.get('user')) {
    throw getCookie(c, SESSION_COOKIE)
      ? new DomainError('SESSION_INVALID', 'Session is invalid or expired')
      : new DomainError('AUTHENTICATION_REQUIRED', 'Authentication required');
  }
  return next();
};
