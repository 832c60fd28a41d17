/**
 * The local platform: what Cloudflare provides in production, assembled on one
 * machine for `npm run dev` and the test suites.
 *
 * - KV, R2 and the rate limiter's Durable Objects come from Miniflare (Cloudflare's own simulator); the Durable
 *   Object class is the one the auth worker deploys (@codex/worker-kit's RateLimiter, bundled for workerd here);
 * - the database is embedded PGlite by default, or a real PostgreSQL server
 *   (DATABASE_URL) through one process-wide postgres.js pool (the driver of
 *   the production Hyperdrive path); either is handed to the workers as the
 *   open database EMBEDDED_DB, so no request opens a connection;
 * - service bindings between workers are real fetchers into the other
 *   worker's app, as Cloudflare wires them;
 * - ASSETS serves the static assets directory, as Workers static assets do.
 */
import { readFile } from 'node:fs/promises';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from '@codex/database';
import { migrateUrl, openEmbeddedDb, openServerPool } from '@codex/database/node';
import type { AppBindings } from '@codex/worker-kit';
import { Miniflare } from 'miniflare';
import { installFixedLengthStream, R2_PUT_WORKER, streamingBucket } from './r2-stream';
import { rateLimiterBinding, rateLimiterWorkerOptions } from './rate-limiter';

// R2 writes of a stream need FixedLengthStream (a workerd global): provide it in Node (see ./r2-stream).
installFixedLengthStream();

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const WORKERS = ['auth', 'content-api', 'identity-api', 'ecom-api'] as const;
export type WorkerName = (typeof WORKERS)[number];

export const DEV_PORTS: Record<WorkerName, number> = {
  auth: 42069,
  'content-api': 4001,
  'identity-api': 42071,
  'ecom-api': 42072,
};

export interface WorkerAppLike {
  fetch(request: Request, env?: unknown, ctx?: unknown): Response | Promise<Response>;
}

export interface LocalPlatformOptions {
  /** Folder for persistent state (PGlite data, KV, R2). Omit for in-memory (tests). */
  persistDir?: string;
  /** A real PostgreSQL server; defaults to process.env.DATABASE_URL. Empty string forces the embedded database. */
  databaseUrl?: string;
  /** The worker apps to wire up (service bindings need the auth app). */
  apps: Partial<Record<WorkerName, WorkerAppLike>>;
  /** Extra vars for every worker (e.g. LOG_LEVEL). */
  vars?: Partial<Record<string, string>>;
  /** Per-worker extra bindings/vars. */
  workerVars?: Partial<Record<WorkerName, Record<string, unknown>>>;
}

/** Connections of the process-wide pool on a PostgreSQL server (the anchor of the read benchmark has as many). */
export const NODE_POOL_MAX = 10;

export interface LocalPlatform {
  mode: 'embedded' | 'postgres';
  /** How the workers reach the database, for printing (e.g. "PostgreSQL via a postgres.js pool (max 10)"). */
  databaseDescription: string;
  /** A database handle for test assertions and seeding (the same database the workers use). */
  db: Database;
  kv: { AUTH_SESSION_KV: KVNamespace };
  /** The rate-limit counters (Durable Objects in Miniflare), as every worker's RATE_LIMITER binding sees them. */
  rateLimiter: DurableObjectNamespace;
  bucket: R2Bucket;
  /** The bindings a worker receives. */
  envFor(worker: WorkerName, overrides?: Record<string, unknown>): AppBindings & Record<string, unknown>;
  /** Sends a request to a worker in-process, as its deployed fetch handler would receive it. */
  request(worker: WorkerName, path: string, init?: RequestInit): Promise<Response>;
  close(): Promise<void>;
}

const MIME: Record<string, string> = { '.js': 'application/javascript', '.css': 'text/css', '.html': 'text/html' };

/** A Fetcher over the static assets folder, as Workers static assets serve it. */
function assetsFetcher(dir: string): Fetcher {
  return {
    fetch: async (input: RequestInfo | URL) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
      if (rel.startsWith('..')) return new Response('Not found', { status: 404 });
      try {
        const body = await readFile(join(dir, rel));
        const ext = rel.slice(rel.lastIndexOf('.'));
        return new Response(new Uint8Array(body), {
          headers: { 'content-type': MIME[ext] ?? 'application/octet-stream' },
        });
      } catch {
        return new Response('Not found', { status: 404 });
      }
    },
    connect: () => {
      throw new Error('not supported');
    },
  } as unknown as Fetcher;
}

/** A service binding: a Fetcher that calls another worker's app with that worker's bindings. */
function serviceBinding(platform: () => LocalPlatform, target: WorkerName, app: WorkerAppLike): Fetcher {
  return {
    fetch: async (input: RequestInfo | URL, init?: RequestInit) => {
      const req = input instanceof Request && !init ? input : new Request(input as RequestInfo, init);
      return app.fetch(req, platform().envFor(target));
    },
    connect: () => {
      throw new Error('not supported');
    },
  } as unknown as Fetcher;
}

