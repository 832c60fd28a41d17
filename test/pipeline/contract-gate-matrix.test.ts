/**
 * The breaking-change gate against edits made in the code, run the way CI runs it: in a clone of this repository
 * (its own redocly.yaml and package.json), each edit of test/pipeline/contract-edits.ts is made, `npm run contract`
 * rebuilds the contract, and `npm run --silent contract:diff -- <base> --markdown <file>` (the command of .ci/run
 * and of the pull-request workflow) judges it. Breaking edits must fail with a line naming the operation and the
 * change; compatible edits must pass; a breaking edit passes only with a new major version.
 *
 * The edits run in CONTRACT_MATRIX_CONCURRENCY clones at once (default 2); CONTRACT_MATRIX_ONLY=<id>,<id> runs only
 * those rows (while updating recipes). The matrix uses no database: in the
 * PostgreSQL pass of CI (DATABASE_URL set) it would only repeat the embedded pass, so it runs once, there.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT_EDITS, type ContractEdit, type Replacement } from './contract-edits';
import { cloneRepository, git, type RepoClone, type Run } from './repo-clone';

const CONCURRENCY = Math.max(1, Number(process.env.CONTRACT_MATRIX_CONCURRENCY ?? 2));
const ONLY = process.env.CONTRACT_MATRIX_ONLY?.split(',').map((s) => s.trim());
const EDITS = ONLY ? CONTRACT_EDITS.filter((e) => ONLY.includes(e.id)) : CONTRACT_EDITS;
const SKIP = process.env.DATABASE_URL
  ? 'DATABASE_URL is set: the matrix uses no database and runs in the embedded (PGlite) pass only'
  : '';
if (SKIP) console.log(`contract gate matrix skipped: ${SKIP}`);

interface RowResult {
  gate?: Run;
  markdown?: string;
  /** The major-bump row: the changelog built with it, and contract:check once committed. */
  changelog?: string;
  check?: Run;
  /** A shallow clone cannot see the releases: the changelog is kept as committed. */
  shallow?: boolean;
  error?: string;
  ms: number;
}

const results = new Map<string, RowResult>();
const clones: RepoClone[] = [];
let base = '';

function apply(dir: string, edit: Replacement, id: string) {
  const file = join(dir, edit.file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`recipe "${id}": ${edit.file} does not exist (update test/pipeline/contract-edits.ts)`);
  }
  const count = text.split(edit.search).length - 1;
  if (count !== 1) {
    throw new Error(
      `recipe "${id}": the search text occurs ${count} times in ${edit.file}, expected exactly once ` +
        `(the code changed shape: update test/pipeline/contract-edits.ts):\n${edit.search}`,
    );
  }
  writeFileSync(
    file,
    text.replace(edit.search, () => edit.replace),
  );
}

function bumpVersion(dir: string, part: 'major' | 'minor') {
  const file = join(dir, 'openapi/contract-version.json');
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { version: string };
  const [major = 0, minor = 0] = doc.version.split('.').map(Number);
  doc.version = part === 'major' ? `${major + 1}.0.0` : `${major}.${minor + 1}.0`;
  writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  return doc.version;
}

async function runEdit(clone: RepoClone, edit: ContractEdit): Promise<RowResult> {
  const started = performance.now();
  const result: RowResult = { ms: 0 };
  try {
    for (const r of [edit, ...(edit.more ?? [])]) apply(clone.dir, r, edit.id);
    const version = edit.bump ? bumpVersion(clone.dir, edit.bump) : undefined;
    const built = await clone.npm(['run', 'contract']);
    if (built.status !== 0) throw new Error(`npm run contract failed after "${edit.id}":\n${built.out.slice(-4000)}`);
    const md = join(clone.scratch, `${edit.id.replace(/\W+/g, '-')}.md`);
    result.gate = await clone.npm(['run', '--silent', 'contract:diff', '--', base, '--markdown', md]);
    result.markdown = readFileSync(md, 'utf8');
    if (edit.bump === 'major' && version) {
      result.changelog = readFileSync(join(clone.dir, 'generated/docs/changelog.md'), 'utf8');
      result.shallow = git(clone.dir, 'rev-parse', '--is-shallow-repository').trim() === 'true';
      git(clone.dir, 'add', '-A');
      git(clone.dir, 'commit', '-q', '-m', `Release ${version}`);
      result.check = await clone.npm(['run', '--silent', 'contract:check']);
    }
  } catch (e) {
    result.error = e instanceof Error ? e.message : String(e);
  } finally {
    clone.reset(base);
    result.ms = performance.now() - started;
  }
  return result;
}

