import { defineConfig } from 'vitest/config';

// `npx vitest run --root packages/database` (or `--config packages/database/vitest.config.ts`).
// With DATABASE_URL set, the tests run against that server through the relay + Neon driver; else embedded PGlite.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000, // the first embedded run builds the migrated PGlite snapshot (≈5 s, more on a busy machine)
  },
});