export async function startLocalPlatform(options: LocalPlatformOptions): Promise<LocalPlatform> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? '';
  const persist = options.persistDir;

  const mf = new Miniflare({
    workers: [
      // The first worker answers dispatchFetch by default (the streaming R2 puts of ./r2-stream).
      {
        name: 'codex-platform',
        modules: true,
        script: R2_PUT_WORKER,
        kvNamespaces: ['AUTH_SESSION_KV'],
        r2Buckets: ['MEDIA_BUCKET'],
      },
      await rateLimiterWorkerOptions(),
    ],
    ...(persist
      ? { kvPersist: join(persist, 'kv'), r2Persist: join(persist, 'r2'), durableObjectsPersist: join(persist, 'do') }
      : {}),
  });
  await mf.ready;
  const kv = {
    AUTH_SESSION_KV: (await mf.getKVNamespace('AUTH_SESSION_KV')) as unknown as KVNamespace,
  };
  const rateLimiter = rateLimiterBinding(mf);
  const bucket = streamingBucket(mf, 'MEDIA_BUCKET', (await mf.getR2Bucket('MEDIA_BUCKET')) as unknown as R2Bucket);

  let dbBindings: Partial<AppBindings>;
  let db: Database;
  const closers: Array<() => Promise<void>> = [];
  let mode: LocalPlatform['mode'];
  let databaseDescription = 'PGlite (embedded)';
  if (databaseUrl) {
    mode = 'postgres';
    // Like the embedded database, a server database is brought up to date on start (idempotent, and safe when
    // several test files start at once: migrateUrl holds an advisory lock on a direct connection).
    await migrateUrl(databaseUrl);
    // One postgres.js pool for the whole process, as a long-lived server keeps its connections: requests never
    // pay a connection setup (the Workers bundles reach the same server through Hyperdrive / PgBouncer instead).
    const pool = await openServerPool(databaseUrl, { max: NODE_POOL_MAX });
    closers.unshift(() => pool.close());
    db = pool.db;
    dbBindings = { EMBEDDED_DB: db };
    databaseDescription = `PostgreSQL via a ${pool.description}`;
  } else {
    mode = 'embedded';
    const embedded = await openEmbeddedDb(persist ? { dataDir: join(persist, 'pglite') } : {});
    closers.push(() => embedded.close());
    db = embedded.db;
    dbBindings = { EMBEDDED_DB: embedded.db };
  }

  const assets = assetsFetcher(join(REPO_ROOT, 'assets'));
  const envCache = new Map<WorkerName, AppBindings & Record<string, unknown>>();
  const platform: LocalPlatform = {
    mode,
    databaseDescription,
    db,
    kv,
    rateLimiter,
    bucket,
    envFor(worker, overrides = {}) {
      // One bindings object per worker when nothing is overridden, as a deployed isolate keeps its env: the
      // toolkit parses the configuration once per bindings object.
      const plain = Object.keys(overrides).length === 0;
      const known = plain ? envCache.get(worker) : undefined;
      if (known) return known;
      const env: AppBindings & Record<string, unknown> = {
        ENVIRONMENT: 'development',
        LOG_LEVEL: 'info',
        PUBLIC_URL: `http://localhost:${DEV_PORTS[worker]}`,
        AUTH_URL: `http://localhost:${DEV_PORTS.auth}`,
        CORS_ORIGINS: 'http://localhost:5173',
        ...options.vars,
        ...dbBindings,
        ...kv,
        RATE_LIMITER: rateLimiter,
        ASSETS: assets,
        ...(worker === 'content-api' ? { MEDIA_BUCKET: bucket } : {}),
        ...(worker !== 'auth' && options.apps.auth
          ? { AUTH_SERVICE: serviceBinding(() => platform, 'auth', options.apps.auth) }
          : {}),
        ...options.workerVars?.[worker],
        ...overrides,
      };
      if (plain) envCache.set(worker, env);
      return env;
    },
    async request(worker, path, init) {
      const app = options.apps[worker];
      if (!app) throw new Error(`worker ${worker} is not wired into this platform`);
      const req = new Request(new URL(path, `http://localhost:${DEV_PORTS[worker]}`), init);
      return app.fetch(req, platform.envFor(worker));
    },
    async close() {
      for (const close of closers) await close().catch(() => undefined);
      await mf.dispose();
    },
  };
  return platform;
}
export { rateLimiterClassModule, rateLimiterWorkerOptions } from './rate-limiter';
export * from './users';

/**
 * A fetch that plays the network between a client and the workers: each request goes in-process to the app
 * whose dev port its URL names, with that worker's bindings. Each request gets a client IP of its own unless
 * it sets one, so auth's per-IP limits stay out of the way of flows that are not about them.
 */
export function localNetwork(
  platform: LocalPlatform,
  apps: Partial<Record<WorkerName, WorkerAppLike>>,
  onRequest?: (worker: WorkerName, request: Request) => void,
) {
  let ip = 0;
  return async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const worker = WORKERS.find((w) => String(DEV_PORTS[w]) === url.port);
    const app = worker ? apps[worker] : undefined;
    if (!worker || !app) throw new TypeError(`fetch failed: nothing listens on ${url.host}`);
    onRequest?.(worker, request);
    const headers = new Headers(request.headers);
    if (!headers.has('cf-connecting-ip')) {
      ip += 1;
      headers.set('cf-connecting-ip', `10.78.${Math.floor(ip / 250) % 250}.${(ip % 250) + 1}`);
    }
    return app.fetch(new Request(request, { headers }), platform.envFor(worker));
  };
}
