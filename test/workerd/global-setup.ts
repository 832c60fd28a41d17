/**
 * Node-side setup of each workerd test project (runs before the project's Miniflare starts).
 *
 * With DATABASE_URL set: creates and migrates a database of the run's own on that server (`codex_test_*`, via
 * createTestDatabase), starts the WebSocket relay the Neon driver uses to reach plain PostgreSQL, and provides both
 * to the project's bindings (see vitest.workerd.config.ts). The database is dropped at teardown.
 * Without DATABASE_URL (embedded mode on a fresh machine) nothing is provided: workerd cannot reach the in-process
 * PGlite, so the database-backed tests skip themselves and print why; the boot tests still run.
 */
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    workerdDatabaseUrl: string;
    workerdNeonWsProxy: string;
  }
}

export default async function setup(project: TestProject) {
  project.provide('workerdDatabaseUrl', '');
  project.provide('workerdNeonWsProxy', '');
  if (!process.env.DATABASE_URL) return;

  // Imported only when needed: the embedded path needs none of the server helpers.
  const { createTestDatabase, dropTestDatabase, startRelay } = await import('@codex/database/node');
  const relay = await startRelay();
  try {
    const database = await createTestDatabase({ proxy: relay.url });
    project.provide('workerdDatabaseUrl', database.url);
    project.provide('workerdNeonWsProxy', relay.url);
    return async () => {
      await dropTestDatabase(database.url, { proxy: relay.url }).catch((e) =>
        console.error(`could not drop ${database.name}:`, e),
      );
      await relay.close();
    };
  } catch (e) {
    await relay.close();
    throw e;
  }
}
