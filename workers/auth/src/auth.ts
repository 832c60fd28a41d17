/**
 * better-auth, configured for Codex and built per request from the request's database and bindings.
 * Only our contract routes call it (through `auth.api.*`); its own HTTP handler is never mounted.
 */

import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, ServiceUnavailableError } from '@codex/contract';
import { accounts, sessions, users, verificationTokens } from '@codex/database';
import {
  type AppBindings,
  type AppEnv,
  describeError,
  getDb,
  getLogger,
  type Logger,
  SESSION_COOKIE,
} from '@codex/worker-kit';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { betterAuth } from 'better-auth/minimal';
import type { Context } from 'hono';
import {
  createEmailSender,
  deliver,
  type EmailBindings,
  type EmailSender,
  resetPasswordEmail,
  verificationEmail,
} from './email';
import { hashPassword, verifyPassword } from './password';

export interface AuthBindings extends AppBindings, EmailBindings {
  /** Signs session cookies and verification tokens (secret; at least 32 characters outside development). */
  BETTER_AUTH_SECRET?: string;
  /** The web app: password reset links point to `${WEB_APP_URL}/reset-password?token=...`. */
  WEB_APP_URL?: string;
}

export type AuthContext = Context<AppEnv<AuthBindings>>;

/** Sessions last 24 hours from sign-in; they are not extended by use. */
export const SESSION_TTL_SECONDS = 24 * 60 * 60;
export const VERIFY_EMAIL_TTL_SECONDS = 24 * 60 * 60;
export const RESET_PASSWORD_TTL_SECONDS = 60 * 60;
export const MIN_SECRET_LENGTH = 32;
/** Prefix better-auth gives the identifier of a password reset token in verification_tokens. */
export const RESET_PASSWORD_IDENTIFIER_PREFIX = 'reset-password:';

const DEVELOPMENT_SECRET = 'codex-development-only-secret-do-not-use-in-production';

export interface AuthConfig {
  secret: string;
  /** Origin of this worker, used in the links we email. */
  publicUrl: string;
  /** Origin of the web app (password reset page). */
  webAppUrl: string;
  secureCookies: boolean;
}

function isLocal(env: AuthBindings) {
  return env.ENVIRONMENT === 'development' || env.ENVIRONMENT === 'test';
}

function origin(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

/**
 * The auth configuration, or a 503 when it is unsafe to run: outside development and test the
 * secret (≥ 32 characters) and PUBLIC_URL must be set — links are never built from the Host header.
 */
export function authConfig(env: AuthBindings, requestUrl: string): AuthConfig {
  const local = isLocal(env);
  const secret = env.BETTER_AUTH_SECRET || (local ? DEVELOPMENT_SECRET : '');
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new ServiceUnavailableError('Authentication is not configured', 'AUTH_NOT_CONFIGURED');
  }
  const publicUrl = origin(env.PUBLIC_URL) ?? (local ? new URL(requestUrl).origin : undefined);
  if (!publicUrl) throw new ServiceUnavailableError('Authentication is not configured', 'AUTH_NOT_CONFIGURED');
  try {
    createEmailSender(env);
  } catch {
    throw new ServiceUnavailableError('Authentication is not configured', 'AUTH_NOT_CONFIGURED');
  }
  return {
    secret,
    publicUrl,
    webAppUrl: origin(env.WEB_APP_URL) ?? publicUrl,
    secureCookies: env.ENVIRONMENT !== 'development',
  };
}

/** What better-auth did during one request, captured through its hooks. */
export interface AuthEvents {
  createdSession?: { id: string; userId: string; token: string; expiresAt: Date; createdAt: Date };
  verifiedUserIds: string[];
}

