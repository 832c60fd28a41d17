/**
 * The merged contract (openapi/codex.yaml) as the suite sees it: every operation with its worker(s), inputs,
 * documented responses and security. The suite reads the contract file, never the zod schemas, so any drift
 * between the two fails a test.
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DEV_PORTS, REPO_ROOT, WORKERS, type WorkerName } from '@codex/local';
import { parse } from 'yaml';

export type JsonSchema = Record<string, unknown>;
type Obj = Record<string, unknown>;

export const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  schema: JsonSchema;
}

export interface DocumentedResponse {
  /** The key as written: "200", "4XX", "default". */
  key: string;
  /** media type → schema (may be {}). Empty when the response has no body. */
  content: Record<string, JsonSchema>;
  headers: Record<string, { required: boolean; schema: JsonSchema }>;
  /** JSON pointer (without '#') of the response object, for $ref-based validation. */
  pointer: string;
  /** For an error envelope: the error codes this status lists (error.code's enum). */
  codes: string[];
}

export interface Operation {
  operationId: string;
  method: string; // upper case
  path: string; // OpenAPI template, e.g. /api/organizations/{id}
  workers: WorkerName[];
  summary: string;
  parameters: Parameter[];
  requestBody?: { required: boolean; content: Record<string, JsonSchema>; pointer: string };
  responses: DocumentedResponse[];
  /** Effective security requirements (operation-level, else document-level). */
  security: Array<Record<string, string[]>>;
  /** Needs the session cookie: has a sessionCookie requirement and no anonymous `{}` alternative. */
  sessionRequired: boolean;
}

export interface Contract {
  file: string;
  doc: Obj;
  operations: Operation[];
  byId: Map<string, Operation>;
  /** Problems found while indexing (path items without a worker, duplicate operationIds…). */
  problems: string[];
  /** worker → base URLs named by the contract's servers, by environment. */
  servers: Record<WorkerName, { production?: string; staging?: string; local?: string }>;
}

/** The contract file: CONTRACT_FILE (absolute or repo-relative) or openapi/codex.yaml. No fallback. */
export function contractPath() {
  const f = process.env.CONTRACT_FILE;
  if (!f) return join(REPO_ROOT, 'openapi/codex.yaml');
  return isAbsolute(f) ? f : join(REPO_ROOT, f);
}

const pointerEscape = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/** Resolves a local `$ref` ("#/components/...") chain in the document. */
export function deref<T = Obj>(doc: Obj, value: unknown): T {
  let v = value as Obj | undefined;
  for (let i = 0; i < 20 && v && typeof v === 'object' && typeof v.$ref === 'string'; i++) {
    const ref = v.$ref as string;
    if (!ref.startsWith('#/')) throw new Error(`Only local $refs are supported, got ${ref}`);
    v = ref
      .slice(2)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((o, k) => (o as Obj | undefined)?.[k], doc) as Obj | undefined;
    if (v === undefined) throw new Error(`Unresolvable $ref ${ref}`);
  }
  return v as T;
}

/** The worker a server URL belongs to: localhost port, else the host name (<worker>[-staging].revelations.studio). */
export function workerOfServer(url: string): { worker: WorkerName; env: 'production' | 'staging' | 'local' } | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (u.hostname === 'localhost' || u.hostname === '127.0.0.1') {
    const w = WORKERS.find((name) => String(DEV_PORTS[name]) === u.port);
    return w ? { worker: w, env: 'local' } : null;
  }
  const first = u.hostname.split('.')[0] ?? '';
  const staging = first.endsWith('-staging');
  const name = staging ? first.slice(0, -'-staging'.length) : first;
  const w = WORKERS.find((n) => n === name);
  return w ? { worker: w, env: staging ? 'staging' : 'production' } : null;
}

export function loadContract(file = contractPath()): Contract {
  if (!existsSync(file)) {
    throw new Error(
      `The contract ${file} does not exist. Build it first (npm run contract); the contract suite tests the published contract, never the zod schemas.`,
    );
  }
  const doc = parse(readFileSync(file, 'utf8')) as Obj;
  return indexContract(doc, file);
}

