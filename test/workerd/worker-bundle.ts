/**
 * A worker as deployed: wrangler's own bundle (`wrangler deploy --dry-run`), run as an auxiliary Miniflare worker
 * next to the worker under test. Two uses:
 * - `codex-auth`: the real auth worker behind the other workers' AUTH_SERVICE service binding, as in Cloudflare;
 * - `BUNDLE`: the worker's own deploy artifact, started as a real Worker entrypoint — this is what catches a module
 *   that workerd refuses to load (e.g. a non-handler value exported from the entry module), which the test runner's
 *   in-isolate import of src/index.ts does not.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'codex-workerd');

const key = Symbol.for('codex.workerd.bundles');
type Cache = { [key]?: Map<string, Promise<string>> };

/** Bundles a worker once per process (development env, as `wrangler dev` would); resolves to the bundle's path. */
export function workerBundle(worker: string): Promise<string> {
  const holder = globalThis as Cache;
  holder[key] ??= new Map();
  const cache = holder[key];
  let bundle = cache.get(worker);
  if (!bundle) {
    const outdir = join(CACHE, worker);
    bundle = promisify(execFile)(
      join(ROOT, 'node_modules', '.bin', 'wrangler'),
      ['deploy', '--dry-run', '--outdir', outdir],
      { cwd: join(ROOT, 'workers', worker), env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' } },
    ).then(
      () => join(outdir, 'index.js'),
      (e: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`wrangler could not bundle ${worker}: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      },
    );
    cache.set(worker, bundle);
  }
  return bundle;
}

/**
/**
 * Miniflare options for a worker's bundle as an auxiliary worker named `name`, with the vars, KV, R2 and Durable
 * Objects of its wrangler.jsonc plus `extraBindings`, and its Hyperdrive bindings pointed at `hyperdrives`. Its
 * AUTH_SERVICE (if any) points at the `codex-auth` auxiliary worker, and so does its RATE_LIMITER (script_name
 * `codex-auth`); the auth bundle hosts the RateLimiter class.
 */
export async function bundledWorker(
  worker: string,
  name: string,
  extraBindings: Record<string, string>,
  hyperdrives: Record<string, string> = {},
) {
  const scriptPath = await workerBundle(worker);
  const { workerOptions: o } = unstable_getMiniflareWorkerOptions(join(ROOT, 'workers', worker, 'wrangler.jsonc'));
  return {
    name,
    modules: true,
    scriptPath,
    compatibilityDate: o.compatibilityDate,
    compatibilityFlags: o.compatibilityFlags,
    bindings: { ...(o.bindings as Record<string, string>), ...extraBindings },
    hyperdrives: { ...(o.hyperdrives as Record<string, string> | undefined), ...hyperdrives },
    kvNamespaces: o.kvNamespaces,
    r2Buckets: o.r2Buckets,
    durableObjects: o.durableObjects,
    ...(worker === 'auth' ? {} : { serviceBindings: { AUTH_SERVICE: 'codex-auth' } }),
  };
}
