/**
 * npm run db:seed — idempotent demo data (see packages/database/src/seed.ts).
 *   with DATABASE_URL: that server (migrated first), through the local relay;
 *   without:           the embedded PGlite database in .data/pglite.
 */
import { createDb } from '@codex/database';
import {
  DEFAULT_EMBEDDED_DATA_DIR,
  DEMO_CREATOR_EMAIL,
  DEMO_CREATOR_PASSWORD,
  migrateUrl,
  openEmbeddedDb,
  type SeedResult,
  seedDemoData,
  startRelay,
} from '@codex/database/node';

const databaseUrl = process.env.DATABASE_URL;
let result: SeedResult;
if (databaseUrl) {
  const relay = await startRelay();
  try {
    await migrateUrl(databaseUrl, { proxy: relay.url });
    const { db, close } = createDb({ DATABASE_URL: databaseUrl, NEON_WS_PROXY: relay.url });
    try {
      result = await seedDemoData(db);
    } finally {
      await close();
    }
  } finally {
    await relay.close();
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
