import { createDb, type Database } from '@codex/database';
import { DomainError } from '@codex/domain';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './types';

/**
 * The request's database, opened on first use: in Workers a small postgres.js pool over the HYPERDRIVE binding
 * (connections to Hyperdrive, which holds the pooled connections to Neon), or Neon's serverless driver without it;
 * in the Node host the process-wide database it injects (EMBEDDED_DB). Closed after the response by `dbLifecycle()`.
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

/** Ends the request's connections after the response (waitUntil in Workers); the process-wide ones stay open. */
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
