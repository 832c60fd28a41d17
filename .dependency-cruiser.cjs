/**
 * The architecture's boundaries, checked from the code's own imports (`npm run lint:deps`, a step of .ci/run).
 *
 *   domain ◀── contract ◀── services (content, organizations, purchase) ◀── workers
 *      ▲           ▲              ▲                                          │
 *      └───────────┴── database ◀─┴──────────── worker-kit (HTTP) ◀──────────┘
 *
 * - domain (the error catalogue) depends on nothing; contract (zod schemas) only on domain and zod;
 * - services speak the domain: no Hono, no worker toolkit, no worker, no local platform;
 * - the worker toolkit knows no service and no worker;
 * - a worker never imports another worker;
 * - tests and scripts use a worker through its public entry (its package.json `exports`), never its private
 *   modules or its tests' helpers; shared test infrastructure lives in @codex/local;
 * - the client is a standalone package: only the generated contract types and its declared dependencies;
 * - every package's source declares what it imports in its own package.json.
 *
 * Symlinks are preserved, so a workspace package is seen as node_modules/@codex/<name>/… when imported by name
 * (what the declared-dependencies rule needs) and as packages/<name>/… when imported by a relative path.
 */
/** A workspace package's files, however they are imported. */
const pkg = (names) => `^(packages/(${names})|node_modules/@codex/(${names}))/`;
/** A worker's files, however they are imported (by its package name @codex/worker-<name> or by path). */
const WORKERS = 'auth|content-api|identity-api|ecom-api';
const worker = (names) => `^(workers/(${names})|node_modules/@codex/worker-(${names}))/`;
/** A worker's public entries, imported by package name: its app and the modules its package.json exports. */
const PUBLIC_WORKER_ENTRIES = [
  '^node_modules/@codex/worker-[^/]+/src/index\\.ts$',
  '^node_modules/@codex/worker-auth/src/(email|password)\\.ts$',
];

module.exports = {
  forbidden: [
    {
      name: 'domain-depends-on-nothing',
      comment: 'packages/domain is shared by every layer: it imports no other package.',
      severity: 'error',
      from: { path: '^packages/domain/src/' },
      to: { pathNot: pkg('domain'), dependencyTypesNot: ['core'] },
    },
    {
      name: 'contract-only-domain-and-zod',
      comment: 'packages/contract (the schemas) knows no HTTP library and no service: only domain and zod.',
      severity: 'error',
      from: { path: '^packages/contract/src/' },
      to: { pathNot: [pkg('contract|domain'), '^node_modules/zod/'] },
    },
    {
      name: 'services-speak-the-domain',
      comment: 'Services throw domain errors and know no transport: no Hono, no worker toolkit, no worker.',
      severity: 'error',
      from: { path: '^packages/(content|organizations|purchase|database)/src/' },
      to: { path: ['^node_modules/(hono|@hono|@scalar)/', pkg('worker-kit|local|client'), worker(WORKERS)] },
    },
    {
      name: 'toolkit-knows-no-service',
      comment: 'The worker toolkit is the HTTP layer for every worker: it imports no service and no worker.',
      severity: 'error',
      from: { path: '^packages/worker-kit/src/' },
      to: { path: [pkg('content|organizations|purchase|local|client'), worker(WORKERS)] },
    },
    {
      name: 'no-worker-to-worker',
      comment: 'Workers talk over HTTP (service bindings), never through imports (their tests may assemble several).',
      severity: 'error',
      from: { path: '^workers/([^/]+)/src/' },
      to: { path: worker(WORKERS), pathNot: worker('$1') },
    },
    {
      name: 'no-private-worker-modules',
      comment: 'Outside a worker, use its public entry (package.json exports): not its private modules or its tests.',
      severity: 'error',
      from: { path: '^(packages|scripts|test|examples)/' },
      to: { path: worker(WORKERS), pathNot: PUBLIC_WORKER_ENTRIES },
    },
    {
      name: 'no-other-worker-private-modules',
      comment: "A worker's tests may use its own modules; another worker only through its public entry.",
      severity: 'error',
      from: { path: '^workers/([^/]+)/' },
      to: { path: worker(WORKERS), pathNot: [worker('$1'), ...PUBLIC_WORKER_ENTRIES] },
    },
    {
      name: 'no-test-helpers-across-packages',
      comment: "A package's test folder is its own; shared test infrastructure lives in @codex/local.",
      severity: 'error',
      from: { path: '^(packages|workers)/([^/]+)/' },
      to: { path: '^(packages|workers)/[^/]+/(test|test-workerd)/', pathNot: '^$1/$2/' },
    },
    {
      name: 'client-is-standalone',
      comment: 'The published client imports only the generated contract types and its declared dependencies.',
      severity: 'error',
      from: { path: '^packages/client/src/' },
      to: { path: ['^(packages|workers)/', '^node_modules/@codex/'], pathNot: '^packages/client/' },
    },
    {
      name: 'declared-dependencies',
      comment: "Every package's source declares what it imports in its own package.json.",
      severity: 'error',
      from: { path: '^(packages|workers)/[^/]+/src/' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: {
      path: '^(packages|workers)/[^/]+/(dist|\\.wrangler)/|^(\\.tmp|\\.data|generated/docs)/|^packages/client/test/packed/',
    },
    builtInModules: { add: ['cloudflare:test', 'cloudflare:workers', 'cloudflare:sockets'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    combinedDependencies: false,
    preserveSymlinks: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['codex-source', 'import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
