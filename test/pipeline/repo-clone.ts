/**
 * A clone of this repository, as a user would have it: `git clone`, then the working tree's uncommitted changes (if
 * any) committed on top, so tests exercise what is on disk. node_modules is a link to this checkout's (installing
 * takes minutes); it is git-excluded in the clone, so the clone's tree is clean.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface RepoClone {
  dir: string;
  git(...args: string[]): string;
  /** Runs a command in the clone; stdin closed, output collected. */
  run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { status: number; output: string };
  remove(): void;
}

const gitIn = (cwd: string, args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).trim();

export function cloneRepository(prefix = 'clone-'): RepoClone {
  // Under the checkout's git-ignored .tmp/: same file system, and never inside another repository's tree.
  mkdirSync(join(REPO_ROOT, '.tmp'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.tmp', prefix));
  execFileSync('git', ['clone', '--quiet', REPO_ROOT, dir]);
  const git = (...args: string[]) => gitIn(dir, args);
  git('config', 'user.email', 'ci@codex.test');
  git('config', 'user.name', 'Codex CI');
  git('config', 'commit.gpgsign', 'false');

  // The working tree's changes, committed in the clone.
  // Untrimmed: a patch's last line may be a context line of a blank line (a single space).
  const diff = execFileSync('git', ['diff', 'HEAD', '--binary'], { cwd: REPO_ROOT, maxBuffer: 256 * 1024 * 1024 });
  if (diff.length) execFileSync('git', ['apply', '--binary', '--whitespace=nowarn', '-'], { cwd: dir, input: diff });
  const untracked = gitIn(REPO_ROOT, ['ls-files', '--others', '--exclude-standard', '-z']).split('\0').filter(Boolean);
  for (const file of untracked) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(REPO_ROOT, file), join(dir, file));
  }
  if (git('status', '--porcelain')) {
    git('add', '-A');
    git('commit', '--quiet', '--no-verify', '-m', 'working tree of the checkout under test');
  }

  symlinkSync(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  writeFileSync(join(dir, '.git', 'info', 'exclude'), 'node_modules\n');
  // What `npm ci` would run after installing (the postinstall script: the self-hosted docs bundle in assets/).
  execFileSync(process.execPath, ['scripts/prepare-assets.mjs'], { cwd: dir, stdio: 'ignore' });

  return {
    dir,
    git,
    run(cmd, args, env = process.env) {
      const r = spawnSync(cmd, args, { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      return { status: r.status ?? 1, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
