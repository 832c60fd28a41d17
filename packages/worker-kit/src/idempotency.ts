/**
 * Idempotency-Key on the creating POSTs (`defineRoute({ idempotent: true })`): a client that retries a create after a
 * lost answer gets the first answer again instead of a second resource.
 *
 * - The key (optional header, 1–255 visible ASCII characters) is scoped to the signed-in caller and kept 24 h in
 *   PostgreSQL (`idempotency_keys`), with a fingerprint of the request: operation, method, path and body (SHA-256).
 * - Before the handler runs the key is claimed with one `INSERT … ON CONFLICT`: of concurrent requests with one key
 *   exactly one claims it and runs; the others get 409 IDEMPOTENCY_KEY_IN_PROGRESS with Retry-After.
 * - The answer (status, content type, Location, body) is stored; a repeat with the same fingerprint gets it back with
 *   `Idempotent-Replayed: true`. A repeat with another fingerprint: 422 IDEMPOTENCY_KEY_REUSED.
 * - 5xx answers (and thrown errors) release the key, so the retry runs again. 4xx answers are kept: the same
 *   request gets the same refusal.
 * - A claim left in progress for over a minute (a crashed request) and an expired record may be claimed anew; a
 *   caller's expired records are deleted when they claim a key.
 */
import { idempotencyKeys } from '@codex/database';
import { DomainError } from '@codex/domain';
import { and, eq, lte, ne, sql } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import { getDb } from './db';
import { errorResponse } from './http-errors';
import { getLogger } from './logger';
import type { AppEnv } from './types';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const IDEMPOTENT_REPLAYED_HEADER = 'Idempotent-Replayed';
/** Visible ASCII (a UUID is a good key), 1–255 characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7E]{1,255}$/;
export const IDEMPOTENCY_KEY_TTL_HOURS = 24;
/** An in-progress claim older than this is considered abandoned. */
export const IDEMPOTENCY_LOCK_SECONDS = 60;
/** What a concurrent request is told to wait. */
export const IDEMPOTENCY_RETRY_AFTER_SECONDS = 1;

/** The response headers kept with the answer (besides the body and status). */
const KEPT_HEADERS = ['content-type', 'location'];

async function sha256Hex(value: ArrayBuffer | string) {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(value);
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** The middleware of an idempotent route (operationId: the operation the key is bound to). */
export function idempotency(operation: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const key = c.req.header(IDEMPOTENCY_KEY_HEADER);
    if (key === undefined) return next();
    if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
      throw new DomainError('VALIDATION_ERROR', 'Request validation failed', [
        { field: 'Idempotency-Key', message: '1 to 255 visible ASCII characters', code: 'invalid_format' },
      ]);
    }
    const user = c.get('user');
    if (!user) return next();

    const body = await c.req.arrayBuffer();
    const bodyHash = await sha256Hex(body);
    const requestHash = await sha256Hex(`${operation}\n${c.req.method} ${c.req.path}\n${bodyHash}`);
    const db = getDb(c);
    const t = idempotencyKeys;

    const claimed = await db
      .insert(t)
      .values({
        userId: user.id,
        key,
        operation,
        requestHash,
        expiresAt: sql`now() + make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`,
      })
      .onConflictDoUpdate({
        target: [t.userId, t.key],
        set: {
          operation,
          requestHash,
          state: 'in_progress',
          responseStatus: null,
          responseHeaders: null,
          responseBody: null,
          lockedAt: sql`now()`,
          createdAt: sql`now()`,
          expiresAt: sql`now() + make_interval(hours => ${IDEMPOTENCY_KEY_TTL_HOURS})`,
        },
        setWhere: sql`${t.expiresAt} <= now() OR (${t.state} = 'in_progress' AND ${t.lockedAt} < now() - make_interval(secs => ${IDEMPOTENCY_LOCK_SECONDS}))`,
      })
      .returning({ id: t.id });

    const claim = claimed[0];
    if (!claim) {
      const [existing] = await db
        .select()
        .from(t)
        .where(and(eq(t.userId, user.id), eq(t.key, key)))
        .limit(1);
      if (!existing) {
        // Released between our claim and this read (the first request failed): the client may retry at once.
        return errorResponse(
          c,
          'IDEMPOTENCY_KEY_IN_PROGRESS',
          'A request with this Idempotency-Key is in progress',
          undefined,
          {
            'Retry-After': String(IDEMPOTENCY_RETRY_AFTER_SECONDS),
          },
        );
      }
      if (existing.operation !== operation || existing.requestHash !== requestHash) {
        throw new DomainError(
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used with a different request',
        );
      }
      if (existing.state !== 'completed' || existing.responseStatus === null) {
        return errorResponse(
          c,
          'IDEMPOTENCY_KEY_IN_PROGRESS',
          'A request with this Idempotency-Key is in progress',
          undefined,
          {
            'Retry-After': String(IDEMPOTENCY_RETRY_AFTER_SECONDS),
          },
        );
      }
      const headers: Record<string, string> = {
        ...(existing.responseHeaders ?? {}),
        [IDEMPOTENT_REPLAYED_HEADER]: 'true',
      };
      return existing.responseBody === null
        ? c.body(null, existing.responseStatus as StatusCode, headers)
        : c.body(existing.responseBody, existing.responseStatus as ContentfulStatusCode, headers);
    }

    // The caller's expired records go now (one index range on user_id): the table holds at most a day of keys.
    await db
      .delete(t)
      .where(and(eq(t.userId, user.id), lte(t.expiresAt, sql`now()`), ne(t.id, claim.id)))
      .catch((e: unknown) =>
        getLogger(c).warn('idempotency key purge failed', { reason: e instanceof Error ? e.message : 'unknown' }),
      );

    const release = () =>
      db
        .delete(t)
        .where(eq(t.id, claim.id))
        .catch((e: unknown) =>
          getLogger(c).error('idempotency key release failed', { reason: e instanceof Error ? e.message : 'unknown' }),
        );
    try {
      await next();
    } catch (e) {
      await release();
      throw e;
    }
    const res = c.res;
    if (res.status >= 500) {
      await release();
      return;
    }
    try {
      const kept: Record<string, string> = {};
      for (const name of KEPT_HEADERS) {
        const v = res.headers.get(name);
        if (v !== null) kept[name] = v;
      }
      await db
        .update(t)
        .set({
          state: 'completed',
          responseStatus: res.status,
          responseHeaders: kept,
          responseBody: res.body ? await res.clone().text() : null,
        })
        .where(eq(t.id, claim.id));
    } catch (e) {
      getLogger(c).error('idempotency key store failed', { reason: e instanceof Error ? e.message : 'unknown' });
      await release();
    }
  };
}
