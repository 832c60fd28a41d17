/**
 * Deploys the whole API from the repository root, as the product spec says:
 *
 *   npm run deploy:staging [-- --dry-run] [--only migrations,workers,docs]
 *   npm run deploy:prod    [-- --dry-run] [--only migrations,workers,docs]
 *
 * In this order, stopping at the first failure:
 *   1. gates: a clean working tree (a deploy is a commit) and the contract checks CI runs
 *      (`.ci/run contract-drift breaking-changes`: generated files current, no breaking change without a major bump);
 *      for production, staging must already run this commit (its published manifest says so);
 *      a real run also refuses placeholder resource ids, missing Worker secrets, a missing DATABASE_URL and an
 *      unauthenticated wrangler, before anything changes;
 *   2. bundles: every worker built with `wrangler deploy --dry-run --outdir dist/deploy/<env>/<worker>` (sizes);
 *   3. migrations: `drizzle-kit migrate` on the environment's database (DATABASE_URL from the environment, never
 *      printed) — migrations must keep the running workers working (add first, remove in a later release);
 *   4. workers in dependency order (a worker after every worker it binds to: auth before the service bindings to it,
 *      a Durable Object host before the workers using its classes): `wrangler deploy --env <env>` in workers/<name>;
 *   5. the contract (openapi/codex.yaml), its release notes (`npm run contract:diff -- <previous version> --markdown`:
 *      the changes since the previous version) and the static docs (all of generated/docs), to the environment's docs bucket in R2 under v<version>/ and latest/, with a manifest
 *      (version, commit) that a production deploy checks against staging;
 *   6. a smoke check: GET /health on every worker's host answers 200.
 *
 * `--dry-run` needs neither a Cloudflare account nor a database: it runs the gates, builds every bundle and the docs
 * folder, and prints the plan (each step, its commands, worker names, routes, bindings, required secrets, the
 * pending migrations when DATABASE_URL is given, the docs version). The real run executes that same plan.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import pg from 'pg';
import {
  type BundleRow,
  bundleTable,
  bundleWorker,
  deployOrder,
  listWorkers,
  ROOT,
  type RunOptions,
  readWorkerConfig,
  runCommand as runUnmasked,
  type WorkerConfig,
  WRANGLER,
  WRANGLER_ENV,
} from './lib/wrangler';

// ---------------------------------------------------------------------------------------------------------------------
// Environments
// ---------------------------------------------------------------------------------------------------------------------

interface Target {
  /** The wrangler environment (`env.<name>` in every wrangler.jsonc). */
  wranglerEnv: string;
  /** R2 bucket the contract, release notes and static docs are published to (public through `docsHost`). */
  docsBucket: string;
  docsHost: string;
  /** An environment that must already run the commit being deployed. */
  requires?: string;
}

export const TARGETS: Record<string, Target> = {
  staging: { wranglerEnv: 'staging', docsBucket: 'codex-docs-staging', docsHost: 'docs-staging.revelations.studio' },
  production: {
    wranglerEnv: 'production',
    docsBucket: 'codex-docs',
    docsHost: 'docs.revelations.studio',
    requires: 'staging',
  },
};

const STEPS = ['migrations', 'workers', 'docs'] as const;
type StepName = (typeof STEPS)[number];

const PLACEHOLDER = /^(REPLACE_WITH|<)/;

/** This version's changes since the previous one (the gate's markdown report); the docs may hold a full changelog. */
const RELEASE_NOTES = 'release-notes.md';

const CONTENT_TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  json: 'application/json',
  yaml: 'application/yaml',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};
const contentType = (file: string) => CONTENT_TYPES[file.split('.').pop() ?? ''] ?? 'application/octet-stream';

/** The name a binding's resource gets in an environment: AUTH_SESSION_KV → codex-auth-session(-staging). */
function resourceName(binding: string, target: string): string {
  const base = binding
    .replace(/_(KV|HYPERDRIVE)$/, '')
    .toLowerCase()
    .replace(/_/g, '-');
  return `codex-${base}${target === 'production' ? '' : `-${target}`}`;
}

// ---------------------------------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------------------------------

class Refusal extends Error {}

