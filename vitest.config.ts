import { defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';
import { workerdProjects } from './vitest.workerd.config';

/**
 * `npm test` runs every project:
 * - node: services, workers and contract suites through app.fetch in-process, on the
 *   local platform (Miniflare KV/R2 + embedded PGlite, or PostgreSQL via DATABASE_URL);
 * - workerd: each worker's bundle in the real Workers runtime (see vitest.workerd.config.ts).
 */
export default defineConfig({
  test: {
    projects: [
      {
        // Workspace packages that publish a build (@codex/client) point the "codex-source" export condition at their
        // TypeScript source, so tests run the source without a build step.
        resolve: { conditions: ['codex-source', ...defaultServerConditions] },
        ssr: { resolve: { conditions: ['codex-source', ...defaultServerConditions] } },
        test: {
          name: 'node',
          include: ['packages/*/test/**/*.test.ts', 'workers/*/test/**/*.test.ts', 'test/**/*.test.ts'],
          environment: 'node',
          testTimeout: 60_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      ...workerdProjects,
    ],
  },
});
