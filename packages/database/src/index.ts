/**
 * @codex/database — the schema and the one `createDb()` that picks the driver.
 *
 * This entry point runs everywhere, Cloudflare Workers (workerd) included: no `node:` imports here.
 * Node-only helpers (the WebSocket relay, embedded PGlite, migrations, test databases) live in `./node`.
 *
 * Modes, chosen from the bindings in this order:
 * - `EMBEDDED_DB`: an already-open database held by the process, used as is — embedded PGlite, or the Node host's
 *   process-wide postgres.js pool on a PostgreSQL server (`npm run dev`, `npm test`);
 * - `HYPERDRIVE`: the production path. postgres.js (over Workers TCP sockets, `drizzle-orm/postgres-js`) to
 *   Cloudflare's Hyperdrive, which keeps pooled connections to Neon: a request opens a connection to Hyperdrive (in
 *   the same location, no PostgreSQL startup), never a fresh handshake with the database. Locally, Miniflare's
 *   Hyperdrive connects to a PgBouncer in front of PostgreSQL (`./pgbouncer`), the same cost model;
 * - `DATABASE_URL`: Neon's serverless driver (Pool over WebSocket, `drizzle-orm/neon-serverless`), the fallback where
 *   no Hyperdrive binding exists (e.g. a preview without one). With `NEON_WS_PROXY` it talks to any PostgreSQL
 *   through the local relay (see `./node`);
 * - none: `DatabaseNotConfiguredError`.
 */
import { Client, Pool } from '@neondatabase/serverless';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/neon-serverless';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { createPostgresDb } from './postgres';
import * as schema from './schema';

export { createPostgresDb, type PostgresDbOptions } from './postgres';
export * from './schema';
export { schema };

export type Schema = typeof schema;

/**
 * A drizzle database over our schema, whatever the driver: both `drizzle-orm/pglite` and
 * `drizzle-orm/neon-serverless` instances satisfy it. Supports `db.transaction(async (tx) => ...)` and `db.query.*`.
 */
export type Database = PgDatabase<PgQueryResultHKT, Schema>;

/** The `tx` handed to `db.transaction(async (tx) => ...)`. */
export type Transaction = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;

/** What services should accept when they can run either standalone or inside a caller's transaction. */
export type DatabaseOrTransaction = Database | Transaction;

/** What we use of a Hyperdrive binding (Cloudflare's `Hyperdrive`): the connection string it hands the Worker. */
export interface HyperdriveBinding {
  readonly connectionString: string;
}

export interface DbBindings {
  /** Cloudflare Hyperdrive in front of Neon (production); locally Miniflare's, in front of PgBouncer. */
  HYPERDRIVE?: HyperdriveBinding;
  /** postgres://user:pass@host:port/db — Neon (fallback without HYPERDRIVE), or a real server through the relay. */
  DATABASE_URL?: string;
  /** `host:port/path` of a local WebSocket-to-TCP relay (e.g. `127.0.0.1:5499/v1`); unset for Neon itself. */
  NEON_WS_PROXY?: string;
  /** An already-open database (PGlite, or the Node host's pool); takes precedence over the others. */
  EMBEDDED_DB?: Database;
}

export interface DbHandle {
  db: Database;
  /**
   * Ends the connection pool (call it in `waitUntil` at the end of a request). No-op for an embedded database and
   * for the Hyperdrive path (the Workers runtime closes the sockets when the invocation finishes).
   */
  close(): Promise<void>;
}

/** Thrown by `createDb` when the bindings name no database at all. */
export class DatabaseNotConfiguredError extends Error {
  readonly code = 'DATABASE_NOT_CONFIGURED' as const;
  constructor(message = 'No database configured: set DATABASE_URL (or pass EMBEDDED_DB).') {
    super(message);
    this.name = 'DatabaseNotConfiguredError';
  }
}

/**
 * A Neon `Client` that reaches the server through a plain-WebSocket relay instead of Neon's TLS proxy.
 * The settings are made per client (not on the global `neonConfig`), so pools for Neon and for a relay can coexist
 * in one process.
 */
function relayClientClass(proxy: string): typeof Client {
  return class RelayClient extends Client {
    constructor(config?: ConstructorParameters<typeof Client>[0]) {
      super(config);
      const cfg = this.neonConfig;
      cfg.wsProxy = (host, port) => `${proxy}?address=${host}:${port}`;
      cfg.useSecureWebSocket = false; // ws://, the relay is local
      cfg.pipelineTLS = false; // plain PostgreSQL has no Neon TLS pipelining...
      cfg.pipelineConnect = false; // ...and may not use cleartext password auth (trust/SCRAM)
    }
  };
}

/**
 * Connections one request may open to Hyperdrive: one per statement running at the same time (a list runs its page
 * and its count together) and one per open transaction. Opened lazily, closed with the request.
 */
export const HYPERDRIVE_POOL_MAX = 4;

