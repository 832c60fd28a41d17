import { cloudflareTest } from '@cloudflare/vitest-pool-workers';
import type { Plugin } from 'vite';
import { defineProject } from 'vitest/config';
import { bundledWorker } from './test/workerd/worker-bundle';

/**
 * The deployable artifact in the real Workers runtime (workerd, via @cloudflare/vitest-pool-workers 0.15):
 * one project per worker, built from the worker's own wrangler.jsonc (vars, KV, R2, assets, service bindings).
 * - SELF is the worker (src/index.ts, loaded into the test isolate by the pool);
 * - env.BUNDLE is wrangler's deploy bundle of the same worker, started as a real Worker;
 * - the non-auth workers' AUTH_SERVICE is the auth worker's bundle, as the `codex-auth` service.
 * With DATABASE_URL set, test/workerd/global-setup.ts gives each project a fresh migrated database on that server,
 * reached as in production through the HYPERDRIVE binding (Miniflare's local Hyperdrive → PgBouncer → PostgreSQL);
 * the Neon driver's fallback path gets DATABASE_URL + NEON_WS_PROXY (the local relay).
 *
 *   npx vitest run -c vitest.workerd.config.ts            # just these
 *   npx vitest run --project 'workerd:*'                  # the same from the root config (npm test runs all)
 */
export const WORKERD_WORKERS = ['auth', 'content-api', 'identity-api', 'ecom-api'] as const;

/**
 * Over the vars of wrangler.jsonc (LOG_LEVEL "info", EMAIL_TRANSPORT "console"): no request log lines and no
 * verification links on stdout; emails go to the in-memory outbox, as in the node tests.
 */
const QUIET = { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory' };

/**
 * Drops Vite's "Sourcemap for node_modules/… points to missing source files" warnings: packages such as stripe ship
 * source maps without their sources, one warning per module (hundreds per run), nothing this repository can fix.
 * (Vitest installs its own Vite logger per project, so this wraps it once the config is resolved.)
 */
const MISSING_DEP_SOURCES = /^Sourcemap for "[^"]*\/node_modules\/[^"]*" points to missing source files$/;
const quietDependencySourcemaps: Plugin = {
  name: 'codex:quiet-dependency-sourcemaps',
  configResolved(config) {
    const warnOnce = config.logger.warnOnce.bind(config.logger);
    config.logger.warnOnce = (msg, options) => {
      if (!MISSING_DEP_SOURCES.test(msg)) warnOnce(msg, options);
    };
  },
};

export function workerdProject(worker: (typeof WORKERD_WORKERS)[number]) {
  return defineProject({
    plugins: [
      quietDependencySourcemaps,
      cloudflareTest(async ({ inject }) => {
        const databaseUrl = inject('workerdDatabaseUrl');
        const proxy = inject('workerdNeonWsProxy');
        const db: Record<string, string> =
          databaseUrl && proxy ? { DATABASE_URL: databaseUrl, NEON_WS_PROXY: proxy } : {};
        // HYPERDRIVE (the production path) → PgBouncer → the run's database; without a database, a listener that
        // refuses every login (instead of wrangler.jsonc's local PgBouncer on 6432), so /health is degraded for sure.
        const hyperdrives = { HYPERDRIVE: inject('workerdHyperdriveUrl') };
        // The tests assert on responses and rows, not on logs.
        const vars = { ...QUIET, ...db };
        const auxiliary = [await bundledWorker(worker, `bundle-${worker}`, vars, hyperdrives)];
        if (worker !== 'auth') auxiliary.push(await bundledWorker('auth', 'codex-auth', vars, hyperdrives));
        return {
          wrangler: { configPath: `./workers/${worker}/wrangler.jsonc` },
          miniflare: {
            hyperdrives,
            bindings: { WORKERD_TEST_DB: databaseUrl ? 'postgres' : 'none', ...vars },
            serviceBindings: { BUNDLE: `bundle-${worker}` },
            workers: auxiliary,
          },
        };
      }),
    ],
    test: {
      name: `workerd:${worker}`,
      include: [`workers/${worker}/test-workerd/**/*.test.ts`],
      globalSetup: ['./test/workerd/global-setup.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
    },
  });
}

export const workerdProjects = WORKERD_WORKERS.map(workerdProject);

export default { test: { projects: workerdProjects } };
