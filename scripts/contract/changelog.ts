/**
 * The contract's changelog, one entry per version (info.version of openapi/codex.yaml, set in
 * openapi/contract-version.json), built by `npm run contract` from the git history of openapi/codex.yaml and published
 * beside the docs: generated/docs/changelog.md, changelog.html and changelog.json (the same entries, for programs).
 *
 * A version's release is the first commit, on the first-parent history of HEAD, whose openapi/codex.yaml carries it;
 * a version not committed yet is released by the contract being built. Each entry after the first lists every change
 * between the previous release and this one (scripts/contract/diff.ts: breaking, additions, other). Changes that need
 * no bump (additions) can be published under the current version; the next version's entry lists them in full, and
 * the current version's entry names the operations added since its release.
 *
 * Deterministic: an entry depends only on the two releases it compares (no dates, no commit ids), so the file
 * `npm run contract:check` regenerates is the committed one. Comparisons are reused from the committed
 * changelog.json when both releases and the diff engine are unchanged, so a build runs `redocly diff` only for a
 * new version.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { HTTP_METHODS } from './canonical';
import { type ContractChange, diffContracts, isBreaking, type OperationRef, operationLabel } from './diff';
import { changeLine, requiredBump } from './report';

export const CHANGELOG_MD = 'generated/docs/changelog.md';
export const CHANGELOG_HTML = 'generated/docs/changelog.html';
export const CHANGELOG_JSON = 'generated/docs/changelog.json';
const CONTRACT = 'openapi/codex.yaml';

/** Bump when what an entry holds or how changes are described changes: every comparison is then made again. */
const FORMAT = 1;
const require = createRequire(import.meta.url);
const ENGINE = `redocly ${(require('@redocly/cli/package.json') as { version: string }).version}, format ${FORMAT}`;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface ChangelogEntry {
  version: string;
  /** sha256 of the released openapi/codex.yaml. */
  release: string;
  /** The version this one is compared with; absent for the first. */
  previous?: string;
  previousRelease?: string;
  /** Every change since the previous release (absent for the first version). */
  changes?: ContractChange[];
  /** The first version: its operations when released. */
  operations?: OperationRef[];
  /** The current version: operations added or removed since its release, without a version bump. */
  sinceRelease?: { added: OperationRef[]; removed: OperationRef[] };
}