export function createDb(env: DbBindings): DbHandle {
  if (env.EMBEDDED_DB) {
    const db = env.EMBEDDED_DB;
    return { db, close: async () => {} };
  }
  if (env.HYPERDRIVE) {
    // A fresh pool per request (a Worker may not reuse a socket across requests); the runtime closes it afterwards.
    return createPostgresDb(env.HYPERDRIVE.connectionString, { max: HYPERDRIVE_POOL_MAX, endOnClose: false });
  }
  if (env.DATABASE_URL) return createNeonDb(env.DATABASE_URL, { proxy: env.NEON_WS_PROXY });
  throw new DatabaseNotConfiguredError();
}

export interface NeonDbOptions {
  /** Local relay address (`host:port/path`), as `DbBindings.NEON_WS_PROXY`. */
  proxy?: string | undefined;
  /** Pool size (default: the driver's, 10). `max: 1` pins every query to one session, e.g. for advisory locks. */
  max?: number;
}

/** The `DATABASE_URL` mode of `createDb`, with pool options. A fresh pool: call `close()` when done with it. */
export function createNeonDb(databaseUrl: string, options: NeonDbOptions = {}): DbHandle {
  const pool = new Pool({ connectionString: databaseUrl, ...(options.max ? { max: options.max } : {}) });
  if (options.proxy) pool.Client = relayClientClass(options.proxy);
  // drizzle-orm/neon-serverless returns NeonDatabase<Schema>: a PgDatabase with a narrower query-result HKT.
  const db: Database = drizzle({ client: pool, schema });
  let closed = false;
  return {
    db,
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** The Postgres SQLSTATE code of a driver error (e.g. `23505` unique violation), looking through drizzle's wrapper. */
export function pgErrorCode(error: unknown): string | undefined {
  for (
    let e: unknown = error, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
  }
  return undefined;
}

/** The constraint a driver error names (`constraint` field of the Postgres error), looking through drizzle's wrapper. */
export function pgConstraint(error: unknown): string | undefined {
  for (
    let e: unknown = error, depth = 0;
    e && typeof e === 'object' && depth < 5;
    e = (e as { cause?: unknown }).cause, depth++
  ) {
    // `constraint` (node-postgres, Neon, PGlite) or `constraint_name` (postgres.js).
    const { constraint, constraint_name } = e as { constraint?: unknown; constraint_name?: unknown };
    if (typeof constraint === 'string') return constraint;
    if (typeof constraint_name === 'string') return constraint_name;
  }
  return undefined;
}

/** SQLSTATE codes services commonly map to HTTP statuses. */
export const PG_ERROR = {
  UNIQUE_VIOLATION: '23505',
  FOREIGN_KEY_VIOLATION: '23503',
  /** A delete blocked by an `ON DELETE RESTRICT` foreign key — PostgreSQL 17+ (PGlite); 15 reports 23503. */
  RESTRICT_VIOLATION: '23001',
  CHECK_VIOLATION: '23514',
  NOT_NULL_VIOLATION: '23502',
  SERIALIZATION_FAILURE: '40001',
} as const;

export const isUniqueViolation = (error: unknown, constraint?: string): boolean =>
  pgErrorCode(error) === PG_ERROR.UNIQUE_VIOLATION && (constraint === undefined || pgConstraint(error) === constraint);
export const isCheckViolation = (error: unknown, constraint?: string): boolean =>
  pgErrorCode(error) === PG_ERROR.CHECK_VIOLATION && (constraint === undefined || pgConstraint(error) === constraint);
/** A missing referenced row on insert/update, or a delete blocked by a referencing row (NO ACTION or RESTRICT). */
export const isForeignKeyViolation = (error: unknown): boolean => {
  const code = pgErrorCode(error);
  return code === PG_ERROR.FOREIGN_KEY_VIOLATION || code === PG_ERROR.RESTRICT_VIOLATION;
};

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'EAI_AGAIN',
  // postgres.js
  'CONNECTION_REFUSED',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
]);

/**
 * Whether an error means the database could not be reached (not a query or data error): the Neon driver's
 * WebSocket failures (an `ErrorEvent`, not even an Error), socket errors, and PostgreSQL's connection-class
 * SQLSTATEs (08xxx, 57P0x shutdown, 53300 too many connections). Walks the `cause` chain that drizzle and
 * better-auth add.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; e && typeof e === 'object' && depth < 6; depth++) {
    if (!(e instanceof Error) && (e as { type?: unknown }).type === 'error') return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (NETWORK_CODES.has(code) || /^(08...|57P0.|53300)$/.test(code))) return true;
    const message = (e as { message?: unknown }).message;
    if (
      typeof message === 'string' &&
      /websocket|connection terminated|connect ECONNREFUSED|network connection lost|connection refused|timeout exceeded when trying to connect/i.test(
        message,
      )
    )
      return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
