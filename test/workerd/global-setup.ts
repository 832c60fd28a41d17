/**
 * Node-side setup of each workerd test project (runs before the project's Miniflare starts).
 *
 * With DATABASE_URL set: creates and migrates a database of the run's own on that server (`codex_test_*`, via
 * createTestDatabase) and starts a PgBouncer (transaction pooling) in front of the server: the workers' HYPERDRIVE
 * binding connects to it, as Hyperdrive in production holds the pooled connections to Neon. Also starts the
 * WebSocket relay of the Neon driver, the fallback path (DATABASE_URL + NEON_WS_PROXY bindings). All three are
 * provided to the project's bindings (see vitest.workerd.config.ts); the database is dropped at teardown.
 * Without DATABASE_URL (embedded mode on a fresh machine) nothing is provided: workerd cannot reach the in-process
 * PGlite, so the database-backed tests skip themselves and print why; the boot tests still run.
 */
import net from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    workerdDatabaseUrl: string;
    workerdNeonWsProxy: string;
    /** The test database through PgBouncer, as a Hyperdrive local connection string. */
    workerdHyperdriveUrl: string;
  }
}

export default async function setup(project: TestProject) {
  project.provide('workerdDatabaseUrl', '');
  project.provide('workerdNeonWsProxy', '');
  if (!process.env.DATABASE_URL) {
    // Without a database the HYPERDRIVE binding still needs an address (the one in wrangler.jsonc is the local
    // PgBouncer of `wrangler dev`, which may or may not run). Miniflare's local Hyperdrive crashes the process on a
    // refused connection, so the address is a listener that refuses at the protocol level: the database is down.
    const nowhere = await noDatabaseServer();
    project.provide('workerdHyperdriveUrl', `postgres://nobody:none@127.0.0.1:${nowhere.port}/none`);
    return () => nowhere.close();
  }

  // Imported only when needed: the embedded path needs none of the server helpers.
  const { createTestDatabase, dropTestDatabase, startPgBouncer, startRelay } = await import('@codex/database/node');
  const relay = await startRelay();
  const pooler = await startPgBouncer({ serverUrl: process.env.DATABASE_URL }).catch(async (e) => {
    await relay.close();
    throw e;
  });
  try {
    const database = await createTestDatabase();
    project.provide('workerdDatabaseUrl', database.url);
    project.provide('workerdNeonWsProxy', relay.url);
    project.provide('workerdHyperdriveUrl', pooler.hyperdriveUrlFor(database.url));
    return async () => {
      // Server connections of the pooler first, or the database could not be dropped cleanly.
      await pooler.close();
      await dropTestDatabase(database.url).catch((e) => console.error(`could not drop ${database.name}:`, e));
      await relay.close();
    };
  } catch (e) {
    await pooler.close();
    await relay.close();
    throw e;
  }
}

/**
 * A TCP listener on 127.0.0.1 that plays a PostgreSQL server refusing every connection: it answers the client's
 * first message with a FATAL ErrorResponse (57P03 cannot_connect_now) and lets the client hang up. It never closes a
 * connection itself: Miniflare's proxy would then write into a closed socket (EPIPE) and end the process.
 */
async function noDatabaseServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => socket.write(fatalErrorResponse('57P03', 'no database in this test run')));
  });
  server.unref();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      server.close(); // stops listening; open connections end with their clients
    },
  };
}

/** A PostgreSQL ErrorResponse message with severity FATAL. */
function fatalErrorResponse(code: string, message: string): Buffer {
  const fields = Buffer.from(`SFATAL\0VFATAL\0C${code}\0M${message}\0\0`, 'utf8');
  const header = Buffer.alloc(5);
  header.write('E', 0, 'ascii');
  header.writeInt32BE(fields.length + 4, 1);
  return Buffer.concat([header, fields]);
}