const EMAIL_LIKE = /[^\s@'"()<>,;]+@[^\s@'"()<>,;]+/g;

/** better-auth's own log lines go to our structured logger, with email addresses redacted. */
function betterAuthLogger(log: Logger, level: string | undefined) {
  return {
    disabled: level === 'silent',
    level: (['debug', 'info', 'warn', 'error'].includes(level ?? '') ? level : 'warn') as
      | 'debug'
      | 'info'
      | 'warn'
      | 'error',
    log: (lvl: 'debug' | 'info' | 'warn' | 'error', message: string, ...args: unknown[]) => {
      const error = args.find((a) => a instanceof Error);
      log[lvl](`better-auth: ${String(message).replace(EMAIL_LIKE, '[redacted-email]').slice(0, 300)}`, {
        ...(error ? describeError(error) : {}),
      });
    },
  };
}

function buildAuth(c: AuthContext, config: AuthConfig, email: EmailSender, events: AuthEvents) {
  const log = getLogger(c as unknown as Context<AppEnv>);
  let executionCtx: ExecutionContext | undefined;
  try {
    executionCtx = c.executionCtx;
  } catch {
    executionCtx = undefined;
  }
  return betterAuth({
    appName: 'Codex',
    baseURL: config.publicUrl,
    basePath: '/api/auth',
    secret: config.secret,
    trustedOrigins: [config.publicUrl, config.webAppUrl],
    database: drizzleAdapter(getDb(c as unknown as Context<AppEnv>), {
      provider: 'pg',
      schema: { user: users, session: sessions, account: accounts, verification: verificationTokens },
      transaction: true,
    }),
    user: {
      additionalFields: {
        // Server-owned: the database default ('viewer') applies; clients can never set it.
        role: { type: 'string', required: false, input: false },
      },
    },
    emailAndPassword: {
      enabled: true,
      autoSignIn: true,
      // Decision: an unverified user may sign in; `emailVerified` travels with the session
      // so that workers can gate what needs a verified address.
      requireEmailVerification: false,
      minPasswordLength: PASSWORD_MIN_LENGTH,
      maxPasswordLength: PASSWORD_MAX_LENGTH,
      password: { hash: hashPassword, verify: verifyPassword },
      resetPasswordTokenExpiresIn: RESET_PASSWORD_TTL_SECONDS,
      revokeSessionsOnPasswordReset: true,
      sendResetPassword: async ({ user, token }) => {
        const link = `${config.webAppUrl}/reset-password?token=${encodeURIComponent(token)}`;
        await deliver(email, resetPasswordEmail(user.email, user.name, link), log);
      },
    },
    emailVerification: {
      sendOnSignUp: true,
      sendOnSignIn: false,
      autoSignInAfterVerification: false,
      expiresIn: VERIFY_EMAIL_TTL_SECONDS,
      sendVerificationEmail: async ({ user, token }) => {
        const link = `${config.publicUrl}/api/auth/verify-email?token=${encodeURIComponent(token)}`;
        await deliver(email, verificationEmail(user.email, user.name, link), log);
      },
      afterEmailVerification: async (user) => {
        events.verifiedUserIds.push(user.id);
      },
    },
    session: {
      expiresIn: SESSION_TTL_SECONDS,
      disableSessionRefresh: true,
      cookieCache: { enabled: false },
    },
    databaseHooks: {
      session: {
        create: {
          after: async (session) => {
            events.createdSession = {
              id: session.id,
              userId: session.userId,
              token: session.token,
              expiresAt: new Date(session.expiresAt),
              createdAt: new Date(session.createdAt),
            };
          },
        },
      },
    },
    advanced: {
      database: { generateId: 'uuid' },
      // No `__Secure-` prefix: the cookie is named exactly `codex-session`; Secure is set below.
      useSecureCookies: false,
      cookies: {
        session_token: {
          name: SESSION_COOKIE,
          attributes: { httpOnly: true, secure: config.secureCookies, sameSite: 'strict', path: '/' },
        },
      },
      ipAddress: { ipAddressHeaders: ['cf-connecting-ip'] },
      // In Workers, emails leave after the response (same timing whether or not an account exists).
      ...(executionCtx
        ? { backgroundTasks: { handler: (p: Promise<unknown>) => executionCtx.waitUntil(p.catch(() => undefined)) } }
        : {}),
    },
    // Our own KV rate limiter guards the routes.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: betterAuthLogger(log, c.env?.LOG_LEVEL),
  });
}

export type CodexAuth = ReturnType<typeof buildAuth>;

export interface AuthRuntime {
  auth: CodexAuth;
  events: AuthEvents;
  config: AuthConfig;
}

/** A better-auth instance for this request (its database, its bindings). */
export function createAuth(c: AuthContext): AuthRuntime {
  const config = authConfig(c.env ?? {}, c.req.url);
  const events: AuthEvents = { verifiedUserIds: [] };
  const auth = buildAuth(c, config, createEmailSender(c.env ?? {}), events);
  return { auth, events, config };
}
