/**
 * What changed between two versions of the contract, operation by operation, and whether each change can break a
 * client. Used by the breaking-change gate (scripts/breaking-change.ts, `npm run contract:diff`) and by the changelog
 * (scripts/contract/changelog.ts, built by `npm run contract`).
 *
 * The ratings come from `redocly diff` with the repository's own redocly.yaml, which must extend `diff-recommended`
 * (redocly reads its diff rules from that file only; without them every change is a "patch"). Three things are added
 * around it:
 *
 * - Both documents are dereferenced first (`redocly bundle --dereferenced`). redocly reports a change once per place
 *   in the file, so a change to a shared component (a schema used by eight operations, or by a request and a
 *   response) would be reported at the first operation it meets, in that operation's direction only. Inlined, every
 *   operation gets its own rating in its own direction (a new enum value is safe in a request, not in a response).
 * - A canary: the base gets one extra operation that the head lacks. Its removal must come back as major, or the
 *   diff rules are not loaded and the comparison fails instead of passing everything.
 * - The gate's own checks for what redocly's rules miss (see ownChecks).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HTTP_METHODS } from './canonical';
import { runRedocly, stripRedoclyNoise } from './tools';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export type Impact = 'major' | 'minor' | 'patch';

export interface OperationRef {
  operationId?: string;
  method: string;
  path: string;
}

export interface ContractChange {
  impact: Impact;
  /** The operation concerned; null for a change outside operations (a security scheme, the document's servers). */
  operation: OperationRef | null;
  /** Where in the operation: "request body › name", "query parameter `scope`", "responses 200, 201 › items[].role". */
  where: string;
  /** What changed, one sentence without a final period. */
  what: string;
  /** The redocly diff rule that rated it as major, or gate/<check> for the gate's own checks. */
  rule?: string;
}

export interface ContractDiff {
  base: { version: string };
  head: { version: string };
  changes: ContractChange[];
}

/** The comparison could not be made (a tool failed, or the diff rules are not loaded): never a pass. */
export class ContractDiffSetupError extends Error {}

const CANARY_PATH = '/__contract-gate-canary__';
const METHODS = new Set<string>(HTTP_METHODS);

interface RedoclyVerdict {
  ruleId: string;
  impact: string;
  message: string;
}
interface RedoclyChange {
  path: string;
  kind: 'added' | 'removed' | 'modified';
  impact: Impact;
  property?: string;
  verdicts?: RedoclyVerdict[];
  base?: { pointer: string; value?: unknown };
  revision?: { pointer: string; value?: unknown };
}

async function dereference(file: string, out: string, options: { cwd: string; config: string }): Promise<Obj> {
  const r = await runRedocly(
    ['bundle', file, '--dereferenced', '--ext', 'json', '-o', out, '--config', options.config],
    {
      cwd: options.cwd,
    },
  );
  if (r.status !== 0) {
    throw new ContractDiffSetupError(
      `redocly bundle --dereferenced ${file} failed (exit ${r.status}):\n${stripRedoclyNoise(`${r.stdout}\n${r.stderr}`)}`,
    );
  }
  return JSON.parse(readFileSync(out, 'utf8')) as Obj;
}

/** After dereferencing, components only repeat what the operations hold; security schemes are referenced by name. */
function operationsOnly(doc: Obj): Obj {
  const components = isObj(doc.components) ? doc.components : {};
  const { components: _dropped, ...rest } = doc;
  return isObj(components.securitySchemes)
    ? { ...rest, components: { securitySchemes: components.securitySchemes } }
    : rest;
}

function withCanary(doc: Obj): Obj {
  const paths = isObj(doc.paths) ? doc.paths : {};
  return {
    ...doc,
    paths: {
      ...paths,
      [CANARY_PATH]: {
        get: {
          operationId: '__contractGateCanary',
          summary: 'Removed on purpose: its removal must be rated major',
          responses: { '200': { description: 'canary' } },
        },
      },
    },
  };
}

