/**
 * @codex/database/node — Node-only helpers: the WebSocket-to-TCP relay, the embedded PGlite database, migrations,
 * and throwaway databases for tests. Never imported by worker code (it would not bundle for workerd).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { neonConfig } from '@neondatabase/serverless';
import { drizzle as pgliteDrizzle } from 'drizzle-orm/pglite';
import { migrate as pgliteMigrate } from 'drizzle-orm/pglite/migrator';
import { drizzle as postgresDrizzle } from 'drizzle-orm/postgres-js';
import { migrate as postgresMigrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import WebSocket, { WebSocketServer } from 'ws';
import { type Database, type DbBindings, schema } from './index';
import { startPgBouncer } from './pgbouncer';
import { createPostgresDb } from './postgres';

export { type PgBouncer, type PgBouncerOptions, pgBouncerBinary, startPgBouncer } from './pgbouncer';
export { createPostgresDb } from './postgres';

// Node has no global WebSocket before v22: give the Neon driver the `ws` package.
neonConfig.webSocketConstructor = WebSocket;

/** The repository root (this file is packages/database/src/node.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** drizzle-kit's output folder: SQL files + meta/_journal.json. */
export const MIGRATIONS_DIR = join(REPO_ROOT, 'migrations');
/** Where `npm run dev` / `npm run db:migrate` keep the embedded database (git-ignored via `.data/`). */
export const DEFAULT_EMBEDDED_DATA_DIR = join(REPO_ROOT, '.data', 'pglite');
/** Migrated PGlite data-dir snapshots, one per (migrations, PGlite version). */
const SNAPSHOT_CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'codex-pglite');

// ---------------------------------------------------------------------------------------------------------------------
// WebSocket-to-TCP relay (the role Neon's wsproxy plays in front of Neon)
// ---------------------------------------------------------------------------------------------------------------------

export interface Relay {
  port: number;
  /** What to put in `NEON_WS_PROXY`, e.g. `127.0.0.1:5499/v1`. */
  url: string;
  close(): Promise<void>;
}

export interface RelayOptions {
  /** TCP port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Interface to listen on (default 127.0.0.1; the relay is for local use only). */
  host?: string;
}

/** Targets the relay agrees to connect to: it must never become an open proxy. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/** Parses `host:port`, `[v6]:port` or `v6:port` (the Neon driver sends `::1:5432` unbracketed). */
function parseAddress(address: string): { host: string; port: number } | undefined {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(address);
  const host = bracketed ? bracketed[1] : address.slice(0, address.lastIndexOf(':'));
  const portText = bracketed ? bracketed[2] : address.slice(address.lastIndexOf(':') + 1);
  const port = Number(portText);
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

/**
 * Starts a WebSocket server that pipes each connection to the TCP address in its `address` query parameter
 * (`ws://127.0.0.1:PORT/v1?address=127.0.0.1:5432`), binary frames both ways. With the Neon driver configured by
 * `createDb({ DATABASE_URL, NEON_WS_PROXY: relay.url })`, the production driver code talks to a plain PostgreSQL.
 */
export async function startRelay(options: RelayOptions = {}): Promise<Relay> {
  const host = options.host ?? '127.0.0.1';
  const sockets = new Set<net.Socket>();
  const wss = new WebSocketServer({ host, port: options.port ?? 0, path: '/v1', perMessageDeflate: false });

  wss.on('connection', (ws, request) => {
    const address = new URL(request.url ?? '/', 'http://relay').searchParams.get('address') ?? '';
    const target = parseAddress(address);
    if (!target || !LOOPBACK_HOSTS.has(target.host)) {
      ws.close(1008, 'target not allowed'); // policy violation
      return;
    }
    const socket = net.connect({ host: target.host, port: target.port });
    socket.setNoDelay(true);
    sockets.add(socket);

    // Messages may arrive before the TCP connection is up: net.Socket buffers writes until then.
    ws.on('message', (data, isBinary) => {
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      if (isBinary || chunk.length > 0) socket.write(chunk);
    });
    socket.on('data', (chunk) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(chunk, { binary: true });
    });

    // Either side ending ends the other; errors just end both (the client sees a closed connection).
    ws.on('close', () => socket.destroy());
    ws.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close();
    });
    socket.on('error', () => ws.terminate());
  });

  await new Promise<void>((resolveListening, reject) => {
    wss.once('listening', resolveListening);
    wss.once('error', reject);
  });
  const bound = wss.address();
  const port = typeof bound === 'object' && bound ? bound.port : (options.port ?? 0);
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    port,
    url: `${urlHost}:${port}/v1`,
    close: () =>
      new Promise<void>((resolveClosed) => {
        for (const client of wss.clients) client.terminate();
        for (const socket of sockets) socket.destroy();
        wss.close(() => resolveClosed());
      }),
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Migrations on a real server
// ---------------------------------------------------------------------------------------------------------------------

