import { ServiceUnavailableError } from '@codex/contract';
import { createDb, type Database } from '@codex/database';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './types';

const DB_KEY = 'codex.db';

type Handle = ReturnType<typeof createDb>;

/**
 * The request's database. Opened on first use (a Neon pool per request in
 * Workers, the injected embedded database locally) and closed after the
 * response by `dbLifecycle()`.
 */
export function getDb(c: Context<AppEnv>): Database {
  const existing = c.get(DB_KEY as never) as Handle | undefined;
  if (existing) return existing.db;
  let handle: Handle;
  try {
    handle = createDb(c.env ?? {});
  } catch {
    throw new ServiceUnavailableError('Database is not configured', 'DATABASE_UNAVAILABLE');
  }
  c.set(DB_KEY as never, handle as never);
  return handle.db;
}

/** Ends the request's pool after the response (waitUntil in Workers). */
export function dbLifecycle(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    try {
      await next();
    } finally {
      const handle = c.get(DB_KEY as never) as Handle | undefined;
      if (handle) {
        const closing = handle.close().catch(() => undefined);
        let ctx: ExecutionContext | undefined;
        try {
          ctx = c.executionCtx;
        } catch {
          ctx = undefined;
        }
        if (ctx) ctx.waitUntil(closing);
        else await closing;
      }
    }
  };
}
