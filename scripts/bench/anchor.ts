/**
 * The anchor of the read benchmarks: what a user gets from the plain alternative — a Hono server on
 * @hono/node-server with one node-postgres Pool (max 10) straight to PostgreSQL, reading one content row by primary
 * key. No middleware, no session, no limiter, no pooler: the ceiling our routes are reported against.
 *
 *   npx tsx scripts/bench/anchor.ts --database-url postgres://postgres@127.0.0.1:5432/<db> [--port 4100]
 *   → GET http://127.0.0.1:<port>/content/<id>   (200 with the row as JSON, 404 when there is none)
 *
 * Started on its own (an independent check) or by the read benchmark as a child process (startAnchor), so that it
 * never shares an event loop with the servers under test. Prints one JSON line {"port":…} once listening.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import pg from 'pg';

export const ANCHOR_POOL_MAX = 10;

export interface Anchor {
  /** e.g. http://127.0.0.1:43125 */
  url: string;
  close(): Promise<void>;
}

/** Starts the anchor server in a child process against `databaseUrl`. */
export function startAnchor(databaseUrl: string): Promise<Anchor> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--port', '0'], {
    env: { ...process.env, ANCHOR_DATABASE_URL: databaseUrl },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the anchor server exited (${code}) before listening`)));
    lines.once('line', (line) => {
      const { port } = JSON.parse(line) as { port: number };
      resolve({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            child.removeAllListeners('exit');
            child.once('exit', () => done());
            child.kill('SIGTERM');
          }),
      });
    });
  });
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main() {
  const databaseUrl = argValue('--database-url') ?? process.env.ANCHOR_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('give --database-url postgres://… (or DATABASE_URL)');
  const pool = new pg.Pool({ connectionString: databaseUrl, max: ANCHOR_POOL_MAX });
  const app = new Hono();
  app.get('/content/:id', async (c) => {
    const { rows } = await pool.query('select * from content where id = $1 and deleted_at is null', [
      c.req.param('id'),
    ]);
    return rows[0] ? c.json(rows[0]) : c.json({ error: 'not found' }, 404);
  });
  const server = serve({ fetch: app.fetch, port: Number(argValue('--port') ?? 4100), hostname: '127.0.0.1' });
  server.once('listening', () => {
    const address = server.address();
    console.log(JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 }));
  });
  const stop = () => {
    server.close();
    void pool.end().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