/** Arbitrary constant key for `pg_advisory_lock`: serializes concurrent migrators (e.g. parallel test files). */
const MIGRATION_LOCK_KEY = 7_305_412_001;

/**
 * Runs `fn` on one postgres.js connection straight to the server of `databaseUrl` (never through a pooler): `max: 1`,
 * so every statement shares one session.
 */
async function withSession<T>(databaseUrl: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(databaseUrl, { max: 1, prepare: false, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Applies the pending migrations to the database at `databaseUrl`. Safe to call concurrently and repeatedly: runs
 * under a session advisory lock and skips applied migrations. The lock needs one session for the whole migration,
 * so this connects to PostgreSQL directly — never through a transaction-mode pooler (PgBouncer, Hyperdrive).
 */
export async function migrateUrl(databaseUrl: string): Promise<void> {
  await withSession(databaseUrl, async (sql) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    try {
      await postgresMigrate(postgresDrizzle({ client: sql }), { migrationsFolder: MIGRATIONS_DIR });
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`;
    }
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Throwaway databases (CI: each run in a database of its own)
// ---------------------------------------------------------------------------------------------------------------------

const TEST_DB_NAME = /^codex_test_[a-z0-9_]+$/;

function withDatabase(databaseUrl: string, database: string): string {
  const url = new URL(databaseUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface TestDatabase {
  name: string;
  url: string;
}

export interface CreateTestDatabaseOptions {
  /** A URL on the target server (default `process.env.DATABASE_URL`); only its server and credentials are used. */
  serverUrl?: string;
  /** Apply the migrations to the new database (default true). */
  migrate?: boolean;
}

function requireServerUrl(serverUrl: string | undefined): string {
  const url = serverUrl ?? process.env.DATABASE_URL;
  if (!url) throw new Error('createTestDatabase/dropTestDatabase need a server: pass serverUrl or set DATABASE_URL');
  return url;
}

/** Creates (and by default migrates) a fresh database `codex_test_<random>` on the server of `DATABASE_URL`. */
export async function createTestDatabase(options: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverUrl = requireServerUrl(options.serverUrl);
  const name = `codex_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  // CREATE DATABASE takes no parameters; the name is ours and matches TEST_DB_NAME.
  await withSession(withDatabase(serverUrl, 'postgres'), (sql) => sql.unsafe(`CREATE DATABASE "${name}"`));
  const url = withDatabase(serverUrl, name);
  if (options.migrate ?? true) await migrateUrl(url);
  return { name, url };
}

/** Drops a database made by `createTestDatabase` (by name or URL), disconnecting leftover sessions. */
export async function dropTestDatabase(
  nameOrUrl: string,
  options: Omit<CreateTestDatabaseOptions, 'migrate'> = {},
): Promise<void> {
  const isUrl = nameOrUrl.includes('://');
  const name = isUrl ? decodeURIComponent(new URL(nameOrUrl).pathname.slice(1)) : nameOrUrl;
  if (!TEST_DB_NAME.test(name)) throw new Error(`Refusing to drop "${name}": not a codex_test_* database`);
  const serverUrl = isUrl ? nameOrUrl : requireServerUrl(options.serverUrl);
  await withSession(withDatabase(serverUrl, 'postgres'), (sql) =>
    sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  );
}

// ---------------------------------------------------------------------------------------------------------------------
// The Node host's pool on a real server
// ---------------------------------------------------------------------------------------------------------------------

export interface ServerPool {
  db: Database;
  /** e.g. "postgres.js pool (max 10) → PgBouncer (transaction pooling)". */
  description: string;
  close(): Promise<void>;
}

/**
 * One postgres.js pool for the process on the server of `databaseUrl` (already migrated). With
 * `DATABASE_POOLER=pgbouncer` in the environment the pool goes through a PgBouncer in transaction mode, started
 * here and stopped by `close()`: every transaction then gets whichever server connection is free, as behind
 * Hyperdrive in production — what CI's PostgreSQL run uses to check that transactions keep their guarantees there.
 */
export async function openServerPool(databaseUrl: string, options: { max?: number } = {}): Promise<ServerPool> {
  const max = options.max ?? 10;
  const pooler = process.env.DATABASE_POOLER;
  if (pooler && pooler !== 'pgbouncer') throw new Error(`DATABASE_POOLER=${pooler}: only "pgbouncer" is known`);
  const bouncer = pooler ? await startPgBouncer({ serverUrl: databaseUrl }) : undefined;
  const handle = createPostgresDb(bouncer ? bouncer.urlFor(databaseUrl) : databaseUrl, { max });
  return {
    db: handle.db,
    description: `postgres.js pool (max ${max})${bouncer ? ' → PgBouncer (transaction pooling)' : ''}`,
    close: async () => {
      await handle.close();
      await bouncer?.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Embedded PGlite
// ---------------------------------------------------------------------------------------------------------------------

export interface EmbeddedDb {
  db: Database;
  client: PGlite;
  close(): Promise<void>;
}

export interface EmbeddedDbOptions {
  /** Folder for a persistent database (e.g. `DEFAULT_EMBEDDED_DATA_DIR`); in-memory when omitted. */
  dataDir?: string;
}

/** Identifies the migrated template: the migration files and the PGlite version (the data-dir format). */
function snapshotKey(): string {
  const hash = createHash('sha256');
  const require = createRequire(import.meta.url);
  const pgliteEntry = require.resolve('@electric-sql/pglite');
  let pkgDir = dirname(pgliteEntry);
  while (!existsSync(join(pkgDir, 'package.json'))) pkgDir = dirname(pkgDir);
  hash.update(
    `pglite@${(JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version}\n`,
  );
  const files = [
    'meta/_journal.json',
    ...readdirSync(MIGRATIONS_DIR)
      .filter((f) => f.endsWith('.sql'))
      .sort(),
  ];
  for (const file of files) {
    hash.update(`${file}\n`);
    hash.update(readFileSync(join(MIGRATIONS_DIR, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

/**
 * A gzip tarball of a freshly migrated PGlite data dir. Creating a PGlite database runs initdb (≈4 s here);
 * loading this snapshot takes ≈0.7 s, so every test file gets its own database cheaply. Built on first use and
 * cached under node_modules/.cache/codex-pglite/<key>.tar.gz (the key changes with any migration).
 */
async function migratedSnapshot(): Promise<Blob> {
  const file = join(SNAPSHOT_CACHE_DIR, `${snapshotKey()}.tar.gz`);
  if (existsSync(file)) return new Blob([readFileSync(file)]);

  const client = new PGlite();
  try {
    await pgliteMigrate(pgliteDrizzle({ client }), { migrationsFolder: MIGRATIONS_DIR });
    const dump = await client.dumpDataDir('gzip');
    const bytes = Buffer.from(await dump.arrayBuffer());
    mkdirSync(SNAPSHOT_CACHE_DIR, { recursive: true });
    // Parallel test workers may race to build it: write aside, then rename atomically.
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
    return new Blob([bytes]);
  } finally {
    await client.close();
  }
}

/** Removes cached snapshots (e.g. after editing a migration in place). */
export function clearEmbeddedSnapshots(): void {
  rmSync(SNAPSHOT_CACHE_DIR, { recursive: true, force: true });
}

/**
 * Opens an embedded PGlite database with all migrations applied.
 * In memory (default): loaded from the cached migrated snapshot. With `dataDir`: a persistent folder, created
 * from the snapshot on first use, then migrated on every open (a no-op when nothing is pending).
 */
export async function openEmbeddedDb(options: EmbeddedDbOptions = {}): Promise<EmbeddedDb> {
  let client: PGlite;
  if (options.dataDir) {
    const dataDir = resolve(options.dataDir);
    const fresh = !existsSync(dataDir) || readdirSync(dataDir).length === 0;
    mkdirSync(dataDir, { recursive: true });
    client = fresh ? new PGlite({ dataDir, loadDataDir: await migratedSnapshot() }) : new PGlite({ dataDir });
  } else {
    client = new PGlite({ loadDataDir: await migratedSnapshot() });
  }
  await client.waitReady;
  const db: Database = pgliteDrizzle({ client, schema });
  if (options.dataDir) await pgliteMigrate(pgliteDrizzle({ client }), { migrationsFolder: MIGRATIONS_DIR });
  return {
    db,
    client,
    close: async () => {
      if (!client.closed) await client.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// Tests: one helper that picks the mode from the environment
// ---------------------------------------------------------------------------------------------------------------------

export interface TestDb {
  db: Database;
  /** Bindings to hand to workers/services under test (`createDb(env)` gives them this same database). */
  env: DbBindings;
  mode: 'embedded' | 'server';
  close(): Promise<void>;
}

/**
 * A database for a test file. With `process.env.DATABASE_URL`: that server (migrated if needed) through a
 * postgres.js pool — the driver of the production (Hyperdrive) path, held by the process as the Node host holds it. Otherwise: a fresh in-memory PGlite (single session: no real
 * concurrency). Tests may share the server database, so use random emails/slugs.
 */
export async function openTestDb(): Promise<TestDb> {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) {
    await migrateUrl(databaseUrl);
    const { db, close } = await openServerPool(databaseUrl);
    return { db, env: { EMBEDDED_DB: db }, mode: 'server', close };
  }
  const embedded = await openEmbeddedDb();
  return { db: embedded.db, env: { EMBEDDED_DB: embedded.db }, mode: 'embedded', close: embedded.close };
}

export type { SeedResult } from './seed';
export {
  DEMO_CREATOR_EMAIL,
  DEMO_CREATOR_PASSWORD,
  DEMO_IDS,
  DEMO_MEDIA,
  DEMO_ORGANIZATION_SLUG,
  seedDemoData,
  seedDemoMedia,
} from './seed';
