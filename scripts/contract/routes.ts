/**
 * What @codex/client needs at run time from the merged contract, rendered as generated/codex-routes.ts:
 *
 * - which worker serves each path (each path item's servers name the worker(s) serving it);
 * - per operation: how its request body is sent (JSON, or binary bytes as given) and how each documented
 *   response is read (JSON, text, a binary stream, or nothing), so that the client reads an HTML page as text
 *   and a video as bytes without per-call options;
 * - per operation: whether it creates something (a POST answering 201) or declares an `Idempotency-Key` header,
 *   the POSTs the client sends an idempotency key with (and may therefore retry).
 */
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The client's name for a worker: "content-api" → "content". */
export const clientKeyOf = (worker: string) => worker.replace(/-api$/, '');

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

export type BodyKind = 'json' | 'text' | 'binary';
export type ReadKind = BodyKind | 'empty';

export interface OperationMeta {
  /** operationId */
  id: string;
  /** How the request body is sent; absent when the operation takes no body. */
  body?: BodyKind;
  /** Documented status → how its body is read ("default" for the `default` response). */
  read: Record<string, ReadKind>;
  /** A POST answering 201: the client sends an Idempotency-Key with it. */
  creates?: true;
  /** The operation declares an `Idempotency-Key` request header. */
  idempotencyKey?: true;
}

