/**
 * `npm run deploy:staging` / `deploy:prod` run the way a user runs them: in a clone of the repository, through npm,
 * with no Cloudflare credentials (HOME is an empty folder, no CLOUDFLARE_* variables). Checks the refusals (a dirty
 * tree, contract drift, a breaking change without a major bump, an environment that is not ready), the dry-run plan
 * and what it builds, and — with DATABASE_URL, on a database of its own — that migrations are listed without being
 * applied by a dry run, applied by a real run with drizzle-kit, and that the URL's password is never printed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, dropTestDatabase } from '@codex/database/node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listWorkers } from '../../scripts/lib/wrangler';
import { cloneRepository, type RepoClone } from './repo-clone';

const TIMEOUT = 180_000;
const home = mkdtempSync(join(tmpdir(), 'codex-deploy-home-'));

/** The environment of a user without Cloudflare credentials (and without DATABASE_URL unless given). */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...extra };
  for (const k of Object.keys(env)) if (k.startsWith('CLOUDFLARE_') || k === 'CF_API_TOKEN') delete env[k];
  if (!('DATABASE_URL' in extra)) delete env.DATABASE_URL;
  // Not inside a CI job's reports.
  delete env.GITHUB_STEP_SUMMARY;
  delete env.CI_CONTRACT_REPORT;
  delete env.CI_BASE_REF;
  return env;
}

let repo: RepoClone;
const deploy = (args: string[], env?: NodeJS.ProcessEnv) => repo.run('npm', ['run', '--silent', ...args], userEnv(env));

beforeAll(() => {
  repo = cloneRepository();
});
afterAll(() => {
  repo?.remove();
  rmSync(home, { recursive: true, force: true });
});

const PROBE_PATH = `  /api/deploy-test-probe:
    get:
      operationId: deployTestProbe
      summary: An operation that only the base commit has
      responses:
        '200':
          description: OK
`;

/** As an operator would have it once the resources exist: real-looking ids, a database URL (nothing listens there). */
const READY = { DATABASE_URL: 'postgres://codex:hidden-pw-0815@127.0.0.1:1/nowhere' };

