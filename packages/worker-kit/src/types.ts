import type { AuthSession, AuthSessionResponse, AuthUser } from '@codex/contract';
import type { DbHandle } from '@codex/database';
import type { z } from 'zod';
import type { BaseConfig, baseEnv } from './env';

/** The signed-in user, as the auth worker's GET /api/auth/session describes it (one definition: the contract). */
export type SessionUser = AuthUser;
export type SessionInfo = AuthSession;
export type SessionData = AuthSessionResponse;

/**
 * The bindings as the runtime hands them to `fetch(request, env)`: vars, secrets, KV, R2, service bindings. Each
 * worker declares the ones it relies on in `src/env.ts`; handlers read the parsed, typed `c.var.config`.
 */
export type AppBindings = z.input<typeof baseEnv>;

export interface AppVariables {
  requestId: string;
  /** The worker's name in logs and /health. */
  service: string;
  /** The parsed base environment; a worker's own settings: `readConfig(WorkerEnv, c)` (src/env.ts). */
  config: BaseConfig;
  user: SessionUser | undefined;
  session: SessionInfo | undefined;
  /** Raw session token of the caller (never logged). */
  sessionToken: string | undefined;
  /** The request's database handle, opened on first use by getDb(c). */
  dbHandle: DbHandle | undefined;
}

export interface AppEnv {
  Bindings: AppBindings;
  Variables: AppVariables;
}
