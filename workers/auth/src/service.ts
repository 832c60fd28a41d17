import type { AuthUser, LoginRequest, RegisterRequest } from '@codex/contract';
import { sessions, users, verificationTokens } from '@codex/database';
import { DomainError, SESSION_COOKIE } from '@codex/domain';
import { evictSessions, readSessionCache, type SessionData, writeSessionCache } from '@codex/worker-kit';
import { APIError } from 'better-auth/api';
import { and, eq, like } from 'drizzle-orm';
import { type AuthDeps, type AuthRuntime, createAuth, RESET_PASSWORD_IDENTIFIER_PREFIX } from './auth';
import { toAuthUser, toSessionData } from './shape';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const invalidToken = () => new DomainError('INVALID_TOKEN', 'The link is invalid or has expired');

/** Everything the auth service needs: the request's database, settings and logger, the session cache, the client. */
export interface AuthServiceDeps extends AuthDeps {
  /** The session cache (AUTH_SESSION_KV), shared with the other workers. */
  kv: KVNamespace | undefined;
  /** Recorded on new sessions. */
  client: { userAgent: string | undefined; ip: string | undefined };
}

/** The result of an operation that sets or clears the session cookie. */
export interface WithCookie<T> {
  body: T;
  /** `Set-Cookie` values for `codex-session` only (better-auth's other cookies are dropped). */
  setCookies: string[];
}