describe('deploy refusals', () => {
  beforeAll(() => {
    for (const w of listWorkers(repo.dir)) {
      const file = join(repo.dir, 'workers', w, 'wrangler.jsonc');
      // The deploy script's placeholder rule: an id starting with REPLACE_WITH or <.
      writeFileSync(
        file,
        readFileSync(file, 'utf8').replace(
          /"id": "(REPLACE_WITH[^"]*|<[^"]*)"/g,
          '"id": "0123456789abcdef0123456789abcdef"',
        ),
      );
    }
    repo.git('commit', '--quiet', '-am', 'resources created');
  });
  afterAll(() => {
    repo.git('reset', '--quiet', '--hard', 'HEAD~1');
  });

  it(
    'refuses a dirty working tree before doing anything, naming the changed paths',
    () => {
      writeFileSync(join(repo.dir, 'README.md'), `${readFileSync(join(repo.dir, 'README.md'), 'utf8')}\nlocal edit\n`);
      writeFileSync(join(repo.dir, 'notes.txt'), 'untracked\n');
      try {
        const r = deploy(['deploy:staging']);
        expect(r.status, r.output).toBe(2);
        expect(r.output).toContain('Refusing to deploy: the working tree has uncommitted changes (2 paths)');
        expect(r.output).toMatch(/M README\.md/);
        expect(r.output).toMatch(/\?\? notes\.txt/);
        expect(r.output).not.toContain('.ci/run contract-drift'); // stopped before the contract checks
        expect(existsSync(join(repo.dir, 'dist', 'deploy'))).toBe(false);
      } finally {
        repo.git('checkout', '--', 'README.md');
        rmSync(join(repo.dir, 'notes.txt'));
      }
    },
    TIMEOUT,
  );

  it(
    'refuses a committed contract that the code does not produce (contract:check)',
    () => {
      const file = join(repo.dir, 'openapi', 'codex.yaml');
      const original = readFileSync(file, 'utf8');
      writeFileSync(file, original.replace('summary: Save the playback position', 'summary: Edited by hand'));
      repo.git('commit', '--quiet', '-am', 'hand-edited contract');
      try {
        const r = deploy(['deploy:prod'], READY);
        expect(r.status, r.output).toBe(2);
        expect(r.output).toContain('contract drift (contract:check)');
        expect(r.output).toContain('Refusing to deploy: the contract check failed');
        expect(existsSync(join(repo.dir, 'dist', 'deploy', 'production'))).toBe(false);
      } finally {
        repo.git('reset', '--quiet', '--hard', 'HEAD~1');
      }
    },
    TIMEOUT,
  );

  it(
    'refuses a breaking change (an operation removed) without a major version bump',
    () => {
      const file = join(repo.dir, 'openapi', 'codex.yaml');
      const original = readFileSync(file, 'utf8');
      // A clone of a clone (CI) may have no origin/main: remember whether it had one.
      let mainBefore: string | null = null;
      try {
        mainBefore = repo.git('rev-parse', '--verify', '-q', 'refs/remotes/origin/main');
      } catch {
        mainBefore = null;
      }
      // The base branch has one more operation than this branch: merging this branch would remove it.
      writeFileSync(file, original.replace('\npaths:\n', `\npaths:\n${PROBE_PATH}`));
      repo.git('commit', '--quiet', '-am', 'base: an extra operation');
      repo.git('update-ref', 'refs/remotes/origin/main', 'HEAD');
      writeFileSync(file, original);
      repo.git('commit', '--quiet', '-am', 'branch: the operation is gone');
      try {
        const r = deploy(['deploy:staging'], READY);
        expect(r.status, r.output).toBe(2);
        expect(r.output).toContain('breaking changes (contract:diff)');
        expect(r.output).toMatch(/deploy-test-probe|deployTestProbe/);
        expect(r.output).toContain('Refusing to deploy: the contract check failed');
        expect(existsSync(join(repo.dir, 'dist', 'deploy', 'staging'))).toBe(false);
      } finally {
        repo.git('reset', '--quiet', '--hard', 'HEAD~2');
        if (mainBefore) repo.git('update-ref', 'refs/remotes/origin/main', mainBefore);
        else repo.git('update-ref', '-d', 'refs/remotes/origin/main');
      }
    },
    TIMEOUT,
  );

  it(
    'refuses without Cloudflare credentials, after the gates and before touching the database',
    () => {
      // Resources created, a database URL: only the account is missing.
      const r = deploy(['deploy:staging'], READY);
      expect(r.status, r.output).toBe(2);
      expect(r.output).toContain('✔ contract current');
      expect(r.output).toContain('Refusing to deploy: wrangler is not authenticated');
      expect(r.output).not.toContain('[3] Database migrations');
      expect(r.output).not.toContain('hidden-pw-0815');
    },
    TIMEOUT,
  );
});

