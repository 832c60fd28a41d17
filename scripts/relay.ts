/**
 * npm exec tsx scripts/relay.ts [port]   (default port 5499, or RELAY_PORT)
 *
 * Runs the local WebSocket-to-TCP relay so that the Neon driver (e.g. inside `wrangler dev`) can reach the local
 * PostgreSQL: give the worker DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> and NEON_WS_PROXY=<printed url>.
 */
import { startRelay } from '@codex/database/node';

const port = Number(process.argv[2] ?? process.env.RELAY_PORT ?? 5499);
const relay = await startRelay({ port });
console.log(`relay listening: NEON_WS_PROXY=${relay.url}`);

const stop = () => {
  void relay.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