const out = (text = '') => process.stdout.write(`${mask(text)}\n`);
const indent = (text: string, by = '    ') =>
  text
    .split('\n')
    .map((l) => (l ? by + l : l))
    .join('\n');

/** Hides the database URL and its password wherever they might appear (tool output included). */
function masker(databaseUrl: string | undefined): (text: string) => string {
  if (!databaseUrl) return (t) => t;
  const secrets = [databaseUrl];
  try {
    const u = new URL(databaseUrl);
    if (u.password) secrets.push(u.password, decodeURIComponent(u.password));
  } catch {
    // not a URL: the whole value is the secret
  }
  const list = [...new Set(secrets)].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
  return (text) => list.reduce((t, s) => t.split(s).join('***'), text);
}

/** What is safe to show of a database URL: host and database name. */
function describeDatabase(databaseUrl: string): string {
  try {
    const u = new URL(databaseUrl);
    return `${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
  } catch {
    return '(unparseable DATABASE_URL)';
  }
}

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

function gitOk(args: string[]): string | null {
  try {
    return git(args);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------------------------------------

interface Options {
  target: string;
  dryRun: boolean;
  only: Set<StepName>;
}

const USAGE = `usage: npm run deploy:staging|deploy:prod -- [--dry-run] [--only ${STEPS.join(',')}]
  --dry-run   build everything and print the plan; change nothing (no Cloudflare account or database needed)
  --only      run only these steps (the gates always run), e.g. --only migrations`;

function parseArgs(argv: string[]): Options {
  const [target, ...rest] = argv;
  if (!target || !(target in TARGETS)) throw new Refusal(`unknown environment "${target ?? ''}"\n${USAGE}`);
  let dryRun = false;
  let only = new Set<StepName>(STEPS);
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a === '--dry-run') dryRun = true;
    else if (a === '--only' || a.startsWith('--only=')) {
      const value = a === '--only' ? rest[++i] : a.slice('--only='.length);
      const names = (value ?? '').split(',').filter(Boolean);
      const unknown = names.filter((n) => !STEPS.includes(n as StepName));
      if (!names.length || unknown.length)
        throw new Refusal(`--only takes ${STEPS.join(', ')} (got "${value ?? ''}")\n${USAGE}`);
      only = new Set(names as StepName[]);
    } else if (a === '--help' || a === '-h') {
      out(USAGE);
      process.exit(0);
    } else throw new Refusal(`unknown option "${a}"\n${USAGE}`);
  }
  return { target, dryRun, only };
}

// ---------------------------------------------------------------------------------------------------------------------
// Contract version and release-notes base
// ---------------------------------------------------------------------------------------------------------------------

const VERSION_FILE = 'openapi/contract-version.json';

function versionAt(commit: string | null): string | null {
  const text = gitOk(['show', `${commit ?? 'HEAD'}:${VERSION_FILE}`]);
  if (text === null) return null;
  try {
    return (JSON.parse(text) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/**
 * The last commit of the previous contract version: the parent of the commit that introduced the current version.
 * The release notes of a version are the diff from there. Null when this is the first version with a contract.
 */
function previousVersionBase(current: string): { commit: string; version: string } | null {
  const commits = (gitOk(['log', '--format=%H', '--', VERSION_FILE]) ?? '').split('\n').filter(Boolean);
  let introducing: string | null = null;
  for (const c of commits) {
    if (versionAt(c) !== current) break;
    introducing = c;
  }
  if (!introducing) return null;
  const parent = gitOk(['rev-parse', '--verify', '-q', `${introducing}^`]);
  if (!parent || gitOk(['cat-file', '-e', `${parent}:openapi/codex.yaml`]) === null) return null;
  return { commit: parent, version: versionAt(parent) ?? 'unversioned' };
}

// ---------------------------------------------------------------------------------------------------------------------
// Database
// ---------------------------------------------------------------------------------------------------------------------

interface JournalEntry {
  tag: string;
  when: number;
}

function journal(): JournalEntry[] {
  const file = join(ROOT, 'migrations', 'meta', '_journal.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { entries: JournalEntry[] }).entries;
}

/**
 * Migrations the database has not applied, by drizzle's own rule: every journal entry newer than the latest row of
 * drizzle.__drizzle_migrations (drizzle-kit migrate and drizzle-orm's migrator share that table). Read-only.
 */
async function pendingMigrations(databaseUrl: string): Promise<JournalEntry[]> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 15_000 });
  await client.connect();
  try {
    let last = 0;
    try {
      const r = await client.query<{ created_at: string }>(
        'SELECT created_at FROM drizzle.__drizzle_migrations ORDER BY created_at DESC LIMIT 1',
      );
      last = Number(r.rows[0]?.created_at ?? 0);
    } catch (e) {
      // 42P01 undefined_table, 3F000 invalid_schema_name: nothing applied yet.
      const code = (e as { code?: string }).code;
      if (code !== '42P01' && code !== '3F000') throw e;
    }
    return journal().filter((m) => m.when > last);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Plan
// ---------------------------------------------------------------------------------------------------------------------

interface Command {
  cwd: string;
  argv: string[];
}

const show = (c: Command) => {
  const [cmd, ...args] = c.argv;
  const name = cmd === WRANGLER ? 'wrangler' : relative(ROOT, cmd ?? '') || cmd;
  const where = relative(ROOT, c.cwd);
  const quoted = args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`));
  return `${[name, ...quoted].join(' ')}${where ? `   (in ${where})` : ''}`;
};