/** Resolves a local `$ref` (`#/components/...`) against the contract; other values are returned as they are. */
function deref(contract: Obj, value: unknown): unknown {
  let v = value;
  for (let hops = 0; isObj(v) && typeof v.$ref === 'string' && hops < 20; hops += 1) {
    const ref = v.$ref as string;
    if (!ref.startsWith('#/')) throw new Error(`external $ref ${ref} is not supported`);
    let target: unknown = contract;
    for (const part of ref.slice(2).split('/')) {
      target = isObj(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
    }
    if (target === undefined) throw new Error(`unresolved $ref ${ref}`);
    v = target;
  }
  return v;
}

/** How a body of this media type (and schema) is carried: JSON, text, or raw bytes. */
export function bodyKind(mediaType: string, schema: unknown): BodyKind {
  const media = mediaType.toLowerCase().split(';')[0]?.trim() ?? '';
  if (media === 'application/json' || media.endsWith('+json')) return 'json';
  const s = isObj(schema) ? schema : {};
  if (s.format === 'binary' || s.contentEncoding === 'binary' || s.contentMediaType !== undefined) return 'binary';
  if (media.startsWith('text/') || media === 'application/javascript' || media.endsWith('+xml')) return 'text';
  return 'binary';
}

/** One kind for all the media types of a request body or response; mixing kinds is refused (the client could not pick). */
function kindOf(contract: Obj, content: unknown, where: string): BodyKind | undefined {
  if (!isObj(content)) return undefined;
  const kinds = new Set<BodyKind>();
  for (const [media, obj] of Object.entries(content)) {
    kinds.add(bodyKind(media, deref(contract, isObj(obj) ? obj.schema : undefined)));
  }
  if (kinds.size > 1) throw new Error(`${where}: media types mix ${[...kinds].join(' and ')} bodies`);
  return [...kinds][0];
}

export function routeOwners(contract: Obj, workerDocs: Record<string, Obj>): Record<string, string[]> {
  const workerOfUrl = new Map<string, string>();
  for (const [worker, doc] of Object.entries(workerDocs)) {
    for (const s of (doc.servers ?? []) as Array<{ url: string }>) workerOfUrl.set(s.url, worker);
  }
  const out: Record<string, string[]> = {};
  for (const [path, item] of Object.entries((contract.paths ?? {}) as Record<string, Obj>)) {
    const workers = new Set<string>();
    for (const s of (item.servers ?? []) as Array<{ url: string }>) {
      const w = workerOfUrl.get(s.url);
      if (!w) throw new Error(`${path}: server ${s.url} belongs to no worker`);
      workers.add(w);
    }
    if (workers.size === 0) throw new Error(`${path}: the path item lists no servers`);
    out[path] = [...workers].sort();
  }
  return out;
}

/** Per "METHOD /path": the operation's metadata for the client. */
export function operationsOf(contract: Obj): Record<string, OperationMeta> {
  const out: Record<string, OperationMeta> = {};
  for (const [path, rawItem] of Object.entries((contract.paths ?? {}) as Record<string, Obj>)) {
    const item = deref(contract, rawItem) as Obj;
    const pathParams = Array.isArray(item.parameters) ? item.parameters : [];
    for (const method of METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      const where = `${method.toUpperCase()} ${path}`;
      const meta: OperationMeta = { id: String(op.operationId ?? where), read: {} };
      const body = deref(contract, op.requestBody);
      const sent = isObj(body) ? kindOf(contract, body.content, `${where} request body`) : undefined;
      if (sent) meta.body = sent;
      for (const [status, raw] of Object.entries(isObj(op.responses) ? op.responses : {})) {
        const response = deref(contract, raw);
        meta.read[status] = (isObj(response) && kindOf(contract, response.content, `${where} ${status}`)) || 'empty';
      }
      if (method === 'post' && Object.hasOwn(meta.read, '201')) meta.creates = true;
      const params = [...pathParams, ...(Array.isArray(op.parameters) ? op.parameters : [])].map((p) =>
        deref(contract, p),
      );
      if (params.some((p) => isObj(p) && p.in === 'header' && String(p.name).toLowerCase() === 'idempotency-key')) {
        meta.idempotencyKey = true;
      }
      out[where] = meta;
    }
  }
  return out;
}

export function renderRoutesModule(contract: Obj, workerDocs: Record<string, Obj>): string {
  const owners = routeOwners(contract, workerDocs);
  const operations = operationsOf(contract);
  const workers = Object.keys(workerDocs).sort();
  const q = (s: string) => JSON.stringify(s).replace(/^"|"$/g, "'");
  const render = (m: OperationMeta) => {
    // JSON is what the client assumes for a status not listed here (and checks against Content-Type).
    const read = Object.keys(m.read)
      .filter((s) => m.read[s] !== 'json')
      .sort()
      .map((s) => `${/^\d+$/.test(s) ? s : q(s)}: ${q(m.read[s] ?? 'empty')}`)
      .join(', ');
    const parts = [`id: ${q(m.id)}`];
    if (m.body) parts.push(`body: ${q(m.body)}`);
    if (read) parts.push(`read: { ${read} }`);
    if (m.creates) parts.push('creates: true');
    if (m.idempotencyKey) parts.push('idempotencyKey: true');
    return `{ ${parts.join(', ')} }`;
  };
  const lines = [
    '/**',
    ' * Generated by `npm run contract` from openapi/codex.yaml. Do not edit.',
    ' * What @codex/client needs at run time: which worker serves each path (path-item servers), and per operation',
    ' * how its body is sent and each documented non-JSON response read, and whether it creates something.',
    ' */',
    '',
    '/** Client key → worker name. */',
    'export const CODEX_WORKERS = {',
    ...workers.map((w) => `  ${q(clientKeyOf(w))}: ${q(w)},`),
    '} as const;',
    '',
    'export type CodexWorkerKey = keyof typeof CODEX_WORKERS;',
    '',
    '/** Contract path → the workers (client keys) serving it; several for the shared meta routes. */',
    'export const CODEX_ROUTES: Readonly<Record<string, readonly CodexWorkerKey[]>> = {',
    ...Object.keys(owners)
      .sort()
      .map((p) => `  ${q(p)}: [${(owners[p] ?? []).map((w) => q(clientKeyOf(w))).join(', ')}],`),
    '};',
    '',
    '/** How a body is carried: JSON, text, or raw bytes (a stream when read, Blob/bytes/stream when sent). */',
    "export type CodexBodyKind = 'json' | 'text' | 'binary';",
    '',
    'export interface CodexOperation {',
    '  /** operationId */',
    '  readonly id: string;',
    '  /** How the request body is sent; absent when the operation takes none. */',
    '  readonly body?: CodexBodyKind;',
    '  /** Documented status → how its body is read, for the statuses whose body is not JSON. */',
    "  readonly read?: Readonly<Record<string, CodexBodyKind | 'empty'>>;",
    '  /** A POST answering 201: sent with an Idempotency-Key. */',
    '  readonly creates?: true;',
    '  /** Declares an Idempotency-Key request header. */',
    '  readonly idempotencyKey?: true;',
    '}',
    '',
    '/** "METHOD /path" → the operation. */',
    'export const CODEX_OPERATIONS: Readonly<Record<string, CodexOperation>> = {',
    ...Object.keys(operations)
      .sort()
      .map((k) => `  ${q(k)}: ${render(operations[k] as OperationMeta)},`),
    '};',
    '',
  ];
  return lines.join('\n');
}
