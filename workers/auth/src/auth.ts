/**
 * better-auth, configured for Codex and built per request from the request's database and bindings.
 * Only our contract routes call it (through `auth.api.*`); its own HTTP handler is never mounted.
 */

import { PASSWORD_MIN_LENGTH } from '@codex/contract';
import type { Database } from '@codex/database';
import { accounts, sessions, users, verificationTokens } from '@codex/database';
import { SESSION_COOKIE } from '@codex/domain';
import { describeError, type Logger, redactMessage } from '@codex/worker-kit';
import { drizzleAdapter } from 'better-auth/adapters/drizzle';
import { betterAuth } from 'better-auth/minimal';
import { createEmailSender, deliver, resetPasswordEmail, verificationEmail } from './email';
import type { AuthSettings } from './env';
import { hashPassword, verifyPassword } from './password';

/** Sessions last 24 hours from sign-in; they are not extended by use. */
export const SESSION_TTL_SECONDS = 24 * 60 * 60;
export const VERIFY_EMAIL_TTL_SECONDS = 24 * 60 * 60;
export const RESET_PASSWORD_TTL_SECONDS = 60 * 60;
/** Prefix better-auth gives the identifier of a password reset token in verification_tokens. */
export const RESET_PASSWORD_IDENTIFIER_PREFIX = 'reset-password:';
/**
 * better-auth counts UTF-16 units; our contract counts code points (≤ 128), which can be up to 512 UTF-16 units.
 * The contract's schema is the gate; better-auth's own maximum only has to let everything it allows through.
 */
const BETTER_AUTH_MAX_PASSWORD_UNITS = 512;

/** What the auth service needs from its environment for one request. */
export interface AuthDeps {
  /** The request's database, opened on first use (a warm session cache never needs it). */
  db: () => Database;
  settings: AuthSettings;
  log: Logger;
  logLevel: string;
  /** Work that may finish after the response (emails), when the runtime offers it. */
  waitUntil?: ((p: Promise<unknown>) => void) | undefined;
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
      // A failed query's message quotes its bound parameters: cut there, then redact values, addresses and tokens.
      const text = String(message).replace(/Failed query:[\s\S]*/, '[failed query]');
      log[lvl](`better-auth: ${redactMessage(text.replace(EMAIL_LIKE, '[redacted-email]'))}`, {
        ...(error ? describeError(error) : {}),
      });
    },
  };
}

function buildAuth(deps: AuthDeps, events: AuthEvents) {
  const { settings, log, waitUntil } = deps;
  const email = createEmailSender(settings.email);
  return betterAuth({
    appName: 'Codex',
    baseURL: settings.publicUrl,
    basePath: '/api/auth',
    secret: settings.secret,
    trustedOrigins: [settings.publicUrl, settings.webAppUrl],
    database: drizzleAdapter(deps.db(), {
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
      maxPasswordLength: BETTER_AUTH_MAX_PASSWORD_UNITS,
      password: { hash: hashPassword, verify: verifyPassword },
      resetPasswordTokenExpiresIn: RESET_PASSWORD_TTL_SECONDS,
      revokeSessionsOnPasswordReset: true,
      sendResetPassword: async ({ user, token }) => {
        const link = `${settings.webAppUrl}/reset-password?token=${encodeURIComponent(token)}`;
        await deliver(email, resetPasswordEmail(user.email, user.name, link), log);
      },
    },
    emailVerification: {
      sendOnSignUp: true,
      sendOnSignIn: false,
      autoSignInAfterVerification: false,
      expiresIn: VERIFY_EMAIL_TTL_SECONDS,
      sendVerificationEmail: async ({ user, token }) => {
        const link = `${settings.publicUrl}/api/auth/verify-email?token=${encodeURIComponent(token)}`;
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
          // With COOKIE_DOMAIN the cookie is sent to every host under it (the four workers are one site, so
          // SameSite=Strict still lets a page of the web app send it to all of them with credentials).
          attributes: {
            httpOnly: true,
            secure: settings.secureCookies,
            sameSite: 'strict',
            path: '/',
            ...(settings.cookieDomain ? { domain: settings.cookieDomain } : {}),
          },
        },
      },
      ipAddress: { ipAddressHeaders: ['cf-connecting-ip'] },
      // In Workers, emails leave after the response (same timing whether or not an account exists).
      ...(waitUntil
        ? { backgroundTasks: { handler: (p: Promise<unknown>) => waitUntil(p.catch(() => undefined)) } }
        : {}),
    },
    // Our own rate limiter guards the routes.
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: betterAuthLogger(log, deps.logLevel),
  });
}

export type CodexAuth = ReturnType<typeof buildAuth>;

export interface AuthRuntime {
  auth: CodexAuth;
  events: AuthEvents;
}

/** A better-auth instance for this request (its database, its settings). */
export function createAuth(deps: AuthDeps): AuthRuntime {
  const events: AuthEvents = { verifiedUserIds: [] };
  return { auth: buildAuth(deps, events), events };
}
