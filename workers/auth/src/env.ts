/**
 * The auth worker's bindings, parsed once by the worker toolkit; handlers read them with `authConfig(c)`.
 */
import { DomainError } from '@codex/domain';
import { baseEnv, isLocalEnvironment, readConfig, requiredSecrets } from '@codex/worker-kit';
import { z } from 'zod';
import { EMAIL_TRANSPORTS } from './email';

export const AuthEnv = baseEnv
  .extend({
    /** Signs session cookies and verification tokens (a Wrangler secret, ≥ 32 characters outside development/test). */
    BETTER_AUTH_SECRET: z.string().optional(),
    /** The web app: password reset links point to `${WEB_APP_URL}/reset-password?token=...`. */
    WEB_APP_URL: z.url().optional(),
    /** console (development/test default) | memory (tests) | http (default elsewhere). */
    EMAIL_TRANSPORT: z.enum(EMAIL_TRANSPORTS).optional(),
    /** The HTTP email API the `http` transport POSTs {from, to, subject, text, kind} to. */
    EMAIL_API_URL: z.url().optional(),
    /** Bearer token for EMAIL_API_URL (a Wrangler secret). */
    EMAIL_API_KEY: z.string().optional(),
    /** Sender address for the http transport, e.g. "Codex <no-reply@revelations.studio>". */
    EMAIL_FROM: z.string().optional(),
    /**
     * The Domain attribute of the session cookie, e.g. `.revelations.studio`: the cookie then reaches every worker's
     * host under it (auth., content-api., identity-api., ecom-api.), not only the auth worker's. Unset: host-only.
     */
    COOKIE_DOMAIN: z
      .string()
      .regex(/^\.?[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'a domain with a dot, e.g. .revelations.studio')
      .optional(),
  })
  .superRefine(
    // wrangler.jsonc's secrets.required; the email API key only when the http transport (the deployed default) sends.
    requiredSecrets({ BETTER_AUTH_SECRET: 32, EMAIL_API_KEY: 1 }, (name, config) =>
      name === 'EMAIL_API_KEY' ? (config.EMAIL_TRANSPORT ?? 'http') === 'http' : true,
    ),
  );
export type AuthEnvConfig = z.output<typeof AuthEnv>;

export const authEnv = (c: { env: unknown }) => readConfig(AuthEnv, c);

export const MIN_SECRET_LENGTH = 32;
const DEVELOPMENT_SECRET = 'codex-development-only-secret-do-not-use-in-production';

/** What better-auth needs, resolved for this environment. */
export interface AuthSettings {
  secret: string;
  /** Origin of this worker, used in the links we email. */
  publicUrl: string;
  /** Origin of the web app (password reset page). */
  webAppUrl: string;
  secureCookies: boolean;
  /** The session cookie's Domain attribute (shared by the four workers' hosts), or undefined for host-only. */
  cookieDomain: string | undefined;
  email: {
    transport: (typeof EMAIL_TRANSPORTS)[number];
    apiUrl: string | undefined;
    apiKey: string | undefined;
    from: string | undefined;
  };
}

const origin = (url: string | undefined) => (url ? new URL(url).origin : undefined);

/**
 * The auth settings, or 503 AUTH_NOT_CONFIGURED when it is unsafe to run: outside development and test the
 * secret (≥ 32 characters), PUBLIC_URL and an email transport must be set — links are never built from the
 * Host header.
 */
export function authSettings(config: AuthEnvConfig, requestUrl: string): AuthSettings {
  const local = isLocalEnvironment(config.ENVIRONMENT);
  const secret = config.BETTER_AUTH_SECRET || (local ? DEVELOPMENT_SECRET : '');
  const publicUrl = origin(config.PUBLIC_URL) ?? (local ? new URL(requestUrl).origin : undefined);
  const transport = config.EMAIL_TRANSPORT ?? (local ? 'console' : 'http');
  if (secret.length < MIN_SECRET_LENGTH || !publicUrl || (transport === 'http' && !config.EMAIL_API_URL)) {
    throw new DomainError('AUTH_NOT_CONFIGURED', 'Authentication is not configured');
  }
  return {
    secret,
    publicUrl,
    webAppUrl: origin(config.WEB_APP_URL) ?? publicUrl,
    secureCookies: config.ENVIRONMENT !== 'development',
    cookieDomain: config.COOKIE_DOMAIN,
    email: { transport, apiUrl: config.EMAIL_API_URL, apiKey: config.EMAIL_API_KEY, from: config.EMAIL_FROM },
  };
}
