import type { Database } from '@codex/database';

/** The authenticated user as the auth worker's GET /api/auth/session describes it. */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: 'viewer' | 'creator' | 'admin';
  emailVerified: boolean;
  image: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface SessionInfo {
  id: string;
  userId: string;
  expiresAt: string;
  createdAt: string;
}

export interface SessionData {
  user: SessionUser;
  session: SessionInfo;
}

/**
 * Bindings and vars every worker may receive. In Cloudflare they come from
 * wrangler.jsonc (vars, KV, R2, service bindings) and secrets; locally from
 * Miniflare through the dev host. Individual workers extend this.
 */
export interface AppBindings {
  ENVIRONMENT?: string;
  /** Comma-separated allow-list of browser origins for CORS. */
  CORS_ORIGINS?: string;
  /** debug | info | warn | error | silent (default info). */
  LOG_LEVEL?: string;
  /** Public base URL of this worker (used in links such as the email verification link). */
  PUBLIC_URL?: string;

  DATABASE_URL?: string;
  NEON_WS_PROXY?: string;
  /** An open embedded (PGlite) database, injected by the Node dev host and tests. */
  EMBEDDED_DB?: Database;

  /** The rate-limit counters: one Durable Object per key, hosted by the auth worker (see rate-limit.ts). */
  RATE_LIMITER?: DurableObjectNamespace;
  /** Overrides of the rate-limit presets, e.g. "api=20/60,login=10/900" (bucket=limit/windowSeconds). */
  RATE_LIMITS?: string;
  AUTH_SESSION_KV?: KVNamespace;
  MEDIA_BUCKET?: R2Bucket;
  /** Static assets (the self-hosted Scalar bundle). */
  ASSETS?: Fetcher;
  /** Service binding to the auth worker (production); AUTH_URL is used when it is absent. */
  AUTH_SERVICE?: Fetcher;
  AUTH_URL?: string;
}

export interface AppVariables {
  requestId: string;
  user: SessionUser | undefined;
  session: SessionInfo | undefined;
  /** Raw session token of the caller (never logged). */
  sessionToken: string | undefined;
}

export interface AppEnv<B extends AppBindings = AppBindings> {
  Bindings: B;
  Variables: AppVariables;
}