export function parsePointer(pointer: string): string[] {
  return pointer
    .replace(/^#\/?/, '')
    .split('/')
    .filter((s) => s !== '')
    .map((seg) => {
      const unescaped = seg.replace(/~1/g, '/').replace(/~0/g, '~');
      try {
        return decodeURIComponent(unescaped);
      } catch {
        return unescaped;
      }
    });
}

function operationAt(doc: Obj, path: string, method: string): Obj | undefined {
  const paths = isObj(doc.paths) ? doc.paths : {};
  const item = paths[path];
  const op = isObj(item) ? item[method] : undefined;
  return isObj(op) ? op : undefined;
}

function operationsOfPath(doc: Obj, path: string): OperationRef[] {
  const paths = isObj(doc.paths) ? doc.paths : {};
  const item = paths[path];
  if (!isObj(item)) return [];
  return HTTP_METHODS.filter((m) => isObj(item[m])).map((m) => ref(doc, path, m));
}

function ref(doc: Obj, path: string, method: string, fallback?: Obj): OperationRef {
  const op = operationAt(doc, path, method) ?? (fallback ? operationAt(fallback, path, method) : undefined);
  const operationId = typeof op?.operationId === 'string' ? op.operationId : undefined;
  return { ...(operationId ? { operationId } : {}), method, path };
}

/** `items[].role`, `media.hasThumbnail`: the property a schema pointer leads to. */
function propertyPath(segs: string[]): string {
  let out = '';
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i] as string;
    if (seg === 'properties' && i + 1 < segs.length) {
      const name = segs[++i] as string;
      out = out ? `${out}.${name}` : name;
    } else if (seg === 'items') out += '[]';
    else if (seg === 'additionalProperties') out += '{*}';
    else if ((seg === 'oneOf' || seg === 'anyOf' || seg === 'allOf' || seg === 'prefixItems') && i + 1 < segs.length) {
      const n = Number(segs[++i]) + 1;
      out = `${out}${out ? ' ' : ''}(${seg} #${n})`;
    } else out = `${out}${out ? ' ' : ''}${seg}`;
  }
  return out;
}

interface Where {
  /** Response status code, kept apart so that one change to several responses becomes one line. */
  code?: string;
  text: string;
}

/** Describes the part of an operation a pointer (below the method) leads to. */
function whereIn(rest: string[], op: Obj | undefined): Where {
  const [first, ...tail] = rest;
  if (first === undefined) return { text: '' };
  if (first === 'parameters') {
    const params = Array.isArray(op?.parameters) ? (op?.parameters as unknown[]) : [];
    const p = params[Number(tail[0])];
    const name = isObj(p) ? `${String(p.in)} parameter \`${String(p.name)}\`` : `parameter #${Number(tail[0]) + 1}`;
    const prop = propertyPath(tail.slice(2)); // skip index and "schema"
    return { text: prop ? `${name} › ${prop}` : name };
  }
  if (first === 'requestBody') {
    const [content, mediaType, schema, ...props] = tail;
    if (content !== 'content' || mediaType === undefined) return { text: 'request body' };
    const mt = mediaType === 'application/json' ? '' : ` (${mediaType})`;
    const prop = schema === 'schema' ? propertyPath(props) : '';
    return { text: `request body${mt}${prop ? ` › ${prop}` : ''}` };
  }
  if (first === 'responses') {
    const [code, part, key, ...more] = tail;
    if (code === undefined) return { text: 'responses' };
    if (part === 'headers' && key !== undefined) return { code, text: ` header \`${key}\`` };
    if (part === 'content' && key !== undefined) {
      const mt = key === 'application/json' ? '' : ` (${key})`;
      const prop = more[0] === 'schema' ? propertyPath(more.slice(1)) : '';
      return { code, text: `${mt}${prop ? ` › ${prop}` : ''}` };
    }
    return { code, text: '' };
  }
  if (first === 'security') return { text: 'security' };
  if (first === 'servers') return { text: 'servers' };
  return { text: rest.join(' › ') };
}

const short = (v: unknown) => {
  const s = typeof v === 'string' ? `'${v}'` : JSON.stringify(v);
  return s === undefined ? 'nothing' : s.length > 60 ? `${s.slice(0, 57)}…` : s;
};
const sentence = (s: string) => s.trim().replace(/\.$/, '');

