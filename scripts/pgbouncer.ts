/**
 * npx tsx scripts/pgbouncer.ts [port]   (default 6432, or PGBOUNCER_PORT)
 *
 * Runs a local PgBouncer (transaction pooling, Debian's package; installed with apt-get when missing and root) in
 * front of the PostgreSQL server of DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres): the
 * stand-in for Hyperdrive that `wrangler dev` reaches through each worker's HYPERDRIVE binding
 * (`localConnectionString` in wrangler.jsonc: postgres://postgres:local@127.0.0.1:6432/codex_dev).
 */
import { startPgBouncer } from '@codex/database/node';

const port = Number(process.argv[2] ?? process.env.PGBOUNCER_PORT ?? 6432);
const serverUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const bouncer = await startPgBouncer({ serverUrl, port });
const { hostname, port: serverPort } = new URL(serverUrl);
console.log(`PgBouncer on 127.0.0.1:${bouncer.port} → ${hostname}:${serverPort || 5432} (transaction pooling)`);
console.log(
  `Hyperdrive local connection string: ${bouncer.hyperdriveUrlFor(serverUrl.replace(/\/[^/]*$/, '/codex_dev'))}`,
);

const stop = () => {
  void bouncer.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
