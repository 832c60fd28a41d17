/**
 * Breaking-change gate: `npm run contract:diff -- [base-ref] [--markdown <file>]` (CI: `.ci/run`, on every run).
 *
 * Compares openapi/codex.yaml in the working tree with the same file at the base commit (scripts/contract/diff.ts:
 * `redocly diff` with this repository's redocly.yaml and its diff rules, both documents dereferenced so every
 * operation is rated in its own direction, plus the gate's own checks). Prints one line per change
 * (BREAKING / ok, the operation, what changed) and a verdict on the version bump, and exits 1 when there is a
 * breaking change and "version" in openapi/contract-version.json did not get a new major (then `npm run contract`).
 * Additions pass without a bump. A comparison that cannot be made (tool failure, diff rules not loaded) fails.
 * When openapi/codex.yaml is not what the code builds (edited without `npm run contract`, or by hand), the contract
 * the code builds is compared as well, and the worse verdict wins.
 *
 * Base: the first argument, else $BASE_REF, else origin/main, else HEAD when openapi/codex.yaml has uncommitted
 * changes, else HEAD~1 — taken as the merge base with HEAD when that exists, so commits that landed on the base branch
 * meanwhile are not reported as removals. No base commit, or no contract at the base: passes with a message.
 *
 * Options: --markdown <file> (a reviewer's report: job summary, pull-request comment), --head <file> (default
 * openapi/codex.yaml), --cwd <dir> (the repository; its redocly.yaml is the configuration).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildMergedContract, REPO_ROOT } from './contract';
import { type ContractDiff, ContractDiffSetupError, diffContracts } from './contract/diff';
import { renderMarkdown, renderText, type VersionVerdict, versionVerdict } from './contract/report';

export const CONTRACT = 'openapi/codex.yaml';

export interface GateResult {
  ok: boolean;
  /** What the CLI prints. */
  report: string;
  /** The reviewer's report (--markdown). */
  markdown: string;
  diff?: ContractDiff;
  verdict?: VersionVerdict;
}