/** One sentence for a change: redocly's verdict where it gave one, else what the change itself says. */
function whatOf(c: RedoclyChange, rest: string[], atOperation: boolean): { what: string; rule?: string } {
  const verdict = (c.verdicts ?? []).find((v) => v.impact === c.impact) ?? c.verdicts?.[0];
  if (verdict) {
    if (verdict.ruleId === 'security-requirement-changed' && c.kind === 'removed' && isObj(c.base?.value)) {
      if (Object.keys(c.base.value).length === 0) {
        return {
          what: 'calls without credentials are no longer accepted (authentication became required)',
          rule: verdict.ruleId,
        };
      }
    }
    if (verdict.ruleId === 'operation-removed') return { what: 'operation removed', rule: verdict.ruleId };
    return { what: sentence(verdict.message), rule: verdict.ruleId };
  }
  const last = rest[rest.length - 1];
  if (c.kind === 'added') {
    if (rest.length === 0) return { what: atOperation ? 'operation added' : 'added' };
    if (rest[0] === 'security' && isObj(c.revision?.value) && Object.keys(c.revision.value).length === 0) {
      return { what: 'calls without credentials are now accepted too' };
    }
    if (((rest[0] === 'parameters' && rest.length === 2) || last === 'requestBody') && isObj(c.revision?.value)) {
      return { what: c.revision.value.required === true ? 'added (required)' : 'added (optional)' };
    }
    return { what: 'added' };
  }
  if (c.kind === 'removed') return { what: rest.length === 0 && atOperation ? 'operation removed' : 'removed' };
  const p = c.property;
  if (!p) return { what: 'changed' };
  if (['description', 'summary', 'title', 'example', 'examples', 'externalDocs'].includes(p)) {
    return { what: `${p} changed` };
  }
  return { what: `\`${p}\` changed from ${short(c.base?.value)} to ${short(c.revision?.value)}` };
}

interface Located extends ContractChange {
  code?: string;
  /** A finding of the gate's own that replaces redocly's lines (same operation and place) whose text matches. */
  supersedes?: RegExp;
}

function locate(c: RedoclyChange, base: Obj, head: Obj): Located[] {
  const side = c.kind === 'removed' ? (c.base?.pointer ?? c.path) : (c.revision?.pointer ?? c.path);
  const segs = parsePointer(c.kind === 'modified' ? c.path : side);
  const atOperation = segs[0] === 'paths' && METHODS.has(segs[2] ?? '');
  const { what, rule } = whatOf(c, atOperation ? segs.slice(3) : [], atOperation);
  const common = { impact: c.impact, ...(rule && c.impact === 'major' ? { rule } : {}) };

  if (segs[0] === 'paths' && segs[1] !== undefined) {
    const path = segs[1];
    const method = segs[2];
    if (method === undefined || !METHODS.has(method)) {
      // A whole path: removed, renamed or added, or a path-level part (servers, shared parameters).
      const renamed = (c.verdicts ?? []).find((v) => v.ruleId === 'path-removed');
      if (renamed && c.base?.pointer) {
        const oldPath = parsePointer(c.base.pointer)[1] ?? path;
        const to = oldPath === path ? '' : ` to \`${path}\``;
        return operationsOfPath(base, oldPath).map((operation) => ({
          ...common,
          operation,
          where: '',
          what: to ? `path renamed${to}: the old path is gone` : sentence(renamed.message),
        }));
      }
      if (segs.length === 2 && c.kind !== 'modified') {
        const doc = c.kind === 'removed' ? base : head;
        return operationsOfPath(doc, path).map((operation) => ({
          ...common,
          operation,
          where: '',
          what: c.kind === 'removed' ? (rule ? 'operation removed (its path was removed)' : what) : 'operation added',
        }));
      }
      const ops = operationsOfPath(c.kind === 'removed' ? base : head, path);
      const where = segs.slice(2).join(' › ');
      return ops.map((operation) => ({ ...common, operation, where, what }));
    }
    const operation = c.kind === 'removed' ? ref(base, path, method, head) : ref(head, path, method, base);
    const op = c.kind === 'removed' ? operationAt(base, path, method) : operationAt(head, path, method);
    const where = whereIn(segs.slice(3), op);
    if (rule === 'enum-values-added' && /^[45]/.test(where.code ?? '')) {
      // A new value in an error response (a new error code): every client already meets codes it does not know, so
      // it is an addition, not a new major version. In a success response a new enum value stays breaking.
      return [
        {
          impact: 'minor',
          operation,
          where: where.text,
          code: where.code,
          what: `${what} (an error response: an addition)`,
        },
      ];
    }
    return [{ ...common, operation, where: where.text, ...(where.code ? { code: where.code } : {}), what }];
  }
  if (segs[0] === 'components' && segs[1] === 'securitySchemes' && segs[2] !== undefined) {
    return [{ ...common, operation: null, where: `security scheme \`${segs[2]}\``, what }];
  }
  return [{ ...common, operation: null, where: segs.join(' › '), what }];
}

