/**
 * postgres.js (`postgres`) with `drizzle-orm/postgres-js`: the driver of the Hyperdrive path in Workers (over Workers
 * TCP sockets, `cloudflare:sockets`) and of the process-wide pool of the Node host and the tests, so that every
 * PostgreSQL test runs the production driver. Runs in workerd and in Node: no `node:` imports here.
 *
 * Chosen over node-postgres by measurement (scripts/bench/hot-path.ts, README "Database"): postgres.js writes a
 * query's protocol messages in one write, node-postgres in Workers one write per message (its socket there cannot
 * cork), which on the local Hyperdrive path met Nagle's algorithm and added ≈40 ms to every lone query.
 */
import { PgDialect } from 'drizzle-orm/pg-core';
import { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { PostgresJsSession } from 'drizzle-orm/postgres-js/session';
import {
  createTableRelationsHelpers,
  type ExtractTablesWithRelations,
  extractTablesRelationalConfig,
  type RelationalSchemaConfig,
} from 'drizzle-orm/relations';
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
 * What drizzle derives from the schema (the relational query config) and its dialect, computed once per process or
 * isolate: `drizzle({ client, schema })` recomputes both on every call, which a Worker — one client per request —
 * would pay on every request (≈ 0.14 ms).
 */
type Relational = RelationalSchemaConfig<ExtractTablesWithRelations<typeof schema>>;
let shared: { dialect: PgDialect; relational: Relational } | undefined;
function sharedDrizzleParts() {
  if (!shared) {
    const config = extractTablesRelationalConfig(schema, createTableRelationsHelpers);
    shared = {
      dialect: new PgDialect(),
      relational: {
        fullSchema: schema,
        schema: config.tables as ExtractTablesWithRelations<typeof schema>,
        tableNamesMap: config.tableNamesMap,
      },
    };
  }
  return shared;
}

/** Types drizzle parses itself: postgres.js hands their text through unchanged (what drizzle() sets up). */
const DRIZZLE_TEXT_TYPES = [1184, 1082, 1083, 1114, 1182, 1185, 1115, 1231];

/** drizzle's postgres-js database over `client`, built as `drizzle({ client, schema })` builds it, from the shared parts. */
function drizzleOver(client: postgres.Sql): Database {
  const same = (v: unknown) => v;
  for (const type of DRIZZLE_TEXT_TYPES) {
    client.options.parsers[type] = same;
    client.options.serializers[type] = same;
  }
  client.options.serializers[114] = same;
  client.options.serializers[3802] = same;
  const { dialect, relational } = sharedDrizzleParts();
  const session = new PostgresJsSession(client, dialect, relational, {});
  // A PostgresJsDatabase<Schema>: a PgDatabase with a narrower query-result HKT, as drizzle() returns it.
  const db: Database = new PostgresJsDatabase<typeof schema>(dialect, session, relational);
  return db;
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
  const db = drizzleOver(client);
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
