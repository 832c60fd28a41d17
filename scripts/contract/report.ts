/**
 * How contract changes are shown: one line per change for the console (the gate's output), a markdown report for
 * reviewers (job summary, pull-request comment), and the verdict on the version bump.
 */
import semver from 'semver';
import { type ContractChange, type ContractDiff, isBreaking, operationLabel } from './diff';

export const VERSION_FILE = 'openapi/contract-version.json';

/** `BREAKING  createOrganization (POST /api/organizations) — request body: Properties became required: `note``. */
export function changeLine(c: ContractChange): string {
  return `${(isBreaking(c) ? 'BREAKING' : 'ok').padEnd(8)}  ${operationLabel(c.operation)} — ${c.where ? `${c.where}: ` : ''}${c.what}`;
}

export type Bump = 'major' | 'minor' | 'patch' | 'none';

export interface VersionVerdict {
  ok: boolean;
  base: string;
  head: string;
  /** The bump the changes need. */
  required: Bump;
  /** The bump made (semver.diff), 'none', or 'backwards'. */
  actual: string;
  message: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function requiredBump(changes: ContractChange[]): Bump {
  if (changes.some((c) => c.impact === 'major')) return 'major';
  if (changes.some((c) => c.impact === 'minor')) return 'minor';
  return changes.length ? 'patch' : 'none';
}

/** Breaking changes pass only with a new major version; nothing else needs a bump (additions may get one). */
export function versionVerdict(diff: ContractDiff): VersionVerdict {
  const { version: base } = diff.base;
  const { version: head } = diff.head;
  const required = requiredBump(diff.changes);
  const breaking = diff.changes.filter(isBreaking).length;
  const additions = diff.changes.filter((c) => c.impact === 'minor').length;
  const verdict = (ok: boolean, actual: string, message: string): VersionVerdict => ({
    ok,
    base,
    head,
    required,
    actual,
    message,
  });
  if (!semver.valid(base) || !semver.valid(head)) {
    return verdict(false, 'invalid', `✖ info.version must be semver on both sides (base '${base}', head '${head}').`);
  }
  const cmp = semver.compare(head, base);
  if (cmp < 0) return verdict(false, 'backwards', `✖ The contract version goes backwards: ${base} → ${head}.`);
  const actual = cmp === 0 ? 'none' : (semver.diff(base, head) ?? 'none');
  const majorBumped = semver.major(head) > semver.major(base);
  if (breaking) {
    if (majorBumped) {
      return verdict(
        true,
        actual,
        `✔ ${plural(breaking, 'breaking change')}, released as a new major version (${base} → ${head}).`,
      );
    }
    return verdict(
      false,
      actual,
      `✖ ${plural(breaking, 'breaking change')}, but the contract version goes ${base} → ${head} ` +
        `(${actual === 'none' ? 'not bumped' : `a ${actual} bump`}): a breaking change needs a new major version.\n` +
        '  Either keep the change compatible (add rather than change or remove; new request fields and parameters optional),\n' +
        `  or set "version" to ${semver.inc(base, 'major')} in ${VERSION_FILE} and run \`npm run contract\`.`,
    );
  }
  if (!diff.changes.length) return verdict(true, actual, '✔ No change to the contract.');
  const bumped = actual === 'none' ? '' : ` (version ${base} → ${head})`;
  const note =
    additions && actual === 'none'
      ? ` ${plural(additions, 'addition')} under ${head}: fine without a bump; a minor bump (${semver.inc(base, 'minor')}) gives them their own changelog entry.`
      : '';
  return verdict(true, actual, `✔ No breaking change${bumped}.${note}`);
}

/** The console report: the versions, one line per change (breaking first), the verdict. */
export function renderText(diff: ContractDiff, verdict: VersionVerdict): string {
  const breaking = diff.changes.filter(isBreaking).length;
  const lines = [
    `Contract ${diff.base.version} → ${diff.head.version}: ${plural(breaking, 'breaking change')}, ${plural(diff.changes.length - breaking, 'other change')}.`,
    ...diff.changes.map((c) => `  ${changeLine(c)}`),
    '',
    verdict.message,
  ];
  return lines.join('\n');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;

/** Rows per table: a pull-request comment holds 65,536 characters; the console report has every line. */
const MAX_ROWS = 200;

function changeTable(changes: ContractChange[], withImpact: boolean): string[] {
  const head = withImpact ? '| Operation | Method | Path | Kind | Change |' : '| Operation | Method | Path | Change |';
  const rule = withImpact ? '|---|---|---|---|---|' : '|---|---|---|---|';
  const rows = changes.slice(0, MAX_ROWS).map((c) => {
    const op = c.operation;
    const what = cell(`${c.where ? `${c.where}: ` : ''}${c.what}`);
    const kind = c.impact === 'minor' ? 'addition' : 'compatible';
    const cols = op
      ? [op.operationId ? code(op.operationId) : '—', op.method.toUpperCase(), code(op.path)]
      : ['(document)', '', ''];
    return `| ${[...cols, ...(withImpact ? [kind] : []), what].join(' | ')} |`;
  });
  const more = changes.length - rows.length;
  return [
    head,
    rule,
    ...rows,
    ...(more > 0 ? [`| … | | | ${withImpact ? '| ' : ''}${more} more: see the job log |`] : []),
  ];
}

/** Operations with their counts of breaking and other changes, in path order. */
function operationSummary(changes: ContractChange[]): string[] {
  const ops = new Map<string, { label: string; breaking: number; other: number }>();
  for (const c of changes) {
    const key = operationLabel(c.operation);
    const entry = ops.get(key) ?? { label: key, breaking: 0, other: 0 };
    if (isBreaking(c)) entry.breaking++;
    else entry.other++;
    ops.set(key, entry);
  }
  return [
    '| Operation | Breaking | Other |',
    '|---|---|---|',
    ...[...ops.values()].map(
      (o) => `| ${cell(code(o.label))} | ${o.breaking ? `**${o.breaking}**` : '0'} | ${o.other} |`,
    ),
  ];
}

/**
 * The reviewer's report (`npm run contract:diff -- <base> --markdown <file>`): verdict, version check, the operations
 * that changed, the breaking changes, then the others.
 */
export function renderMarkdown(
  diff: ContractDiff,
  verdict: VersionVerdict,
  context: { base: string; head?: string },
): string {
  const breaking = diff.changes.filter(isBreaking);
  const other = diff.changes.filter((c) => !isBreaking(c));
  const title = !verdict.ok
    ? breaking.length
      ? '❌ Breaking contract change without a major version bump'
      : '❌ Contract version problem'
    : breaking.length
      ? '⚠️ Breaking contract change, released as a new major version'
      : diff.changes.length
        ? '✅ No breaking contract change'
        : '✅ No contract change';
  const matches = verdict.ok ? 'yes' : '**no**';
  const out = [
    `## ${title}`,
    '',
    `Compared ${context.head ?? '`openapi/codex.yaml`'} with ${context.base}.`,
    '',
    '| Version | Base | Head | Changes need | Bump made | Matches |',
    '|---|---|---|---|---|---|',
    `| \`info.version\` | ${diff.base.version} | ${diff.head.version} | ${verdict.required} | ${verdict.actual} | ${matches} |`,
    '',
    verdict.message.replace(/^[✔✖] /, '').replace(/\n\s*/g, ' '),
    '',
  ];
  if (!diff.changes.length) return `${out.join('\n')}\n`;
  out.push(
    `**${plural(breaking.length, 'breaking change')}, ${plural(other.length, 'other change')}** in ${plural(new Set(diff.changes.map((c) => operationLabel(c.operation))).size, 'operation')}.`,
    '',
    '### Operations changed',
    '',
    ...operationSummary(diff.changes),
    '',
  );
  if (breaking.length) out.push('### Breaking changes', '', ...changeTable(breaking, false), '');
  if (other.length) out.push('### Other changes', '', ...changeTable(other, true), '');
  out.push(
    '<sub>Breaking: removed or renamed operations, parameters, properties, media types or responses; new required ' +
      'inputs; narrower request constraints or enums; wider or less guaranteed responses; new security. ' +
      'See the README, "The contract: versions, breaking changes, changelog".</sub>',
    '',
  );
  return out.join('\n');
}
