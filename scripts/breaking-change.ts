/**
 * Breaking-change gate (`npm run contract:diff [base-ref]`, CI on pull requests).
 *
 * Compares openapi/codex.yaml in the working tree with the same file at a base commit using
 * `redocly diff <base> <head> --check-version`, prints a readable report, and fails when the
 * change is breaking (major) and info.version (openapi/contract-version.json) did not get the
 * matching major bump. Additions (minor) without a bump pass with a reminder.
 *
 * Base: the first argument, else $BASE_REF, else origin/main, else HEAD~1 — taken as the merge
 * base with HEAD when that exists, so commits that landed on the base branch meanwhile are not
 * reported as removals. No base commit, or no contract at the base: passes with a message.
 *
 * Options: --head <file> (default openapi/codex.yaml), --cwd <dir> (the git repository).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runRedocly, stripRedoclyNoise } from './contract/tools';

export const CONTRACT = 'openapi/codex.yaml';

export interface DiffChange {
  impact: 'major' | 'minor' | 'patch';
  kind: string;
  path: string;
  verdicts?: Array<{ ruleId: string; impact: string; message: string }>;
}

export interface DiffReport {
  infoVersions: { base: string; revision: string };
  summary: { major: number; minor: number; patch: number };
  bump: 'major' | 'minor' | 'patch' | 'none' | string;
  changes: DiffChange[];
}

export interface GateResult {
  ok: boolean;
  /** Human-readable report (what the CLI prints). */
  report: string;
  diff?: DiffReport;
}

/** Compares two contract files. Pure with respect to git: used by the CLI and the tests. */
export async function compareContracts(baseFile: string, headFile: string, cwd = process.cwd()): Promise<GateResult> {
  const r = await runRedocly(['diff', baseFile, headFile, '--check-version', '--fail-on', 'none', '--format', 'json'], {
    cwd,
  });
  let diff: DiffReport;
  try {
    diff = JSON.parse(r.stdout) as DiffReport;
  } catch {
    return {
      ok: false,
      report: `redocly diff could not compare the contracts (exit ${r.status}):\n${stripRedoclyNoise(`${r.stdout}\n${r.stderr}`)}`,
    };
  }
  // With --fail-on none the exit status only reflects --check-version: 1 = info.version not bumped enough.
  const versionOk = r.status === 0;
  const versionMessage = stripRedoclyNoise(r.stderr)
    .split('\n')
    .filter((l) => /info\.version/.test(l))
    .join('\n')
    .replace(/^❌\s*/, '');

  const { base, revision } = diff.infoVersions;
  const lines: string[] = [
    `Contract diff ${base} → ${revision}: ${diff.summary.major} breaking (major), ${diff.summary.minor} minor, ${diff.summary.patch} patch.`,
  ];
  const order = { major: 0, minor: 1, patch: 2 } as Record<string, number>;
  for (const c of [...diff.changes].sort((a, b) => (order[a.impact] ?? 3) - (order[b.impact] ?? 3))) {
    const label = c.impact === 'major' ? 'BREAKING' : c.impact;
    const messages = (c.verdicts ?? []).map((v) => v.message).filter(Boolean);
    const where = c.path
      .replace(/^#\/?/, '')
      .split('/')
      .map((seg) => decodeURIComponent(seg.replace(/~1/g, '/').replace(/~0/g, '~')))
      .join(' › ');
    lines.push(`  ${label.padEnd(8)} ${c.kind.padEnd(8)} ${where}${messages.length ? ` — ${messages.join(' ')}` : ''}`);
  }

  let ok = true;
  if (diff.summary.major > 0 && !versionOk) {
    ok = false;
    lines.push(
      '',
      `✖ Breaking changes without a major version bump. ${versionMessage}`,
      '  Either keep the change compatible (add instead of change/remove; new request fields optional),',
      '  or bump "version" in openapi/contract-version.json to the next major and run `npm run contract`.',
    );
  } else if (diff.summary.major > 0) {
    lines.push('', `✔ Breaking changes, released as a new major version (${base} → ${revision}).`);
  } else if (!versionOk) {
    lines.push('', `✔ No breaking change. Note: ${versionMessage || 'consider bumping info.version'}`);
  } else {
    lines.push('', '✔ No breaking change.');
  }
  return { ok, report: lines.join('\n'), diff };
}

function git(cwd: string, args: string[]) {
  return spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function commitExists(cwd: string, ref: string) {
  return git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).status === 0;
}

/** The base commit to compare against, or null when there is none. */
export function resolveBase(cwd: string, requested?: string): { ref: string; commit: string } | null {
  const candidates = requested ? [requested] : ['origin/main', 'HEAD~1'];
  for (const ref of candidates) {
    if (!commitExists(cwd, ref)) continue;
    const mergeBase = git(cwd, ['merge-base', ref, 'HEAD']);
    const commit = mergeBase.status === 0 ? mergeBase.stdout.trim() : git(cwd, ['rev-parse', ref]).stdout.trim();
    return { ref, commit };
  }
  return null;
}

export async function runGate(options: { cwd: string; baseRef?: string; headFile?: string }): Promise<GateResult> {
  const { cwd } = options;
  const headFile = options.headFile
    ? isAbsolute(options.headFile)
      ? options.headFile
      : join(cwd, options.headFile)
    : join(cwd, CONTRACT);
  if (!existsSync(headFile))
    return { ok: false, report: `No contract at ${headFile}: run \`npm run contract\` first.` };

  const base = resolveBase(cwd, options.baseRef);
  if (!base) {
    const what = options.baseRef ? `the base ref ${options.baseRef} does not exist` : 'no origin/main and no HEAD~1';
    if (options.baseRef) return { ok: false, report: `✖ Cannot check breaking changes: ${what}.` };
    return { ok: true, report: `✔ Nothing to compare against (${what}); skipping the breaking-change check.` };
  }
  const shown = git(cwd, ['show', `${base.commit}:${CONTRACT}`]);
  if (shown.status !== 0) {
    return {
      ok: true,
      report: `✔ ${CONTRACT} does not exist at ${base.ref} (${base.commit.slice(0, 12)}): first contract, nothing can break.`,
    };
  }
  const tmp = mkdtempSync(join(tmpdir(), 'codex-diff-'));
  try {
    const baseFile = join(tmp, `base-${base.commit.slice(0, 12)}.yaml`);
    writeFileSync(baseFile, shown.stdout);
    const result = await compareContracts(baseFile, headFile, cwd);
    return {
      ...result,
      report: `Base: ${base.ref} (${base.commit.slice(0, 12)})  Head: ${options.headFile ?? CONTRACT} (working tree)\n${result.report}`,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function argValue(args: string[], name: string) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main() {
  const args = process.argv.slice(2);
  const valued = new Set(['--head', '--cwd', '--markdown']);
  const positional = args.filter((a, i) => !a.startsWith('--') && !valued.has(args[i - 1] ?? ''));
  const baseRef = positional[0] ?? (process.env.BASE_REF || undefined);
  const cwd = argValue(args, '--cwd') ?? process.cwd();
  const result = await runGate({ cwd, baseRef, headFile: argValue(args, '--head') });
  (result.ok ? console.log : console.error)(result.report);
  // Stand-in for the `--markdown <file>` report of the reworked gate (another branch): the text report, fenced.
  const markdown = argValue(args, '--markdown');
  if (markdown)
    writeFileSync(
      markdown,
      `## Contract changes\n\n${result.ok ? '✅ compatible, or released as a new major version' : '❌ breaking without a major version bump'}\n\n\`\`\`\n${result.report}\n\`\`\`\n`,
    );
  process.exitCode = result.ok ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