function allOperations(doc: Obj): Array<{ path: string; method: string; op: Obj }> {
  const out: Array<{ path: string; method: string; op: Obj }> = [];
  const paths = isObj(doc.paths) ? doc.paths : {};
  for (const [path, item] of Object.entries(paths)) {
    if (!isObj(item)) continue;
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (isObj(op)) out.push({ path, method, op });
    }
  }
  return out;
}

/**
 * Checks redocly's rules do not make (each found by trying the edit; see the matrix test):
 * - a required request body added to an operation that had none is rated "minor" (an addition), yet every existing
 *   call, sent without a body, is now refused.
 * Returns the findings and the redocly change paths they replace.
 */
function ownChecks(base: Obj, head: Obj): { findings: Located[]; replaces: Set<string> } {
  const findings: Located[] = [];
  const replaces = new Set<string>();
  for (const { path, method, op } of allOperations(head)) {
    const before = operationAt(base, path, method);
    if (!before) continue;
    const body = op.requestBody;
    if (before.requestBody === undefined && isObj(body) && body.required === true) {
      findings.push({
        impact: 'major',
        rule: 'gate/request-body-added-required',
        operation: ref(head, path, method),
        where: 'request body',
        what: 'a required request body was added: calls without a body are now refused',
      });
      replaces.add(`#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/requestBody`);
    }
    // A parameter whose type changed is reported by redocly as removed and added again: say what happened instead.
    const params = (o: Obj) => (Array.isArray(o.parameters) ? (o.parameters as unknown[]).filter(isObj) : []);
    for (const param of params(op)) {
      const old = params(before).find((b) => b.name === param.name && b.in === param.in);
      const was = old && schemaType(old.schema);
      const now = schemaType(param.schema);
      if (!was || !now || was === now) continue;
      findings.push({
        impact: 'major',
        rule: 'gate/parameter-type-changed',
        operation: ref(head, path, method),
        where: `${String(param.in)} parameter \`${String(param.name)}\``,
        what: `Type changed from '${was}' to '${now}': values sent until now are refused`,
        supersedes: /parameter was (removed|added)$/,
      });
    }
  }
  return { findings, replaces };
}

/** `string (uuid)`, `integer | null`: the type of a parameter's schema, as a reader compares it. */
function schemaType(schema: unknown): string | undefined {
  if (!isObj(schema) || schema.type === undefined) return undefined;
  const type = ([] as unknown[]).concat(schema.type).map(String).join(' | ');
  return typeof schema.format === 'string' ? `${type} (${schema.format})` : type;
}

const IMPACT_ORDER: Record<Impact, number> = { major: 0, minor: 1, patch: 2 };
const methodOrder = (m?: string) => (m ? HTTP_METHODS.indexOf(m as (typeof HTTP_METHODS)[number]) : -1);