describe('deploy:staging --dry-run', () => {
  it(
    'builds every bundle and the docs, and prints the plan, without an account or a database',
    () => {
      const r = deploy(['deploy:staging', '--', '--dry-run']);
      expect(r.status, r.output).toBe(0);
      const out = r.output;
      const version = (
        JSON.parse(readFileSync(join(repo.dir, 'openapi', 'contract-version.json'), 'utf8')) as {
          version: string;
        }
      ).version;

      // Gates ran and passed.
      expect(out).toContain('✔ working tree clean');
      expect(out).toContain('✔ contract current, no unreleased breaking change');
      // Dependency order: auth before the three workers that bind to it, each worker once.
      const order = /\[4\] Workers, in dependency order: (.+)/.exec(out)?.[1]?.split(' → ') ?? [];
      expect(new Set(order).size).toBe(order.length);
      for (const w of ['content-api', 'ecom-api', 'identity-api']) {
        expect(order).toContain(`codex-${w}-staging`);
        expect(order.indexOf('codex-auth-staging')).toBeLessThan(order.indexOf(`codex-${w}-staging`));
      }
      // Per worker: host, bindings, required secrets, the exact command.
      expect(out).toContain('https://content-api-staging.revelations.studio (custom domain)');
      expect(out).toContain('MEDIA_BUCKET → bucket codex-media-staging');
      expect(out).toContain('AUTH_SERVICE → codex-auth-staging (step 1 above)');
      expect(out).toMatch(/secrets {3}BETTER_AUTH_SECRET, EMAIL_API_KEY \(required/);
      expect(out).toMatch(/secrets {3}STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET_BOOKING/);
      expect(out).toMatch(/command {3}wrangler deploy --env staging --tag [0-9a-f]{12} .*\(in workers\/ecom-api\)/);
      // Migrations: the command, no target.
      expect(out).toContain('DATABASE_URL=<secret> node_modules/.bin/drizzle-kit migrate');
      expect(out).toContain('DATABASE_URL not given');
      // Docs for this version, to the staging bucket.
      expect(out).toContain(`[5] Contract ${version}, release notes and docs → R2 bucket codex-docs-staging`);
      expect(out).toContain(`wrangler r2 object put codex-docs-staging/v${version}/codex.yaml`);
      expect(out).toContain('wrangler r2 object put codex-docs-staging/latest/manifest.json');
      // What a real run would still need.
      expect(out).toContain('A real deploy to staging would refuse until');
      expect(out).toContain('npx wrangler kv namespace create codex-auth-session-staging');
      expect(out).toContain('Dry run complete');
      expect(out).not.toContain('Refusing');

      // The bundles and the docs folder exist, as printed.
      for (const w of ['auth', 'content-api', 'ecom-api', 'identity-api'])
        expect(existsSync(join(repo.dir, 'dist', 'deploy', 'staging', w, 'index.js')), w).toBe(true);
      const docs = join(repo.dir, 'dist', 'deploy', 'staging', 'docs');
      const manifest = JSON.parse(readFileSync(join(docs, 'manifest.json'), 'utf8'));
      expect(manifest).toMatchObject({ version, environment: 'staging', commit: repo.git('rev-parse', 'HEAD') });
      expect(readFileSync(join(docs, 'codex.yaml'), 'utf8')).toBe(
        readFileSync(join(repo.dir, 'openapi', 'codex.yaml'), 'utf8'),
      );
      expect(readFileSync(join(docs, 'release-notes.md'), 'utf8')).toContain(`# Codex API contract ${version}`);
      expect(readFileSync(join(docs, 'index.html'), 'utf8')).toContain('<html');
      // Every file of the generated docs is published (index.html, whatever it links to, the guides/ folder), under
      // both prefixes.
      const generated = join(repo.dir, 'generated', 'docs');
      const files = readdirSync(generated, { recursive: true, encoding: 'utf8' }).filter((f) =>
        statSync(join(generated, f)).isFile(),
      );
      expect(files).toContain('guides/errors.md');
      for (const f of files) {
        expect(readFileSync(join(docs, f), 'utf8'), f).toBe(
          readFileSync(join(repo.dir, 'generated', 'docs', f), 'utf8'),
        );
        for (const prefix of [`v${version}`, 'latest'])
          expect(out).toContain(
            `wrangler r2 object put codex-docs-staging/${prefix}/${f} --file dist/deploy/staging/docs/${f}`,
          );
      }
      // Nothing it did dirtied the tree (a real deploy could follow).
      expect(repo.git('status', '--porcelain')).toBe('');
    },
    TIMEOUT,
  );
});

describe('the published release notes', () => {
  it(
    'is the contract diff since the previous version, through contract:diff --markdown',
    () => {
      const previous = repo.git('rev-parse', 'HEAD');
      const file = join(repo.dir, 'openapi', 'contract-version.json');
      const meta = JSON.parse(readFileSync(file, 'utf8')) as { version: string };
      const [major, minor] = meta.version.split('.').map(Number);
      const next = `${major}.${(minor ?? 0) + 1}.0`;
      writeFileSync(file, `${JSON.stringify({ ...meta, version: next }, null, 2)}\n`);
      const regenerated = repo.run('npm', ['run', '--silent', 'contract'], userEnv());
      expect(regenerated.status, regenerated.output).toBe(0);
      repo.git('commit', '--quiet', '-am', `contract ${next}`);
      try {
        const r = deploy(['deploy:staging', '--', '--dry-run', '--only', 'docs']);
        expect(r.status, r.output).toBe(0);
        expect(r.output).toContain(`notes      changes since ${meta.version} (${previous.slice(0, 12)})`);
        expect(r.output).toContain(`npm run --silent contract:diff -- ${previous} --markdown`);
        expect(r.output).toContain(`codex-docs-staging/v${next}/release-notes.md`);
        const notes = readFileSync(join(repo.dir, 'dist', 'deploy', 'staging', 'docs', 'release-notes.md'), 'utf8');
        expect(notes.startsWith(`# Codex API contract ${next}\n\nChanges since ${meta.version}`)).toBe(true);
        expect(notes.length).toBeGreaterThan(100); // the report itself follows the heading
      } finally {
        repo.git('reset', '--quiet', '--hard', previous);
      }
    },
    TIMEOUT,
  );
});

const SERVER_URL = process.env.DATABASE_URL;
if (!SERVER_URL) console.warn('deploy migrations: skipped — set DATABASE_URL (a PostgreSQL server) to run them');

describe.skipIf(!SERVER_URL)('deploy migrations (drizzle-kit, against PostgreSQL)', () => {
  const PASSWORD = 'deploy-test-password-4711';
  let database = '';
  let url = '';
  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };
  const tables = async () =>
    (await query("SELECT table_schema || '.' || table_name AS t FROM information_schema.tables")).map(
      (r) => r.t as string,
    );

  beforeAll(async () => {
    database = (await createTestDatabase({ migrate: false })).name;
    const u = new URL(SERVER_URL as string);
    u.pathname = `/${database}`;
    u.password = PASSWORD; // the server trusts local connections; the password is there to be hidden
    url = u.toString();
  });
  afterAll(async () => {
    if (database) await dropTestDatabase(database);
  });

  it(
    'a real deploy to an unready environment refuses before touching the database',
    async () => {
      const r = deploy(['deploy:staging'], { DATABASE_URL: url });
      expect(r.status, r.output).toBe(2);
      expect(r.output).toContain('Refusing to deploy: not ready to deploy to staging');
      expect(r.output).toContain('REPLACE_WITH_STAGING_AUTH_SESSION_KV_ID');
      expect(r.output).not.toContain(PASSWORD);
      expect((await tables()).filter((t) => t.startsWith('public.') || t.startsWith('drizzle.'))).toEqual([]);
    },
    TIMEOUT,
  );

  it(
    'the dry run lists the pending migrations and applies none; the real run applies them with drizzle-kit',
    async () => {
      const journal = JSON.parse(readFileSync(join(repo.dir, 'migrations', 'meta', '_journal.json'), 'utf8')) as {
        entries: Array<{ tag: string }>;
      };
      const tags = journal.entries.map((e) => e.tag);

      const dry = deploy(['deploy:staging', '--', '--dry-run', '--only', 'migrations'], { DATABASE_URL: url });
      expect(dry.status, dry.output).toBe(0);
      expect(dry.output).toContain(`target     127.0.0.1:${new URL(url).port || 5432}/${database}`);
      expect(dry.output).toContain(`pending    ${tags.join(', ')}`);
      expect(dry.output).not.toContain('[4] Workers'); // --only migrations
      expect(dry.output).not.toContain(PASSWORD);
      expect(await tables()).not.toContain('drizzle.__drizzle_migrations');

      const real = deploy(['deploy:staging', '--', '--only', 'migrations'], { DATABASE_URL: url });
      expect(real.status, real.output).toBe(0);
      expect(real.output).toContain(`✔ applied  ${tags.join(', ')}`);
      expect(real.output).toContain('✔ Deployed');
      expect(real.output).not.toContain(PASSWORD);
      const applied = await query('SELECT hash FROM drizzle.__drizzle_migrations');
      expect(applied).toHaveLength(tags.length);
      expect(await tables()).toEqual(expect.arrayContaining(['public.users', 'public.content', 'public.purchases']));

      // Applied migrations are not pending any more: a second run has nothing to do.
      const again = deploy(['deploy:staging', '--', '--dry-run', '--only', 'migrations'], { DATABASE_URL: url });
      expect(again.status, again.output).toBe(0);
      expect(again.output).toContain('pending    none (up to date)');
    },
    TIMEOUT,
  );
});
