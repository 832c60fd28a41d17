import { createDb, type Database } from '@codex/database';
import { DomainError } from '@codex/domain';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './types';

/**
 * The request's database. Opened on first use (a Neon pool per request in
 * Workers, the injected embedded database locally) and closed after the
 * response by `dbLifecycle()`.
 */
export function getDb(c: Context<AppEnv>): Database {
  const existing = c.get('dbHandle');
  if (existing) return existing.db;
  let handle: ReturnType<typeof createDb>;
  try {
    handle = createDb(c.env ?? {});
  } catch {
    throw new DomainError('DATABASE_UNAVAILABLE', 'Database is not configured');
  }
  c.set('dbHandle', handle);
  return handle.db;
}

/** Ends the request's pool after the response (waitUntil in Workers). */
export function dbLifecycle(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    try {
      await next();
    } finally {
      const handle = c.get('dbHandle');
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
