/**
 * npm run db:seed — idempotent demo data (see packages/database/src/seed.ts).
 *   with DATABASE_URL: that server (migrated first), through postgres.js;
 *   without:           the embedded PGlite database in .data/pglite.
 */
import {
  createPostgresDb,
  DEFAULT_EMBEDDED_DATA_DIR,
  DEMO_CREATOR_EMAIL,
  DEMO_CREATOR_PASSWORD,
  migrateUrl,
  openEmbeddedDb,
  type SeedResult,
  seedDemoData,
} from '@codex/database/node';

const databaseUrl = process.env.DATABASE_URL;
let result: SeedResult;
if (databaseUrl) {
  await migrateUrl(databaseUrl);
  const { db, close } = createPostgresDb(databaseUrl);
  try {
    result = await seedDemoData(db);
  } finally {
    await close();
  }
} else {
  const embedded = await openEmbeddedDb({ dataDir: DEFAULT_EMBEDDED_DATA_DIR });
  try {
    result = await seedDemoData(embedded.db);
  } finally {
    await embedded.close();
  }
}
console.log('seeded demo data:', result);
console.log(`sign in as ${DEMO_CREATOR_EMAIL} / ${DEMO_CREATOR_PASSWORD}`);