function describeWorker(w: WorkerConfig, position: Map<string, number>): string[] {
  const lines: string[] = [];
  const row = (label: string, value: string) => lines.push(`${label.padEnd(10)}${value}`);
  const flag = (id: string) => (PLACEHOLDER.test(id) ? '   ⚠ placeholder (see the end)' : '');
  row(
    'routes',
    w.routes.length
      ? w.routes.map((r) => `https://${r.pattern}${r.custom_domain ? ' (custom domain)' : ''}`).join(', ')
      : 'none (workers.dev only)',
  );
  row(
    'vars',
    Object.entries(w.vars)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(', ') || 'none',
  );
  for (const k of w.kv) row('kv', `${k.binding} → ${k.id}${flag(k.id)}`);
  for (const b of w.r2) row('r2', `${b.binding} → bucket ${b.bucket_name}`);
  for (const h of w.hyperdrive) row('hyperdrive', `${h.binding} → ${h.id}${flag(h.id)}`);
  for (const s of w.services) {
    const n = position.get(s.service);
    row('service', `${s.binding} → ${s.service}${n ? ` (step ${n} above)` : '   ⚠ not deployed by this script'}`);
  }
  for (const d of w.durableObjects) {
    const host = d.script_name ?? w.name;
    row('durable', `${d.name} → class ${d.class_name} in ${host === w.name ? 'this worker' : host}`);
  }
  if (w.doMigrations.length) {
    const migrations = w.doMigrations.map(({ tag, ...changes }) => {
      const what = Object.entries(changes).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
      return `${tag}: ${what.join(', ')}`;
    });
    row('do-migr.', `${migrations.join('; ')} (applied by wrangler deploy, by tag)`);
  }
  row('secrets', w.secrets.length ? `${w.secrets.join(', ')} (required; checked before deploying)` : 'none declared');
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------------------

const mask = masker(process.env.DATABASE_URL || undefined);
/** Every child's output goes through the mask, whatever it prints. */
const runCommand = (cmd: string, args: string[], options: RunOptions) =>
  runUnmasked(cmd, args, { filter: mask, ...options });

async function main() {
  const started = performance.now();
  const options = parseArgs(process.argv.slice(2));
  const target = TARGETS[options.target] as Target;
  const env = target.wranglerEnv;
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const run = options.only;
  // Children never see DATABASE_URL unless they need it (drizzle-kit).
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...WRANGLER_ENV };
  delete childEnv.DATABASE_URL;

  const head = git(['rev-parse', 'HEAD']);
  const subject = git(['log', '-1', '--format=%s']);
  const branch = gitOk(['symbolic-ref', '--short', '-q', 'HEAD']) ?? '(detached)';
  const version = versionAt('HEAD');
  if (!version) throw new Refusal(`no contract version at HEAD (${VERSION_FILE})`);
  const outRoot = join(ROOT, 'dist', 'deploy', options.target);

  out(
    `Codex deploy → ${options.target}${options.dryRun ? '   DRY RUN: builds and prints the plan, changes nothing' : ''}`,
  );
  out(`  commit     ${head.slice(0, 12)} ${subject} (${branch})`);
  out(`  contract   ${version}`);
  out(
    `  steps      gates, ${run.has('workers') ? 'bundles, ' : ''}${[...run].join(', ')}${run.has('workers') ? ', smoke check' : ''}`,
  );

  // ── 1. Gates ─────────────────────────────────────────────────────────────────────────────────────────────────────
  out('\n[1] Gates');
  const dirty = git(['status', '--porcelain', '--untracked-files=normal']);
  if (dirty) {
    const files = dirty.split('\n');
    throw new Refusal(
      `the working tree has uncommitted changes (${files.length} path${files.length > 1 ? 's' : ''}):\n${indent(files.slice(0, 20).join('\n'))}${files.length > 20 ? '\n    …' : ''}\n  A deploy ships a commit: commit or stash them first.`,
    );
  }
  out('  ✔ working tree clean');

  const configs = await Promise.all(listWorkers().map((dir) => readWorkerConfig(dir, env)));
  const workers = deployOrder(configs);
  const position = new Map(workers.map((w, i) => [w.name, i + 1]));

  // What a real deploy would refuse (local facts, checked first); the dry run lists it at the end.
  const problems: string[] = [];
  if (run.has('workers')) {
    // One line per placeholder id (the workers share their namespaces), with the command that creates it.
    const placeholders = new Map<string, { what: string; create: string; dirs: string[] }>();
    for (const w of workers) {
      const found = [
        ...w.kv.map((k) => ({
          id: k.id,
          what: `KV ${k.binding}`,
          create: `npx wrangler kv namespace create ${resourceName(k.binding, options.target)}`,
        })),
        ...w.hyperdrive.map((h) => ({
          id: h.id,
          what: `Hyperdrive ${h.binding}`,
          create: `npx wrangler hyperdrive create ${resourceName(h.binding, options.target)} --connection-string="$DATABASE_URL"`,
        })),
      ];
      for (const f of found.filter((x) => PLACEHOLDER.test(x.id))) {
        const entry = placeholders.get(f.id) ?? { what: f.what, create: f.create, dirs: [] };
        entry.dirs.push(w.dir);
        placeholders.set(f.id, entry);
      }
    }
    for (const [id, p] of placeholders)
      problems.push(
        `${id}: ${p.what} of ${p.dirs.join(', ')}\n  → ${p.create}, then put its id in their wrangler.jsonc`,
      );
  }
  if (run.has('migrations') && !databaseUrl)
    problems.push(`DATABASE_URL is not set: the ${options.target} database's URL is needed to apply migrations`);

  if (!options.dryRun) {
    if (problems.length)
      throw new Refusal(
        `not ready to deploy to ${options.target}:\n${indent(problems.join('\n'))}\n  The README's Deploy section lists what to create.`,
      );
  }

  out('  … contract checks, as CI runs them: .ci/run contract-drift breaking-changes');
  const gateEnv = { ...childEnv };
  // The nested .ci/run must not write into a surrounding CI job's reports.
  delete gateEnv.GITHUB_STEP_SUMMARY;
  delete gateEnv.CI_CONTRACT_REPORT;
  const t0 = performance.now();
  const gate = await runCommand('bash', [join(ROOT, '.ci/run'), 'contract-drift', 'breaking-changes'], {
    cwd: ROOT,
    env: gateEnv,
  });
  if (gate.code !== 0) {
    out(indent(gate.output.trimEnd()));
    throw new Refusal('the contract check failed (output above): fix it, commit, and deploy again.');
  }
  const gateLines = gate.output.split('\n');
  const verdict = gateLines.filter((l) => /^(Base:|Contract diff|✔|•)/.test(l.trim()));
  out(indent(verdict.join('\n')));
  out(`  ✔ contract current, no unreleased breaking change (${((performance.now() - t0) / 1000).toFixed(1)} s)`);

  if (target.requires) {
    const requiredBucket = (TARGETS[target.requires] as Target).docsBucket;
    const cmd: Command = {
      cwd: ROOT,
      argv: [WRANGLER, 'r2', 'object', 'get', `${requiredBucket}/latest/manifest.json`, '--remote', '--pipe'],
    };
    if (options.dryRun) out(`  … would check that ${target.requires} runs ${head.slice(0, 12)}: ${show(cmd)}`);
    else {
      const r = await runCommand(cmd.argv[0] as string, cmd.argv.slice(1), { cwd: cmd.cwd, env: childEnv });
      let deployed: string | undefined;
      try {
        deployed = (JSON.parse(r.output.slice(r.output.indexOf('{'))) as { commit?: string }).commit;
      } catch {
        deployed = undefined;
      }
      if (r.code !== 0 || deployed !== head)
        throw new Refusal(
          `${target.requires} does not run this commit (its manifest says ${deployed ?? 'nothing readable'}; this is ${head.slice(0, 12)}). Deploy to ${target.requires} first and verify it there.`,
        );
      out(`  ✔ ${target.requires} runs ${head.slice(0, 12)}`);
    }
  }

  if (!options.dryRun) {
    if (run.has('workers') || run.has('docs')) {
      const who = await runCommand(WRANGLER, ['whoami'], { cwd: ROOT, env: childEnv });
      if (who.code !== 0 || /not authenticated/i.test(who.output))
        throw new Refusal(
          'wrangler is not authenticated: set CLOUDFLARE_API_TOKEN (and CLOUDFLARE_ACCOUNT_ID), or run `npx wrangler login`.',
        );
      out('  ✔ wrangler authenticated');
    }
    if (run.has('workers')) {
      const missing: string[] = [];
      for (const w of workers) {
        if (!w.secrets.length) continue;
        const r = await runCommand(WRANGLER, ['secret', 'list', '--env', env, '--format', 'json'], {
          cwd: join(ROOT, 'workers', w.dir),
          env: childEnv,
        });
        let present: string[] = [];
        if (r.code === 0)
          present = (JSON.parse(r.output.slice(r.output.indexOf('['))) as Array<{ name: string }>).map((s) => s.name);
        else if (!/not found|does not exist|10007/i.test(r.output))
          throw new Refusal(`cannot list the secrets of ${w.name}:\n${indent(r.output.trim())}`);
        // else: the Worker does not exist yet, so no secret is set (`wrangler secret put` creates it)
        for (const s of w.secrets.filter((name) => !present.includes(name)))
          missing.push(`${w.name}: ${s}   → cd workers/${w.dir} && npx wrangler secret put ${s} --env ${env}`);
      }
      if (missing.length) throw new Refusal(`required secrets are missing:\n${indent(missing.join('\n'))}`);
      out('  ✔ every required secret is set');
    }
  }

  // ── 2. Bundles ───────────────────────────────────────────────────────────────────────────────────────────────────
  // Every worker must build before anything changes.
  if (run.has('workers')) {
    out(`\n[2] Bundles: wrangler deploy --dry-run --env ${env} --outdir ${relative(ROOT, outRoot)}/<worker>`);
    const rows: BundleRow[] = [];
    for (const w of workers) rows.push(await bundleWorker(w.dir, env, join(outRoot, w.dir)));
    out(bundleTable(rows, '  '));
  }

  // ── 3. Migrations ────────────────────────────────────────────────────────────────────────────────────────────────
  const all = journal();
  const migrate: Command = { cwd: ROOT, argv: [join(ROOT, 'node_modules', '.bin', 'drizzle-kit'), 'migrate'] };
  if (run.has('migrations')) {
    out(`\n[3] Database migrations: drizzle-kit migrate with DATABASE_URL (${all.length} in migrations/)`);
    out(`  command    DATABASE_URL=<secret> ${show(migrate)}`);
    if (!databaseUrl) out('  target     DATABASE_URL not given: pending migrations unknown (set it to list them)');
    else {
      out(`  target     ${describeDatabase(databaseUrl)}`);
      let pending: JournalEntry[];
      try {
        pending = await pendingMigrations(databaseUrl);
      } catch (e) {
        throw new Refusal(`cannot read the migrations of the target database: ${mask((e as Error).message)}`);
      }
      out(`  pending    ${pending.length ? pending.map((m) => m.tag).join(', ') : 'none (up to date)'}`);
      if (!options.dryRun && pending.length) {
        const r = await runCommand(migrate.argv[0] as string, migrate.argv.slice(1), {
          cwd: ROOT,
          env: { ...childEnv, DATABASE_URL: databaseUrl },
          filter: mask,
        });
        if (r.code !== 0) {
          out(indent(r.output.trimEnd()));
          throw new Error(`drizzle-kit migrate failed (exit ${r.code}); nothing was deployed`);
        }
        const left = await pendingMigrations(databaseUrl);
        if (left.length)
          throw new Error(`migrations still pending after drizzle-kit migrate: ${left.map((m) => m.tag)}`);
        out(`  ✔ applied  ${pending.map((m) => m.tag).join(', ')}`);
      }
    }
  }

  // ── 4. Workers ───────────────────────────────────────────────────────────────────────────────────────────────────
  if (run.has('workers')) {
    out(`\n[4] Workers, in dependency order: ${workers.map((w) => w.name).join(' → ')}`);
    for (const [i, w] of workers.entries()) {
      const deploy: Command = {
        cwd: join(ROOT, 'workers', w.dir),
        argv: [
          WRANGLER,
          'deploy',
          '--env',
          env,
          '--tag',
          head.slice(0, 12),
          '--message',
          `contract ${version}: ${subject}`.slice(0, 100),
        ],
      };
      out(`  ${i + 1}. ${w.name}   (workers/${w.dir})`);
      out(indent(describeWorker(w, position).join('\n'), '       '));
      out(`       command   ${show(deploy)}`);
      if (!options.dryRun) {
        const r = await runCommand(deploy.argv[0] as string, deploy.argv.slice(1), {
          cwd: deploy.cwd,
          env: childEnv,
          echo: true,
        });
        if (r.code !== 0)
          throw new Error(
            `wrangler deploy failed for ${w.name} (exit ${r.code}); ${
              i
                ? `deployed before it: ${workers
                    .slice(0, i)
                    .map((x) => x.name)
                    .join(', ')}`
                : 'nothing was deployed'
            }`,
          );
        out(`       ✔ deployed`);
      }
    }
  }

  // ── 5. Contract, release notes, docs ───────────────────────────────────────────────────────────────────────────
  if (run.has('docs')) {
    const docsDir = join(outRoot, 'docs');
    rmSync(docsDir, { recursive: true, force: true });
    mkdirSync(docsDir, { recursive: true });
    const base = previousVersionBase(version);
    const notes = join(docsDir, RELEASE_NOTES);
    const diffCmd: Command = base
      ? { cwd: ROOT, argv: ['npm', 'run', '--silent', 'contract:diff', '--', base.commit, '--markdown', notes] }
      : { cwd: ROOT, argv: [] };
    out(
      `\n[5] Contract ${version}, release notes and docs → R2 bucket ${target.docsBucket} (https://${target.docsHost})`,
    );
    if (base) {
      out(`  notes      changes since ${base.version} (${base.commit.slice(0, 12)}): ${show(diffCmd)}`);
      const r = await runCommand('npm', diffCmd.argv.slice(1), { cwd: ROOT, env: childEnv });
      if (!existsSync(notes))
        throw new Error(`contract:diff wrote no release notes (exit ${r.code}):\n${indent(r.output.trimEnd())}`);
      const body = readFileSync(notes, 'utf8');
      writeFileSync(
        notes,
        `# Codex API contract ${version}\n\nChanges since ${base.version} (commit ${base.commit.slice(0, 12)}).\n\n${body}`,
      );
    } else {
      out('  notes      first published version: nothing to compare with');
      writeFileSync(notes, `# Codex API contract ${version}\n\nFirst published version of the contract.\n`);
    }
    copyFileSync(join(ROOT, 'openapi', 'codex.yaml'), join(docsDir, 'codex.yaml'));
    // The static docs as `npm run contract` generates them (index.html and whatever it links to), all of it.
    // Files in sub-folders too (guides/), as paths relative to generated/docs.
    const generatedRoot = join(ROOT, 'generated', 'docs');
    const generatedDocs = readdirSync(generatedRoot, { recursive: true, encoding: 'utf8' })
      .filter((f) => f !== RELEASE_NOTES && statSync(join(generatedRoot, f)).isFile())
      .sort();
    for (const f of generatedDocs) {
      mkdirSync(dirname(join(docsDir, f)), { recursive: true });
      copyFileSync(join(generatedRoot, f), join(docsDir, f));
    }
    const manifest = {
      version,
      environment: options.target,
      commit: head,
      committedAt: git(['log', '-1', '--format=%cI']),
      notesBase: base?.commit ?? null,
      workers: workers.map((w) => w.name),
    };
    writeFileSync(join(docsDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

    const files: Array<[string, string]> = [
      ['codex.yaml', 'application/yaml'],
      ...generatedDocs.map((f): [string, string] => [f, contentType(f)]),
      [RELEASE_NOTES, 'text/markdown; charset=utf-8'],
      // Last: a manifest names a complete set of files (production's staging check reads it).
      ['manifest.json', 'application/json'],
    ];
    const uploads: Command[] = [];
    for (const prefix of [`v${version}`, 'latest'])
      for (const [file, type] of files)
        uploads.push({
          cwd: ROOT,
          argv: [
            WRANGLER,
            'r2',
            'object',
            'put',
            `${target.docsBucket}/${prefix}/${file}`,
            '--file',
            relative(ROOT, join(docsDir, file)),
            '--content-type',
            type,
            '--cache-control',
            'public, max-age=300',
            '--remote',
          ],
        });
    out(`  files      ${relative(ROOT, docsDir)}/{${files.map(([f]) => f).join(',')}}`);
    out(`  urls       https://${target.docsHost}/v${version}/index.html (and /latest/)`);
    for (const u of uploads) {
      out(`  command    ${show(u)}`);
      if (!options.dryRun) {
        const r = await runCommand(u.argv[0] as string, u.argv.slice(1), { cwd: u.cwd, env: childEnv });
        if (r.code !== 0) throw new Error(`upload failed (exit ${r.code}):\n${indent(r.output.trimEnd())}`);
      }
    }
    if (!options.dryRun) out('  ✔ published');
  }

  // ── 6. Smoke check ───────────────────────────────────────────────────────────────────────────────────────────────
  if (run.has('workers')) {
    const hosts = workers.flatMap((w) =>
      w.routes.slice(0, 1).map((r) => `https://${r.pattern.replace(/\/\*$/, '')}/health`),
    );
    out(`\n[6] Smoke check: GET ${hosts.length ? hosts.join(', ') : '(no routes)'} → 200 (retried for up to 60 s)`);
    if (!options.dryRun) {
      for (const url of hosts) {
        let status = 0;
        for (let attempt = 0; attempt < 12 && status !== 200; attempt++) {
          if (attempt) await new Promise((r) => setTimeout(r, 5_000));
          status = await fetch(url).then(
            (r) => r.status,
            () => 0,
          );
        }
        if (status !== 200) throw new Error(`${url} answered ${status || 'nothing'} after the deploy`);
        out(`  ✔ ${url}`);
      }
    }
  }

  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (options.dryRun) {
    if (problems.length)
      out(`\n⚠ A real deploy to ${options.target} would refuse until:\n${indent(problems.join('\n'), '  ')}`);
    out(`\nDry run complete in ${seconds} s: nothing was deployed, migrated or uploaded.`);
  } else out(`\n✔ Deployed ${head.slice(0, 12)} (contract ${version}) to ${options.target} in ${seconds} s.`);
}

main().catch((e) => {
  if (e instanceof Refusal) {
    console.error(mask(`\n✖ Refusing to deploy: ${e.message}`));
    process.exit(2);
  }
  console.error(mask(`\n✖ Deploy failed: ${e instanceof Error ? e.message : e}`));
  process.exit(1);
});