/** One line per operation and change: the same change in several responses of one operation is merged. */
function merge(located: Located[]): ContractChange[] {
  const groups = new Map<string, { change: Located; codes: string[] }>();
  for (const c of located) {
    const op = c.operation ? `${c.operation.method} ${c.operation.path}` : '';
    const key = [c.impact, op, c.code === undefined ? 'no-code' : 'code', c.where, c.what].join('\u0000');
    const g = groups.get(key);
    if (g) {
      if (c.code && !g.codes.includes(c.code)) g.codes.push(c.code);
    } else groups.set(key, { change: c, codes: c.code ? [c.code] : [] });
  }
  const out: ContractChange[] = [];
  for (const { change, codes } of groups.values()) {
    const { code: _code, ...rest } = change;
    if (codes.length) {
      codes.sort();
      rest.where = `${codes.length > 1 ? 'responses' : 'response'} ${codes.join(', ')}${change.where}`;
    }
    out.push(rest);
  }
  return out.sort(
    (a, b) =>
      IMPACT_ORDER[a.impact] - IMPACT_ORDER[b.impact] ||
      (a.operation?.path ?? '').localeCompare(b.operation?.path ?? '') ||
      methodOrder(a.operation?.method) - methodOrder(b.operation?.method) ||
      a.where.localeCompare(b.where) ||
      a.what.localeCompare(b.what),
  );
}

const versionOf = (doc: Obj) => (isObj(doc.info) && typeof doc.info.version === 'string' ? doc.info.version : '');

/**
 * Compares two contract files (YAML or JSON). `config` is the redocly.yaml whose diff rules rate the changes; `cwd`
 * the folder redocly runs in (the repository).
 */
export async function diffContracts(
  baseFile: string,
  headFile: string,
  options: { cwd: string; config: string },
): Promise<ContractDiff> {
  const tmp = mkdtempSync(join(tmpdir(), 'codex-contract-diff-'));
  try {
    const [base, head] = await Promise.all([
      dereference(baseFile, join(tmp, 'base.bundle.json'), options),
      dereference(headFile, join(tmp, 'head.bundle.json'), options),
    ]);
    const baseForDiff = join(tmp, 'base.json');
    const headForDiff = join(tmp, 'head.json');
    writeFileSync(baseForDiff, JSON.stringify(withCanary(operationsOnly(base)), null, 1));
    writeFileSync(headForDiff, JSON.stringify(operationsOnly(head), null, 1));

    const r = await runRedocly(
      ['diff', baseForDiff, headForDiff, '--format', 'json', '--fail-on', 'none', '--config', options.config],
      { cwd: options.cwd },
    );
    let report: { changes?: RedoclyChange[] };
    try {
      report = JSON.parse(r.stdout) as { changes?: RedoclyChange[] };
    } catch {
      throw new ContractDiffSetupError(
        `redocly diff could not compare the contracts (exit ${r.status}):\n${stripRedoclyNoise(`${r.stdout}\n${r.stderr}`)}`,
      );
    }
    const changes = report.changes ?? [];
    const canaryPointer = `#/paths/${CANARY_PATH.replace(/\//g, '~1')}`;
    const canary = changes.filter((c) => c.path === canaryPointer || c.path.startsWith(`${canaryPointer}/`));
    const noRules = /no diff rules/i.test(r.stderr);
    if (noRules || !canary.some((c) => c.impact === 'major')) {
      throw new ContractDiffSetupError(
        `redocly diff did not rate a removed operation as breaking (${canary.map((c) => c.impact).join(', ') || 'not reported'}): ` +
          `its diff rules are not loaded from ${options.config}. Add \`diff-recommended\` to \`extends\` there.`,
      );
    }

    const { findings, replaces } = ownChecks(base, head);
    const located: Located[] = [...findings];
    for (const c of changes) {
      if (canary.includes(c) || replaces.has(c.path)) continue;
      for (const l of locate(c, base, head)) {
        const superseded = findings.some(
          (f) =>
            f.supersedes?.test(l.what) &&
            f.where === l.where &&
            f.operation?.method === l.operation?.method &&
            f.operation?.path === l.operation?.path,
        );
        if (!superseded) located.push(l);
      }
    }
    for (const f of findings) delete f.supersedes;
    return { base: { version: versionOf(base) }, head: { version: versionOf(head) }, changes: merge(located) };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export const isBreaking = (c: ContractChange) => c.impact === 'major';

/** `createOrganization (POST /api/organizations)`, or `(document)` for changes outside operations. */
export function operationLabel(op: OperationRef | null): string {
  if (!op) return '(document)';
  const route = `${op.method.toUpperCase()} ${op.path}`;
  return op.operationId ? `${op.operationId} (${route})` : route;
}
