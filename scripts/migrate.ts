/**
 * npm run db:migrate
 *   with DATABASE_URL: applies pending migrations to that server over one direct node-postgres connection
 *                      (under a session advisory lock: never through a transaction-mode pooler);
 *   without:           applies them to the embedded PGlite database in .data/pglite (created on first use).
 */
import { DEFAULT_EMBEDDED_DATA_DIR, migrateUrl, openEmbeddedDb } from '@codex/database/node';

const started = performance.now();
const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) {
  await migrateUrl(databaseUrl);
  const { host, pathname } = new URL(databaseUrl);
  console.log(`migrated ${host}${pathname} in ${Math.round(performance.now() - started)} ms`);
} else {
  const embedded = await openEmbeddedDb({ dataDir: DEFAULT_EMBEDDED_DATA_DIR });
  await embedded.close();
  console.log(
    `migrated embedded database ${DEFAULT_EMBEDDED_DATA_DIR} in ${Math.round(performance.now() - started)} ms`,
  );
}
