/**
 * A throwaway clone of this repository, for tests that run the npm scripts the way CI does: in a fresh checkout,
 * with the repository's own configuration (redocly.yaml, package.json scripts), through `npm run`.
 *
 * - `git clone --shared` of the repository; uncommitted changes of the working tree (tracked and untracked, not
 *   ignored) are carried over and committed in the clone, so a test sees the code as it stands (in CI: the commit).
 * - node_modules: a folder of symlinks to the repository's installed packages, except the workspace links
 *   (node_modules/@codex/* → ../../packages/*), which are recreated relative to the clone. The clone therefore
 *   imports its own packages/* and workers/* — an edit made in the clone is what `npm run contract` builds — and the
 *   third-party packages once (one zod, one hono), from the original install.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

const GIT_IDENTITY = ['-c', 'user.email=contract-gate@test.invalid', '-c', 'user.name=Contract gate test'];

export interface Run {
  status: number | null;
  /** stdout and stderr, in that order. */
  out: string;
  ms: number;
}

/** The environment of a CI job: none of the variables `npm test` / vitest set for this process. */
function ciEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_UPDATE_NOTIFIER: '1', NO_COLOR: '1' };
  for (const key of Object.keys(env)) {
    if (/^(npm_|VITEST|TINYPOOL)/i.test(key) || ['INIT_CWD', 'BASE_REF', 'NODE_ENV'].includes(key)) delete env[key];
  }
  return env;
}

export function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', [...GIT_IDENTITY, ...args], { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')} (in ${cwd}) failed: ${r.stderr}`);
  return r.stdout;
}

export function run(cwd: string, command: string, args: string[], timeoutMs = 240_000): Promise<Run> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: ciEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, out: `${stdout}${stderr ? `\n${stderr}` : ''}`, ms: performance.now() - started });
    });
  });
}

/** Symlinks to the repository's node_modules; workspace links point into the clone. */
function linkNodeModules(clone: string) {
  const source = join(REPO_ROOT, 'node_modules');
  const target = join(clone, 'node_modules');
  const link = (from: string, to: string) => {
    for (const entry of readdirSync(from, { withFileTypes: true })) {
      if (entry.name === '.cache') continue; // tools write there: let the clone have its own
      const src = join(from, entry.name);
      const dst = join(to, entry.name);
      if (entry.isSymbolicLink()) {
        // A workspace package: keep the link relative (→ the clone's packages/ and workers/).
        let dest = readlinkSync(src);
        if (isAbsolute(dest) && dest.startsWith(`${REPO_ROOT}/`))
          dest = relative(to, join(clone, relative(REPO_ROOT, dest)));
        symlinkSync(dest, dst);
      } else if (entry.isDirectory() && entry.name.startsWith('@') && from === source) {
        mkdirSync(dst);
        link(src, dst);
      } else symlinkSync(src, dst);
    }
  };
  mkdirSync(target);
  link(source, target);
}

/** Carries the working tree's uncommitted changes over to the clone and commits them there. */
function carryWorkingTree(clone: string) {
  const patch = spawnSync('git', ['diff', 'HEAD', '--binary'], {
    cwd: REPO_ROOT,
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (patch.status !== 0) throw new Error(`git diff HEAD failed: ${patch.stderr}`);
  if (patch.stdout.length) {
    const file = join(clone, '.git', 'working-tree.patch');
    writeFileSync(file, patch.stdout);
    git(clone, 'apply', '--binary', '--whitespace=nowarn', file);
    rmSync(file);
  }
  const untracked = git(REPO_ROOT, 'ls-files', '--others', '--exclude-standard', '-z').split('\0').filter(Boolean);
  for (const rel of untracked) {
    if (lstatSync(join(REPO_ROOT, rel)).isSymbolicLink()) continue;
    mkdirSync(dirname(join(clone, rel)), { recursive: true });
    copyFileSync(join(REPO_ROOT, rel), join(clone, rel));
  }
  if (git(clone, 'status', '--porcelain').trim()) {
    git(clone, 'add', '-A');
    git(clone, 'commit', '-q', '--no-verify', '-m', 'Uncommitted changes of the working tree');
  }
}

export interface RepoClone {
  dir: string;
  /** A scratch folder beside the clone (reports), removed with it. */
  scratch: string;
  /** `npm <args>` in the clone. */
  npm(args: string[]): Promise<Run>;
  /** `git <args>` in the clone; its stdout, trimmed. */
  git(...args: string[]): string;
  /** Runs a command in the clone, synchronously; stdin closed, stdout and stderr collected. */
  run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { status: number; output: string };
  /** Back to `commit`: tracked files reset, untracked files (not ignored) removed. */
  reset(commit: string): void;
  remove(): void;
}

/**
 * Clones `from` (default: this repository, with its uncommitted changes) into a temporary folder with its own
 * node_modules links.
 */
export function cloneRepository(from: string = REPO_ROOT): RepoClone {
  const parent = mkdtempSync(join(tmpdir(), 'codex-clone-'));
  const dir = join(parent, 'repo');
  const scratch = join(parent, 'scratch');
  mkdirSync(scratch);
  const cloned = spawnSync('git', ['clone', '--quiet', '--shared', from, dir], { encoding: 'utf8' });
  if (cloned.status !== 0) throw new Error(`git clone ${from} failed: ${cloned.stderr}`);
  if (from === REPO_ROOT) carryWorkingTree(dir);
  linkNodeModules(dir);
  // What `npm ci` would run after installing (the postinstall script: the self-hosted docs bundle in assets/).
  spawnSync(process.execPath, ['scripts/prepare-assets.mjs'], { cwd: dir, stdio: 'ignore' });
  return {
    dir,
    scratch,
    npm: (args) => run(dir, 'npm', args),
    git: (...args) => git(dir, ...args).trim(),
    run(cmd, args, env = ciEnv()) {
      const r = spawnSync(cmd, args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { status: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
    },
    reset: (commit) => {
      git(dir, 'reset', '-q', '--hard', commit);
      git(dir, 'clean', '-fdq');
    },
    remove: () => rmSync(parent, { recursive: true, force: true }),
  };
}