describe.skipIf(SKIP)(
  'contract:diff on edits made in the code (clone, npm run contract, npm run contract:diff)',
  () => {
    beforeAll(async () => {
      const first = cloneRepository();
      clones.push(first);
      // The base: the repository as it stands, its contract rebuilt by this very pipeline.
      const baseline = await first.npm(['run', 'contract']);
      if (baseline.status !== 0) throw new Error(`npm run contract failed in the clone:\n${baseline.out.slice(-4000)}`);
      if (git(first.dir, 'status', '--porcelain').trim()) {
        git(first.dir, 'add', '-A');
        git(first.dir, 'commit', '-q', '-m', 'Contract rebuilt');
      }
      base = git(first.dir, 'rev-parse', 'HEAD').trim();
      for (let i = 1; i < CONCURRENCY; i++) clones.push(cloneRepository(first.dir));

      const queue = [...EDITS];
      await Promise.all(
        clones.map(async (clone) => {
          for (let edit = queue.shift(); edit; edit = queue.shift()) results.set(edit.id, await runEdit(clone, edit));
        }),
      );
    }, 1_800_000);

    afterAll(() => {
      const rows = EDITS.map((e) => {
        const r = results.get(e.id);
        const got = r?.error ? 'ERROR' : r?.gate?.status === 0 ? 'PASS' : r?.gate?.status === 1 ? 'FAIL' : '?';
        return `  ${e.id.padEnd(40)} expected ${e.expect}  got ${got.padEnd(5)} ${((r?.ms ?? 0) / 1000).toFixed(1).padStart(5)} s`;
      });
      console.log(`Contract gate matrix (${CONCURRENCY} clone${CONCURRENCY > 1 ? 's' : ''}):\n${rows.join('\n')}`);
      for (const c of clones.splice(0)) c.remove();
    });

    it('has at least 15 breaking and 4 compatible edits, with unique names', () => {
      expect(new Set(CONTRACT_EDITS.map((e) => e.id)).size).toBe(CONTRACT_EDITS.length);
      expect(CONTRACT_EDITS.filter((e) => e.expect === 'FAIL' && !e.bump).length).toBeGreaterThanOrEqual(15);
      expect(CONTRACT_EDITS.filter((e) => e.expect === 'PASS' && !e.bump).length).toBeGreaterThanOrEqual(4);
    });

    it.each(EDITS.map((e) => [e.id, e] as const))('%s', (_id, edit) => {
      const r = results.get(edit.id);
      if (!r) throw new Error(`no result for "${edit.id}"`);
      if (r.error) throw new Error(r.error);
      const out = r.gate?.out ?? '';
      const [operationId, method, path] = edit.operation;
      const label = edit.line ?? (edit.expect === 'FAIL' ? 'BREAKING' : 'ok');
      const named = `${operationId} (${method} ${path})`;
      const lines = out.split('\n').filter((l) => l.trimStart().startsWith(`${label} `) && l.includes(named));
      // One readable line: the verdict, the operation (operationId, method, path) and what changed.
      expect(
        lines.some((l) => edit.says.test(l)),
        `no "${label}" line for ${named} matching ${edit.says}:\n${out}`,
      ).toBe(true);
      expect(r.markdown, 'the markdown report names the operation').toContain(`\`${operationId}\``);
      if (edit.expect === 'FAIL') {
        expect(r.gate?.status, out).toBe(1);
        expect(out).toMatch(/needs a new major version/);
        expect(r.markdown).toContain('| **no** |');
      } else {
        expect(r.gate?.status, out).toBe(0);
        expect(r.markdown).toContain('| yes |');
      }
      if (edit.expect === 'PASS' && !edit.bump) {
        expect(out, 'a compatible edit has no breaking line').not.toMatch(/^\s*BREAKING /m);
      }
      if (edit.bump === 'major') {
        expect(out).toMatch(/released as a new major version \(\d+\.\d+\.\d+ → \d+\.0\.0\)/);
        // The changelog gets the new version with its breaking change, and is stable once committed.
        expect(r.changelog).toMatch(/^## \d+\.0\.0 \(current\)$/m);
        expect(r.changelog).toContain(`- ${named} — operation removed`);
        expect(r.check?.status, r.check?.out).toBe(0);
      }
    });
  },
);
