/// <reference types="@cloudflare/vitest-pool-workers/types" />
// Bindings the workerd test projects add on top of each worker's wrangler.jsonc (see vitest.workerd.config.ts).
declare namespace Cloudflare {
  interface Env {
    /** "postgres" when this run has a database (HYPERDRIVE → PgBouncer, and DATABASE_URL + NEON_WS_PROXY), else "none". */
    WORKERD_TEST_DB: 'postgres' | 'none';
    HYPERDRIVE: Hyperdrive;
    DATABASE_URL?: string;
    NEON_WS_PROXY?: string;
    /** The rate-limit counters (wrangler.jsonc: hosted by the auth worker, bound by the others). */
    RATE_LIMITER: DurableObjectNamespace;
    /** The auth worker (its deploy bundle, codex-auth), bound by the other workers. */
    AUTH_SERVICE: Fetcher;
    /** wrangler's deploy bundle of the worker under test, running as its own Worker. */
    BUNDLE: Fetcher;
  }
}
