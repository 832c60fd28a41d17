/**
 * Where requests go: the local platform in-process (default), or a live deployment when CONTRACT_BASE_URL is set.
 *
 * CONTRACT_BASE_URL accepts
 * - a JSON map `{"auth":"https://auth.example","identity-api":"https://..."}` (workers left out are not tested);
 * - `production`, `staging` or `local`: the contract's own server URLs for that environment;
 * - a template with `{worker}` and/or `{port}`, e.g. `https://{worker}-staging.revelations.studio` or
 *   `http://127.0.0.1:{port}`;
 * - a plain URL: every worker at that base (a single gateway).
 */

import { createTestDatabase, dropTestDatabase } from '@codex/database/node';
import {
  DEV_PORTS,
  type LocalPlatform,
  startLocalPlatform,
  WORKERS,
  type WorkerAppLike,
  type WorkerName,
} from '@codex/local';
import type { Contract } from './contract';

export interface Target {
  mode: 'embedded' | 'postgres' | 'live';
  /** Workers this run can reach. */
  workers: WorkerName[];
  platform: LocalPlatform | undefined;
  /** The worker apps (local mode), for the served-routes check. */
  apps: Partial<Record<WorkerName, WorkerAppLike & { routes?: Array<{ method: string; path: string }> }>>;
  send(worker: WorkerName, path: string, init: RequestInit, env?: Record<string, unknown>): Promise<Response>;
  /** Whether cookies from this worker must be Secure (https deployments; locally ENVIRONMENT=test). */
  secure(worker: WorkerName): boolean;
  close(): Promise<void>;
}

export function liveBaseUrls(raw: string, contract: Contract): Partial<Record<WorkerName, string>> {
  const value = raw.trim();
  const out: Partial<Record<WorkerName, string>> = {};
  if (value.startsWith('{')) {
    const map = JSON.parse(value) as Record<string, string>;
    for (const [k, v] of Object.entries(map)) {
      if (!(WORKERS as readonly string[]).includes(k)) throw new Error(`CONTRACT_BASE_URL names unknown worker "${k}"`);
      out[k as WorkerName] = v;
    }
    return out;
  }
  if (value === 'production' || value === 'staging' || value === 'local') {
    for (const w of WORKERS) {
      const url = contract.servers[w][value];
      if (url) out[w] = url;
    }
    return out;
  }
  for (const w of WORKERS) out[w] = value.replaceAll('{worker}', w).replaceAll('{port}', String(DEV_PORTS[w]));
  return out;
}

/** Workers selected with CONTRACT_WORKERS (comma-separated), default all. */
export function selectedWorkers(): WorkerName[] {
  const raw = process.env.CONTRACT_WORKERS?.trim();
  if (!raw) return [...WORKERS];
  const names = raw.split(',').map((s) => s.trim());
  for (const n of names) {
    if (!(WORKERS as readonly string[]).includes(n)) throw new Error(`CONTRACT_WORKERS names unknown worker "${n}"`);
  }
  return names as WorkerName[];
}

export const LOCAL_VARS = { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test' };

/** `vars`: extra worker variables for a local run (e.g. RATE_LIMITS for the generated check's bursts). */
export async function startTarget(contract: Contract, vars: Record<string, string> = {}): Promise<Target> {
  const selected = selectedWorkers();
  const live = process.env.CONTRACT_BASE_URL;
  if (live) {
    const bases = liveBaseUrls(live, contract);
    const workers = selected.filter((w) => bases[w]);
    return {
      mode: 'live',
      workers,
      platform: undefined,
      apps: {},
      // CONTRACT_SECURE_COOKIES=1: a production-mode stack on plain http (npm run preview) must set Secure all the same.
      secure: (worker) => process.env.CONTRACT_SECURE_COOKIES === '1' || (bases[worker] ?? '').startsWith('https:'),
      async send(worker, path, init) {
        const base = bases[worker];
        if (!base) throw new Error(`no base URL for worker ${worker}`);
        const url = `${base.replace(/\/+$/, '')}${path}`;
        try {
          return await fetch(url, { ...init, redirect: 'manual' });
        } catch (e) {
          // A server that answers 413 before reading a large body closes the connection; undici may have queued
          // the next request on that socket. Retry once on a fresh connection when no response came at all.
          const code = (e as { cause?: { code?: string } }).cause?.code;
          if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') throw e;
          return fetch(url, { ...init, redirect: 'manual' });
        }
      },
      async close() {},
    };
  }

  const [auth, content, identity, ecom] = await Promise.all([
    import('@codex/worker-auth'),
    import('@codex/worker-content-api'),
    import('@codex/worker-identity-api'),
    import('@codex/worker-ecom-api'),
  ]);
  const apps = {
    auth: auth.app,
    'content-api': content.app,
    'identity-api': identity.app,
    'ecom-api': ecom.app,
  } as Target['apps'];
  const db = await testDatabase();
  const platform = await startLocalPlatform({
    apps: apps as Record<WorkerName, WorkerAppLike>,
    vars: { ...LOCAL_VARS, ...vars },
    ...(db ? { databaseUrl: db.url } : { databaseUrl: '' }),
  });
  return {
    mode: platform.mode,
    workers: selected,
    platform,
    apps,
    secure: () => true,
    async send(worker, path, init, env) {
      if (!env) return platform.request(worker, path, init);
      const app = apps[worker];
      if (!app) throw new Error(`worker ${worker} is not wired`);
      const req = new Request(new URL(path, `http://localhost:${DEV_PORTS[worker]}`), init);
      return app.fetch(req, platform.envFor(worker, env));
    },
    async close() {
      await platform.close();
      await db?.drop();
    },
  };
}

/**
 * With DATABASE_URL set, the suite runs in a database of its own on that server, created and migrated here and
 * dropped after. Without it: the embedded database (startLocalPlatform's default).
 */
async function testDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return undefined;
  const created = await createTestDatabase({ serverUrl });
  return { url: created.url, drop: () => dropTestDatabase(created.name, { serverUrl }) };
}