export function indexContract(doc: Obj, file = '(in memory)'): Contract {
  const problems: string[] = [];
  const operations: Operation[] = [];
  const byId = new Map<string, Operation>();
  const servers = Object.fromEntries(WORKERS.map((w) => [w, {}])) as Contract['servers'];
  const paths = (doc.paths ?? {}) as Record<string, Obj>;
  for (const [path, rawItem] of Object.entries(paths)) {
    const item = deref(doc, rawItem);
    const itemServers = ((item.servers ?? []) as Array<{ url: string }>).map((s) => s.url);
    const workers: WorkerName[] = [];
    for (const url of itemServers) {
      const w = workerOfServer(url);
      if (!w) {
        problems.push(`${path}: server ${url} names no known worker`);
        continue;
      }
      if (!servers[w.worker][w.env]) servers[w.worker][w.env] = url;
      if (!workers.includes(w.worker)) workers.push(w.worker);
    }
    if (workers.length === 0) problems.push(`${path}: the path item has no servers naming a worker (localhost port)`);
    const itemParams = (item.parameters ?? []) as unknown[];
    for (const method of METHODS) {
      const op = item[method] as Obj | undefined;
      if (!op) continue;
      const base = `/paths/${pointerEscape(path)}/${method}`;
      const operationId = op.operationId as string | undefined;
      if (!operationId) {
        problems.push(`${method.toUpperCase()} ${path}: no operationId`);
        continue;
      }
      if (byId.has(operationId)) problems.push(`operationId ${operationId} is used twice`);
      const params = new Map<string, Parameter>();
      for (const raw of [...itemParams, ...((op.parameters ?? []) as unknown[])]) {
        const p = deref<Obj>(doc, raw);
        params.set(`${p.in}:${p.name}`, {
          name: p.name as string,
          in: p.in as Parameter['in'],
          required: p.in === 'path' ? true : Boolean(p.required),
          schema: deref<JsonSchema>(doc, p.schema ?? {}),
        });
      }
      let requestBody: Operation['requestBody'];
      if (op.requestBody) {
        const rb = deref<Obj>(doc, op.requestBody);
        const content: Record<string, JsonSchema> = {};
        for (const [mt, media] of Object.entries((rb.content ?? {}) as Record<string, Obj>)) {
          content[mt] = (media.schema ?? {}) as JsonSchema;
        }
        requestBody = { required: Boolean(rb.required), content, pointer: `${base}/requestBody` };
      }
      const responses: DocumentedResponse[] = [];
      for (const [key, rawRes] of Object.entries((op.responses ?? {}) as Record<string, unknown>)) {
        const r = deref<Obj>(doc, rawRes);
        const content: Record<string, JsonSchema> = {};
        for (const [mt, media] of Object.entries((r.content ?? {}) as Record<string, Obj>)) {
          content[mt] = (media.schema ?? {}) as JsonSchema;
        }
        const headers: DocumentedResponse['headers'] = {};
        for (const [h, rawH] of Object.entries((r.headers ?? {}) as Record<string, unknown>)) {
          const hd = deref<Obj>(doc, rawH);
          headers[h.toLowerCase()] = { required: Boolean(hd.required), schema: (hd.schema ?? {}) as JsonSchema };
        }
        responses.push({
          key,
          content,
          headers,
          pointer: `${base}/responses/${pointerEscape(key)}`,
          codes: errorCodesOf(content['application/json']),
        });
      }
      const security = (op.security ?? doc.security ?? []) as Array<Record<string, string[]>>;
      const sessionRequired =
        security.some((req) => 'sessionCookie' in req) && !security.some((req) => Object.keys(req).length === 0);
      const entry: Operation = {
        operationId,
        method: method.toUpperCase(),
        path,
        workers,
        summary: (op.summary as string) ?? '',
        parameters: [...params.values()],
        ...(requestBody ? { requestBody } : {}),
        responses,
        security,
        sessionRequired,
      };
      operations.push(entry);
      byId.set(operationId, entry);
    }
  }
  return { file, doc, operations, byId, problems, servers };
}

/** The documented response for a status: exact code, then "4XX"-style range, then "default". */
export function documentedResponse(op: Operation, status: number): DocumentedResponse | undefined {
  return (
    op.responses.find((r) => r.key === String(status)) ??
    op.responses.find((r) => r.key.toUpperCase() === `${String(status)[0]}XX`) ??
    op.responses.find((r) => r.key === 'default')
  );
}

/** Statuses the contract documents for the operation, as numbers (ranges and "default" left out). */
export function documentedStatuses(op: Operation): number[] {
  return op.responses
    .map((r) => Number(r.key))
    .filter((n) => Number.isInteger(n))
    .sort((a, b) => a - b);
}

/** A JSON body is accepted (application/json or +json). */
export function jsonMediaType(op: Operation): string | undefined {
  return Object.keys(op.requestBody?.content ?? {}).find((mt) => /^application\/([\w.-]+\+)?json$/i.test(mt));
}

/** Finds an operation by operationId or "METHOD /path" (path as in the contract). */
export function findOperation(contract: Contract, ref: string): Operation | undefined {
  const byId = contract.byId.get(ref);
  if (byId) return byId;
  const m = /^([A-Za-z]+)\s+(\S+)$/.exec(ref);
  if (!m) return undefined;
  const [, method, path] = m;
  return contract.operations.find((o) => o.method === method?.toUpperCase() && o.path === path);
}

/** The codes an error response lists: error.code is `allOf: [ErrorCode, { enum }]`. */
function errorCodesOf(schema: JsonSchema | undefined): string[] {
  const code = (
    schema as { properties?: { error?: { properties?: { code?: { allOf?: Array<{ enum?: unknown[] }> } } } } }
  )?.properties?.error?.properties?.code;
  return (code?.allOf ?? []).flatMap((s) => (Array.isArray(s.enum) ? s.enum.map(String) : []));
}
