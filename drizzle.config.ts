/**
 * drizzle-kit configuration: `npm run db:generate` diffs the schema against migrations/meta and writes a new SQL
 * migration into ./migrations. Migrations are applied by scripts/migrate.ts (and automatically for the embedded
 * PGlite database), never by `drizzle-kit push`.
 */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './packages/database/src/schema.ts',
  out: './migrations',
  strict: true,
  verbose: true,
  // Only used by `drizzle-kit studio`/`introspect`; generate needs no connection.
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/codex_dev' },
});