export interface Changelog {
  $comment: string;
  engine: string;
  versions: ChangelogEntry[];
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function git(cwd: string, args: string[]) {
  return spawnSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
}

/** info.version of a generated codex.yaml (read without parsing the whole document). */
export function infoVersion(yaml: string): string | undefined {
  let inInfo = false;
  for (const line of yaml.split('\n', 400)) {
    if (/^\S/.test(line)) inInfo = line.startsWith('info:');
    else if (inInfo) {
      const m = /^ {2}version: *(["']?)([^"'\s]+)\1\s*$/.exec(line);
      if (m) return m[2];
    }
  }
  return undefined;
}

function operations(yaml: string): OperationRef[] {
  const doc = parse(yaml) as Obj;
  const out: OperationRef[] = [];
  for (const [path, item] of Object.entries(isObj(doc.paths) ? doc.paths : {})) {
    if (!isObj(item)) continue;
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      out.push({ ...(typeof op.operationId === 'string' ? { operationId: op.operationId } : {}), method, path });
    }
  }
  return out;
}

interface Release {
  version: string;
  content: string;
}

/**
 * The releases in history order: the first commit (first-parent) where codex.yaml carries each version, then the
 * contract being built when its version is new. null when the history cannot be read (not a repository, or shallow).
 */
function releases(root: string, built: string): Release[] | null {
  const inside = git(root, ['rev-parse', '--is-shallow-repository']);
  if (inside.status !== 0 || inside.stdout.trim() === 'true') return null;
  const log = git(root, [
    'log',
    '--first-parent',
    '--diff-merges=first-parent',
    '--no-patch',
    '--reverse',
    '--format=%H',
    '-G^  version: ',
    '--',
    CONTRACT,
  ]);
  if (log.status !== 0) return null;
  const out: Release[] = [];
  const seen = new Set<string>();
  for (const commit of log.stdout.split('\n').filter((l) => /^[0-9a-f]{40,64}$/.test(l))) {
    const shown = git(root, ['show', `${commit}:${CONTRACT}`]);
    if (shown.status !== 0) continue; // the file was deleted in this commit
    const version = infoVersion(shown.stdout);
    if (!version || version === out[out.length - 1]?.version || seen.has(version)) continue;
    seen.add(version);
    out.push({ version, content: shown.stdout });
  }
  const current = infoVersion(built);
  if (current && !seen.has(current)) out.push({ version: current, content: built });
  return out;
}

function sameOperation(a: OperationRef, b: OperationRef) {
  return a.method === b.method && a.path === b.path;
}

/** Builds the changelog entries; comparisons already in `previous` (same releases, same engine) are reused. */
export async function buildChangelog(options: {
  root: string;
  /** The openapi/codex.yaml being built. */
  built: string;
  /** The committed changelog.json, if any. */
  previous?: Changelog;
  config: string;
}): Promise<Changelog | null> {
  const list = releases(options.root, options.built);
  if (!list || list.length === 0) return null;
  const reusable = options.previous?.engine === ENGINE ? options.previous.versions : [];
  const entries: ChangelogEntry[] = [];
  const tmp = mkdtempSync(join(tmpdir(), 'codex-changelog-'));
  try {
    for (let i = 0; i < list.length; i++) {
      const rel = list[i] as Release;
      const entry: ChangelogEntry = { version: rel.version, release: sha256(rel.content) };
      const prev = list[i - 1];
      if (!prev) {
        entry.operations = operations(rel.content);
      } else {
        entry.previous = prev.version;
        entry.previousRelease = sha256(prev.content);
        const cached = reusable.find(
          (e) =>
            e.version === entry.version && e.release === entry.release && e.previousRelease === entry.previousRelease,
        );
        if (cached?.changes) entry.changes = cached.changes;
        else {
          const a = join(tmp, `${i - 1}.yaml`);
          const b = join(tmp, `${i}.yaml`);
          writeFileSync(a, prev.content);
          writeFileSync(b, rel.content);
          const diff = await diffContracts(a, b, { cwd: options.root, config: options.config });
          // The description of the whole document is not a change of the API.
          entry.changes = diff.changes.filter((c) => c.operation !== null || !/^info\b/.test(c.where));
        }
      }
      if (i === list.length - 1 && rel.content !== options.built) {
        const then = operations(rel.content);
        const now = operations(options.built);
        entry.sinceRelease = {
          added: now.filter((o) => !then.some((t) => sameOperation(o, t))),
          removed: then.filter((o) => !now.some((t) => sameOperation(o, t))),
        };
      }
      entries.push(entry);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return {
    $comment: 'Generated by `npm run contract` from the git history of openapi/codex.yaml. Do not edit.',
    engine: ENGINE,
    versions: entries.reverse(),
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

const INTRO = [
  'One entry per version of the contract (`info.version`, newest first), built by `npm run contract` from the git',
  'history of `openapi/codex.yaml`. A version is released by the first commit that carries it. A new major version',
  'is the only way a breaking change is published (the breaking-change gate, `npm run contract:diff`, refuses it',
  'otherwise); additions can be published under the current version and are listed in full under the next one.',
];

interface Section {
  title: string;
  lines: string[];
}

/** The entry as titled sections of plain lines, shared by the markdown and HTML renderings. */
function sections(entry: ChangelogEntry, current: boolean): { heading: string; summary: string; parts: Section[] } {
  const parts: Section[] = [];
  const label = (o: OperationRef) => operationLabel(o);
  let summary: string;
  if (!entry.previous) {
    const ops = entry.operations ?? [];
    summary = `First published version of the contract: ${plural(ops.length, 'operation')} when released.`;
    parts.push({ title: 'Operations when released', lines: ops.map(label) });
  } else {
    const changes = entry.changes ?? [];
    const breaking = changes.filter(isBreaking);
    const added = changes.filter((c) => c.impact === 'minor');
    const other = changes.filter((c) => c.impact === 'patch');
    const bump = requiredBump(changes);
    summary =
      `Compared with ${entry.previous}: ${plural(breaking.length, 'breaking change')}, ${plural(added.length, 'addition')}, ` +
      `${plural(other.length, 'other change')}${bump === 'major' ? ' (a major version: see the breaking changes)' : ''}.`;
    const line = (c: ContractChange) => changeLine(c).replace(/^(BREAKING|ok)\s+/, '');
    if (breaking.length) parts.push({ title: 'Breaking changes', lines: breaking.map(line) });
    if (added.length) parts.push({ title: 'Additions', lines: added.map(line) });
    if (other.length) parts.push({ title: 'Other changes', lines: other.map(line) });
  }
  const since = entry.sinceRelease;
  if (since && (since.added.length || since.removed.length)) {
    parts.push({
      title: `Since ${entry.version} was released (no version bump; listed in full under the next version)`,
      lines: [...since.added.map((o) => `added: ${label(o)}`), ...since.removed.map((o) => `removed: ${label(o)}`)],
    });
  }
  return { heading: `${entry.version}${current ? ' (current)' : ''}`, summary, parts };
}

export function renderChangelogMarkdown(log: Changelog): string {
  const out = ['# Codex API — contract changelog', '', ...INTRO, ''];
  log.versions.forEach((entry, i) => {
    const { heading, summary, parts } = sections(entry, i === 0);
    out.push(`## ${heading}`, '', summary, '');
    for (const part of parts) {
      out.push(`### ${part.title}`, '', ...part.lines.map((l) => `- ${l.replace(/([<>])/g, '\\$1')}`), '');
    }
  });
  return `${out.join('\n').trimEnd()}\n`;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
/** `code` spans of the change sentences, after escaping. */
const inline = (s: string) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

export function renderChangelogHtml(log: Changelog): string {
  const body: string[] = [];
  const nav: string[] = [];
  log.versions.forEach((entry, i) => {
    const { heading, summary, parts } = sections(entry, i === 0);
    const id = `v${entry.version.replace(/[^0-9A-Za-z.-]/g, '-')}`;
    nav.push(`<li><a href="#${id}">${esc(heading)}</a></li>`);
    body.push(`<section id="${id}"><h2>${esc(heading)}</h2><p>${inline(summary)}</p>`);
    for (const part of parts) {
      const cls = part.title === 'Breaking changes' ? ' class="breaking"' : '';
      body.push(`<h3${cls}>${esc(part.title)}</h3><ul>${part.lines.map((l) => `<li>${inline(l)}</li>`).join('')}</ul>`);
    }
    body.push('</section>');
  });
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Codex API — contract changelog</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; color: #1f2328; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; margin-top: 2rem; }
h3 { font-size: 1rem; } h3.breaking { color: #b42318; }
code { background: #f3f4f6; padding: 0 .25rem; border-radius: 3px; font-size: .9em; }
li { margin: .15rem 0; } nav ul { display: flex; gap: 1rem; list-style: none; padding: 0; }
</style>
</head>
<body>
<h1>Codex API — contract changelog</h1>
<p>${inline(INTRO.join(' '))} <a href="index.html">API reference</a> · <a href="changelog.md">markdown</a></p>
<nav><ul>${nav.join('')}</ul></nav>
${body.join('\n')}
</body>
</html>
`;
}

export function renderChangelogJson(log: Changelog): string {
  return `${JSON.stringify(log, null, 2)}\n`;
}

export function readChangelogJson(file: string): Changelog | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Changelog;
    return Array.isArray(parsed.versions) ? parsed : undefined;
  } catch {
    return undefined;
  }
}