function betterAuthCode(e: unknown): string | undefined {
  if (!(e instanceof APIError)) return undefined;
  const code = (e.body as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : String(e.status);
}

/** The request field a better-auth validation code is about. */
function fieldOf(code: string | undefined): string {
  if (code?.includes('PASSWORD')) return 'password';
  if (code?.includes('EMAIL')) return 'email';
  if (code?.includes('NAME')) return 'name';
  return '(root)';
}

/** Keeps only our session cookie from better-auth's response headers. */
function sessionCookies(headers: Headers | undefined): string[] {
  if (!headers) return [];
  return headers.getSetCookie().filter((cookie) => cookie.startsWith(`${SESSION_COOKIE}=`));
}

/** The decoded value of `codex-session` in a Set-Cookie line (as the browser will send it back). */
function cookieValueOf(setCookie: string): string | undefined {
  const raw = setCookie.slice(SESSION_COOKIE.length + 1).split(';', 1)[0] ?? '';
  if (!raw) return undefined;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

/** A keyed, non-reversible tag of an email address for logs: HMAC-SHA-256(secret, lower-cased address), 16 hex. */
export async function emailFingerprint(secret: string, email: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', enc.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = await crypto.subtle.sign('HMAC', key, enc.encode(`codex-email:${email.trim().toLowerCase()}`));
  return [...new Uint8Array(mac).slice(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The payload of better-auth's verification token (its signature was checked by better-auth). */
function jwtPayload(token: string): { email?: unknown; userId?: unknown } {
  const part = token.split('.')[1] ?? '';
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
    const value = JSON.parse(json) as unknown;
    return value && typeof value === 'object' ? (value as { email?: unknown; userId?: unknown }) : {};
  } catch {
    return {};
  }
}

/**
 * Accounts and sessions over better-auth: each call drives better-auth's server API and returns what the route needs
 * (the shaped body and the session cookie to forward). The KV session cache is kept coherent here: whatever ends
 * or changes a session removes the cache entries at once.
 */
export class AuthService {
  private built: AuthRuntime | undefined;

  constructor(private readonly deps: AuthServiceDeps) {}

  /** better-auth for this request, built on first use (a warm session cache never needs it). */
  private get runtime(): AuthRuntime {
    this.built ??= createAuth(this.deps);
    return this.built;
  }

  private get db() {
    return this.deps.db();
  }

  private get kv() {
    return this.deps.kv;
  }

  /**
   * One structured authentication event (`event: "auth.<what>"`), tied to the request by the logger's requestId.
   * No PII: a user id at most, and for attempts on an email address a keyed fingerprint of it (an HMAC under the
   * worker's secret, 16 hex digits): it groups attempts on one address without revealing it.
   */
  private async event(
    event: string,
    fields: { userId?: string; email?: string; reason?: string },
    level: 'info' | 'warn' = 'info',
  ) {
    const { email, ...rest } = fields;
    const out: Record<string, unknown> = { event, ...rest };
    if (email !== undefined) out.emailFingerprint = await emailFingerprint(this.deps.settings.secret, email);
    this.deps.log[level]('auth event', out);
  }

  /** Headers better-auth gets: the session cookie (only ours) and what it records on a session. */
  private headers(cookieValue?: string) {
    const h = new Headers();
    if (cookieValue !== undefined) h.set('cookie', `${SESSION_COOKIE}=${encodeURIComponent(cookieValue)}`);
    const { userAgent, ip } = this.deps.client;
    if (userAgent) h.set('user-agent', userAgent.slice(0, 512));
    if (ip) h.set('cf-connecting-ip', ip);
    return h;
  }

  /** The session created during this request, shaped, and the cache warmed for its cookie. */
  private async newSession(
    user: Parameters<typeof toAuthUser>[0],
    setCookies: string[],
  ): Promise<WithCookie<SessionData>> {
    const created = this.runtime.events.createdSession;
    if (!created || setCookies.length === 0) throw new Error('better-auth created no session');
    const data = toSessionData(user, created);
    const cookieValue = cookieValueOf(setCookies[setCookies.length - 1] as string);
    if (cookieValue) await writeSessionCache(this.kv, cookieValue, data);
    return { body: data, setCookies };
  }

  async register(input: RegisterRequest): Promise<WithCookie<SessionData>> {
    const result = await this.runtime.auth.api
      .signUpEmail({
        body: { email: input.email, password: input.password, name: input.name },
        headers: this.headers(),
        returnHeaders: true,
      })
      .catch(async (e: unknown) => {
        const code = betterAuthCode(e);
        if (code === 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL' || code === 'USER_ALREADY_EXISTS') {
          await this.event('auth.register.failed', { email: input.email, reason: 'email_taken' }, 'warn');
          throw this.emailTaken();
        }
        // Our schema mirrors better-auth's checks; should they ever disagree, the answer is still a 400.
        if (e instanceof APIError && e.statusCode === 400) {
          throw new DomainError('VALIDATION_ERROR', 'Request validation failed', [
            { field: fieldOf(code), message: e.message, code: code ?? 'invalid' },
          ]);
        }
        if (code === 'FAILED_TO_CREATE_USER') {
          // A concurrent registration won the unique index between better-auth's check and its insert.
          const [existing] = await this.db.select({ id: users.id }).from(users).where(eq(users.email, input.email));
          if (existing) {
            await this.event('auth.register.failed', { email: input.email, reason: 'email_taken' }, 'warn');
            throw this.emailTaken();
          }
        }
        throw e;
      });
    const created = await this.newSession(result.response.user, sessionCookies(result.headers));
    await this.event('auth.register.succeeded', { userId: created.body.user.id });
    return created;
  }

  private emailTaken() {
    return new DomainError('EMAIL_TAKEN', 'An account with this email already exists');
  }

  async login(input: LoginRequest): Promise<WithCookie<SessionData>> {
    const result = await this.runtime.auth.api
      .signInEmail({
        body: { email: input.email, password: input.password },
        headers: this.headers(),
        returnHeaders: true,
      })
      .catch(async (e: unknown) => {
        // Unknown email and wrong password get the same answer (better-auth hashes either way).
        if (e instanceof APIError && (e.statusCode === 401 || e.statusCode === 400)) {
          await this.event('auth.login.failed', { email: input.email, reason: 'invalid_credentials' }, 'warn');
          throw new DomainError('INVALID_CREDENTIALS', 'Invalid email or password');
        }
        throw e;
      });
    const created = await this.newSession(result.response.user, sessionCookies(result.headers));
    await this.event('auth.login.succeeded', { userId: created.body.user.id });
    return created;
  }

  /** The session behind a cookie value, from better-auth (the database); null when invalid or expired. */
  private async lookup(cookieValue: string) {
    const result = await this.runtime.auth.api.getSession({
      headers: this.headers(cookieValue),
      query: { disableCookieCache: true, disableRefresh: true },
    });
    return result ?? null;
  }

  /** GET /api/auth/session: the KV cache first, better-auth on a miss (then cached). */
  async session(cookieValue: string): Promise<SessionData | null> {
    const cached = await readSessionCache(this.kv, cookieValue);
    if (cached) return cached;
    const found = await this.lookup(cookieValue);
    if (!found) return null;
    const data = toSessionData(found.user, found.session);
    await writeSessionCache(this.kv, cookieValue, data);
    return data;
  }

  async signOut(cookieValue: string): Promise<WithCookie<{ success: true }>> {
    const found = await this.lookup(cookieValue);
    if (!found) {
      await this.event('auth.logout.failed', { reason: 'session_invalid' }, 'warn');
      throw new DomainError('SESSION_INVALID', 'Session is invalid or expired');
    }
    const token = found.session.token;
    const result = await this.runtime.auth.api.signOut({ headers: this.headers(cookieValue), returnHeaders: true });
    // better-auth logs and swallows a failed delete; never report success for a session that lives on.
    const [still] = await this.db.select({ id: sessions.id }).from(sessions).where(eq(sessions.token, token));
    if (still) throw new DomainError('SIGNOUT_FAILED', 'Could not end the session, retry');
    await evictSessions(this.kv, [token]);
    await this.event('auth.logout.succeeded', { userId: found.user.id });
    return { body: { success: true }, setCookies: sessionCookies(result.headers) };
  }

  /** Removes the cache entries of every session of the user (after a change the cache would hide). */
  private async evictUserSessions(userId: string) {
    const rows = await this.db.select({ token: sessions.token }).from(sessions).where(eq(sessions.userId, userId));
    await evictSessions(
      this.kv,
      rows.map((r) => r.token),
    );
  }

  async verifyEmail(token: string): Promise<AuthUser> {
    try {
      await this.runtime.auth.api.verifyEmail({ query: { token } });
    } catch (e) {
      // better-auth's APIError (bad signature, expired, unknown user) or its payload check (ZodError).
      if (e instanceof APIError || (e instanceof Error && e.name === 'ZodError')) throw invalidToken();
      throw e;
    }
    // The token's signature was checked by better-auth; its payload names the user.
    const payload = jwtPayload(token);
    const email = typeof payload.email === 'string' ? payload.email.toLowerCase() : '';
    const [user] = await this.db.select().from(users).where(eq(users.email, email));
    if (!user?.emailVerified) throw invalidToken();
    await this.evictUserSessions(user.id);
    await this.event('auth.email_verified', { userId: user.id });
    return toAuthUser(user);
  }

  async sendResetPasswordEmail(email: string): Promise<void> {
    await this.event('auth.password_reset.requested', { email });
    try {
      await this.runtime.auth.api.requestPasswordReset({ body: { email } });
    } catch (e) {
      if (e instanceof APIError) {
        // Same answer whatever happened: no account enumeration.
        this.deps.log.warn('password reset request refused', {
          code: betterAuthCode(e),
        });
        return;
      }
      throw e;
    }
  }

  async resetPassword(token: string, newPassword: string): Promise<void> {
    const identifier = `${RESET_PASSWORD_IDENTIFIER_PREFIX}${token}`;
    const [row] = await this.db
      .select({ userId: verificationTokens.value })
      .from(verificationTokens)
      .where(eq(verificationTokens.identifier, identifier));
    if (!row || !UUID.test(row.userId)) {
      await this.event('auth.password_reset.failed', { reason: 'invalid_token' }, 'warn');
      throw invalidToken();
    }
    // Read the session tokens before better-auth revokes the rows: the cache entries go too.
    const before = await this.db
      .select({ token: sessions.token })
      .from(sessions)
      .where(eq(sessions.userId, row.userId));
    try {
      await this.runtime.auth.api.resetPassword({ body: { token, newPassword } });
    } catch (e) {
      if (e instanceof APIError && e.statusCode === 400) {
        if (betterAuthCode(e)?.startsWith('PASSWORD_TOO')) {
          throw new DomainError('VALIDATION_ERROR', 'Request validation failed', [
            { field: 'newPassword', message: e.message, code: 'too_small' },
          ]);
        }
        await this.event('auth.password_reset.failed', { userId: row.userId, reason: 'invalid_token' }, 'warn');
        throw invalidToken();
      }
      throw e;
    }
    await evictSessions(
      this.kv,
      before.map((s) => s.token),
    );
    await this.event('auth.password_reset.completed', { userId: row.userId });
    // Any other reset link of this user dies with this one.
    await this.db
      .delete(verificationTokens)
      .where(
        and(
          like(verificationTokens.identifier, `${RESET_PASSWORD_IDENTIFIER_PREFIX}%`),
          eq(verificationTokens.value, row.userId),
        ),
      );
  }
}
