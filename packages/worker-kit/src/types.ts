import type { Database, HyperdriveBinding } from '@codex/database';

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

  /** Hyperdrive in front of Neon: the production database path (see @codex/database createDb). */
  HYPERDRIVE?: HyperdriveBinding;
  /** Neon over its serverless driver: the fallback without a HYPERDRIVE binding. */
  DATABASE_URL?: string;
  NEON_WS_PROXY?: string;
  /** An open database held by the Node host and tests (embedded PGlite, or a node-postgres pool). */
  EMBEDDED_DB?: Database;

  RATE_LIMIT_KV?: KVNamespace;
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