function git(cwd: string, args: string[]) {
  return spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

function commitExists(cwd: string, ref: string) {
  return git(cwd, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).status === 0;
}

/**
 * The base commit to compare against, or null when there is none. Without a requested ref: the merge base with
 * origin/main; else HEAD when the contract has uncommitted changes (they are what is being checked); else HEAD~1.
 */
export function resolveBase(cwd: string, requested?: string): { ref: string; commit: string } | null {
  const dirty = () => git(cwd, ['diff', '--quiet', 'HEAD', '--', CONTRACT]).status === 1;
  const candidates = requested ? [requested] : ['origin/main', ...(dirty() ? ['HEAD'] : []), 'HEAD~1'];
  for (const ref of candidates) {
    if (!commitExists(cwd, ref)) continue;
    const mergeBase = git(cwd, ['merge-base', ref, 'HEAD']);
    const commit = mergeBase.status === 0 ? mergeBase.stdout.trim() : git(cwd, ['rev-parse', ref]).stdout.trim();
    return { ref, commit };
  }
  return null;
}

const note = (ok: boolean, text: string): GateResult => ({
  ok,
  report: text,
  markdown: `## Contract check\n\n${text}\n`,
});

export async function runGate(options: { cwd: string; baseRef?: string; headFile?: string }): Promise<GateResult> {
  const cwd = resolve(options.cwd);
  const headFile = options.headFile
    ? isAbsolute(options.headFile)
      ? options.headFile
      : join(cwd, options.headFile)
    : join(cwd, CONTRACT);
  if (!existsSync(headFile)) return note(false, `✖ No contract at ${headFile}: run \`npm run contract\` first.`);
  const config = join(cwd, 'redocly.yaml');
  if (!existsSync(config)) return note(false, `✖ No redocly.yaml in ${cwd}: the diff rules come from it.`);

  const base = resolveBase(cwd, options.baseRef);
  if (!base) {
    if (options.baseRef) {
      return note(false, `✖ Cannot check breaking changes: the base ref ${options.baseRef} does not exist.`);
    }
    return note(
      true,
      '✔ Nothing to compare against (no origin/main and no HEAD~1); skipping the breaking-change check.',
    );
  }
  const short = base.commit.slice(0, 12);
  const baseLabel = base.commit.startsWith(base.ref) ? short : `${base.ref} (${short})`;
  const shown = git(cwd, ['show', `${base.commit}:${CONTRACT}`]);
  if (shown.status !== 0) {
    return note(true, `✔ ${CONTRACT} does not exist at ${baseLabel}: first contract, nothing can break.`);
  }
  const tmp = mkdtempSync(join(tmpdir(), 'codex-gate-'));
  try {
    const baseFile = join(tmp, `base-${short}.yaml`);
    writeFileSync(baseFile, shown.stdout);
    const heads = [{ label: `${options.headFile ?? CONTRACT} (working tree)`, file: headFile }];
    // The contract the code builds is compared too when it differs from the file (an edit without
    // `npm run contract`): the worse verdict wins. Not with --head, nor for another repository (--cwd).
    if (!options.headFile && cwd === REPO_ROOT.replace(/\/$/, '')) {
      let built: string;
      try {
        built = await buildMergedContract();
      } catch (e) {
        return note(false, `✖ The contract could not be built from the code: ${e instanceof Error ? e.message : e}`);
      }
      if (built !== readFileSync(headFile, 'utf8')) {
        const file = join(tmp, 'built-from-code.yaml');
        writeFileSync(file, built);
        heads.push({ label: 'the contract the code builds (what `npm run contract` would write)', file });
      }
    }
    const judged = await Promise.all(
      heads.map(async (h) => {
        const diff = await diffContracts(baseFile, h.file, { cwd, config });
        return { ...h, diff, verdict: versionVerdict(diff) };
      }),
    );
    const baseMd = base.commit.startsWith(base.ref) ? `\`${short}\`` : `\`${base.ref}\` at ${short}`;
    const [first] = judged as [(typeof judged)[number]];
    const ok = judged.every((j) => j.verdict.ok);
    if (judged.length === 1) {
      return {
        ok,
        report: `Base: ${baseLabel}  Head: ${first.label}\n${renderText(first.diff, first.verdict)}`,
        markdown: renderMarkdown(first.diff, first.verdict, { base: baseMd }),
        diff: first.diff,
        verdict: first.verdict,
      };
    }
    const stale = `${CONTRACT} is not what the code builds: run \`npm run contract\` and commit it. Both were compared with the base.`;
    return {
      ok,
      report: [
        `Base: ${baseLabel}`,
        `⚠ ${stale}`,
        ...judged.map((j) => `\n── ${j.label}\n${renderText(j.diff, j.verdict)}`),
      ].join('\n'),
      markdown: [
        `## ${ok ? '✅' : '❌'} Contract check: ${ok ? 'passes' : 'fails'}`,
        '',
        `⚠️ ${stale}`,
        '',
        ...judged.map(
          (j) =>
            `### ${j.label}\n\n${renderMarkdown(j.diff, j.verdict, { base: baseMd }).replace(/^(#{2,3}) /gm, '$1## ')}`,
        ),
      ].join('\n'),
      diff: first.diff,
      verdict: first.verdict,
    };
  } catch (e) {
    if (e instanceof ContractDiffSetupError) return note(false, `✖ The contract could not be compared: ${e.message}`);
    throw e;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const VALUED = new Set(['--head', '--cwd', '--markdown']);

function argValue(args: string[], name: string) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const v = args[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`${name} needs a value`);
  return v;
}

async function main() {
  const args = process.argv.slice(2);
  for (const a of args) {
    if (a.startsWith('--') && !VALUED.has(a)) throw new Error(`unknown option ${a} (known: ${[...VALUED].join(', ')})`);
  }
  const positional = args.filter((a, i) => !a.startsWith('--') && !VALUED.has(args[i - 1] ?? ''));
  const baseRef = positional[0] ?? (process.env.BASE_REF || undefined);
  const cwd = argValue(args, '--cwd') ?? process.cwd();
  const markdownFile = argValue(args, '--markdown');
  const writeMarkdown = (markdown: string) => {
    if (!markdownFile) return;
    const target = resolve(process.env.INIT_CWD ?? process.cwd(), markdownFile); // npm run starts in the package root
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, markdown);
  };
  let result: GateResult;
  try {
    result = await runGate({ cwd, baseRef, headFile: argValue(args, '--head') });
  } catch (e) {
    writeMarkdown(`## ❌ The contract check failed\n\n${e instanceof Error ? e.message : String(e)}\n`);
    throw e;
  }
  (result.ok ? console.log : console.error)(result.report);
  writeMarkdown(result.markdown);
  process.exitCode = result.ok ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
