/**
 * postgres.js (`postgres`) with `drizzle-orm/postgres-js`: the driver of the Hyperdrive path in Workers (over Workers
 * TCP sockets, `cloudflare:sockets`) and of the process-wide pool of the Node host and the tests, so that every
 * PostgreSQL test runs the production driver. Runs in workerd and in Node: no `node:` imports here.
 *
 * Chosen over node-postgres by measurement (scripts/bench/hot-path.ts, README "Database"): postgres.js writes a
 * query's protocol messages in one write, node-postgres in Workers one write per message (its socket there cannot
 * cork), which on the local Hyperdrive path met Nagle's algorithm and added ≈40 ms to every lone query.
 */
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { Database, DbHandle } from './index';
import * as schema from './schema';

export interface PostgresDbOptions {
  /**
   * Most connections the pool opens (lazily: one for a lone query). Default 10. A transaction holds one of its own,
   * so other queries of the same request never run inside it.
   */
  max?: number;
  /**
   * Whether `close()` ends the connections (default true: Node). In a Worker it must not: the runtime closes a
   * request's sockets when the invocation finishes, and postgres.js's `end()` on workerd leaves an unhandled
   * rejection ("Stream was cancelled", porsager/postgres#1202); Cloudflare's Hyperdrive examples dropped `end()`
   * for the same reason.
   */
  endOnClose?: boolean;
}

/**
 * A postgres.js pool over `connectionString` with our schema. A fresh pool: call `close()` when done with it.
 *
 * - `prepare: false`: no named prepared statements, which a transaction-mode pooler (PgBouncer; Hyperdrive's
 *   transaction mode) cannot keep across transactions; every query is an unnamed extended-protocol statement.
 * - `fetch_types: false`: no type-catalogue query on each new connection (our schema has no custom array types),
 *   so a Worker's first query costs one round trip, not two.
 */
export function createPostgresDb(connectionString: string, options: PostgresDbOptions = {}): DbHandle {
  const client = postgres(connectionString, {
    max: options.max ?? 10,
    prepare: false,
    fetch_types: false,
    // Notices (e.g. "relation already exists, skipping" in migrations) are not ours to print.
    onnotice: () => {},
  });
  // drizzle-orm/postgres-js returns PostgresJsDatabase<Schema>: a PgDatabase with a narrower query-result HKT.
  const db: Database = drizzle({ client, schema });
  let closed = false;
  return {
    db,
    close: async () => {
      if (closed || options.endOnClose === false) return;
      closed = true;
      await client.end({ timeout: 5 });
    },
  };
}
