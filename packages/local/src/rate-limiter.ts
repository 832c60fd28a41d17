/**
 * The rate limiter on the local platform: the RateLimiter Durable Object class the auth worker deploys
 * (packages/worker-kit/src/rate-limiter-object.ts), run by Miniflare's workerd with SQLite-backed storage — the same
 * class code, the same runtime semantics (one request at a time per object, output gates, alarms).
 *
 * The workers run in Node here, so their RATE_LIMITER binding crosses from Node into workerd. Miniflare's own
 * namespace proxy makes `getByName` a synchronous round trip (it blocks the event loop) followed by a second one
 * for the stub's fetch; instead the binding below sends each call as one request to a tiny front worker inside the
 * same Miniflare, which calls `env.RATE_LIMITER.getByName(key).fetch(request)` — what a deployed worker does.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Miniflare } from 'miniflare';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Host name the front worker is routed on inside the platform's Miniflare. */
export const RATE_LIMITER_HOST = 'rate-limiter.codex.internal';

let bundle: Promise<string> | undefined;

/**
 * The RateLimiter class as one ES module for workerd (esbuild over the TypeScript source); built once per process.
 */
export function rateLimiterClassModule(): Promise<string> {
  bundle ??= build({
    entryPoints: [join(REPO_ROOT, 'packages', 'worker-kit', 'src', 'rate-limiter-object.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  }).then((r) => {
    const text = r.outputFiles[0]?.text;
    if (!text?.includes('RateLimiter')) throw new Error('could not bundle the RateLimiter class');
    return text;
  });
  return bundle;
}

/** Source of the Miniflare worker that hosts the class: `?key=` names the object, the rest goes to it unchanged. */
export async function rateLimiterWorkerScript() {
  return `${await rateLimiterClassModule()}
export default {
  async fetch(request, env) {
    const key = new URL(request.url).searchParams.get('key');
    if (!key) return new Response('key required', { status: 400 });
    return env.RATE_LIMITER.getByName(key).fetch(request);
  },
};
`;
}

/** Miniflare worker options for the host worker (routed on RATE_LIMITER_HOST). */
export async function rateLimiterWorkerOptions() {
  return {
    name: 'codex-rate-limiter',
    modules: true,
    script: await rateLimiterWorkerScript(),
    routes: [`${RATE_LIMITER_HOST}/*`],
    durableObjects: { RATE_LIMITER: { className: 'RateLimiter', useSQLite: true } },
  };
}

/**
 * The RATE_LIMITER binding handed to workers running in Node: `getByName(key).fetch(url, init)` reaches the object
 * named `key` in Miniflare. (Only what the limiter uses: getByName and the stub's fetch.)
 */
export function rateLimiterBinding(mf: Miniflare): DurableObjectNamespace {
  const getByName = (name: string) => ({
    fetch(input: RequestInfo | URL, init?: RequestInit) {
      const url = new URL(input instanceof Request ? input.url : String(input));
      url.protocol = 'http:';
      url.host = RATE_LIMITER_HOST;
      url.searchParams.set('key', name);
      return mf.dispatchFetch(url, init as never) as unknown as Promise<Response>;
    },
  });
  return { getByName } as unknown as DurableObjectNamespace;
}
