/**
 * Merges the per-worker OpenAPI documents into the one published contract.
 *
 * Why not `redocly join`: join refuses two files that define the same path and operationId
 * ("Conflict on paths => /health : get"), but every worker serves the identical meta routes
 * (/health, /openapi.json, /docs, /docs/scalar.js) and the contract must list those once,
 * with the servers of all four workers. Join also renames or duplicates tags per file rather
 * than checking "one tag per worker", and does not tell identical shared components from
 * conflicting ones. The merge below does all three and fails loudly on real conflicts.
 *
 * Rules:
 * - each path item carries its worker's servers (production, staging, local dev) as a
 *   path-item-level `servers` list; a path item served identically by several workers appears
 *   once and lists all their servers; the same path with different content is an error;
 * - components (schemas, securitySchemes, ...) with the same name must be identical;
 * - operationIds are unique across the contract;
 * - one tag per worker: a worker's own operations all carry the same single tag, which no
 *   other worker uses; tags of shared paths (the meta routes' "Service") get their own entry.
 */
import { canonicalize, HTTP_METHODS, jsonEqual } from './canonical';

type Obj = Record<string, unknown>;

export interface WorkerSpec {
  /** Worker name (folder under workers/ and spec file name), e.g. "auth". */
  name: string;
  doc: Obj;
}

export interface ContractInfo {
  title: string;
  version: string;
  description: string;
}

export interface MergeResult {
  doc: Obj;
  /** path → the workers that serve it (sorted); more than one for shared paths. */
  owners: Record<string, string[]>;
}

export class ContractMergeError extends Error {
  constructor(public readonly problems: string[]) {
    super(`The worker documents cannot be merged:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ContractMergeError';
  }
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Server {
  url: string;
  description?: string;
}

const SHARED_TAG_DESCRIPTION =
  'Routes every worker serves identically: health, its own OpenAPI document and the API reference. ' +
  'Each is listed once with the servers of all workers; call it on the worker you mean.';

function short(v: unknown) {
  const s = JSON.stringify(v);
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/** "Codex Auth API" → "Auth": the tag a worker without operations of its own is listed under. */
function fallbackTag(spec: WorkerSpec) {
  const title = String((spec.doc.info as Obj | undefined)?.title ?? spec.name);
  return title.replace(/^Codex\s+/, '').replace(/\s+API$/, '') || spec.name;
}

function operationsOf(item: Obj): Array<[string, Obj]> {
  return HTTP_METHODS.filter((m) => isObj(item[m])).map((m) => [m, item[m] as Obj]);
}

export function mergeContracts(specs: WorkerSpec[], info: ContractInfo): MergeResult {
  const problems: string[] = [];
  const workers = [...specs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const serversOf = new Map<string, Server[]>();
  for (const w of workers) {
    const servers = (w.doc.servers ?? []) as Server[];
    if (servers.length === 0) problems.push(`${w.name}: the document has no servers`);
    if (w.doc.security !== undefined)
      problems.push(`${w.name}: declares document-level security; declare security on each operation`);
    serversOf.set(
      w.name,
      servers.map((s) => ({ url: s.url, description: `${w.name}: ${s.description ?? s.url}` })),
    );
  }

  // Paths: first collect which workers serve each path item, and check identical content.
  const items = new Map<string, { item: Obj; owners: string[] }>();
  for (const w of workers) {
    for (const [path, raw] of Object.entries((w.doc.paths ?? {}) as Obj)) {
      if (!isObj(raw)) continue;
      const { servers: _ignored, ...item } = raw;
      const seen = items.get(path);
      if (!seen) items.set(path, { item, owners: [w.name] });
      else if (jsonEqual(seen.item, item)) seen.owners.push(w.name);
      else
        problems.push(
          `path ${path} is defined by ${seen.owners.join(', ')} and ${w.name} with different content ` +
            '(a path belongs to one worker, or is served identically by several)',
        );
    }
  }

  const paths: Obj = {};
  const owners: Record<string, string[]> = {};
  const operationIds = new Map<string, string>();
  const workerTags = new Map<string, Set<string>>(workers.map((w) => [w.name, new Set<string>()]));
  const sharedTags = new Set<string>();
  for (const [path, { item, owners: by }] of items) {
    owners[path] = by;
    paths[path] = { ...item, servers: by.flatMap((name) => serversOf.get(name) ?? []) };
    for (const [method, op] of operationsOf(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      const id = op.operationId;
      if (typeof id !== 'string' || !id) problems.push(`${where} (${by.join(', ')}): no operationId`);
      else if (operationIds.has(id)) problems.push(`operationId ${id} is used by ${operationIds.get(id)} and ${where}`);
      else operationIds.set(id, where);
      const tags = (op.tags ?? []) as string[];
      if (tags.length !== 1) {
        problems.push(`${where} (${by.join(', ')}): needs exactly one tag (its worker's), has ${tags.length}`);
        continue;
      }
      const tag = tags[0] as string;
      if (by.length > 1) sharedTags.add(tag);
      else workerTags.get(by[0] as string)?.add(tag);
    }
  }

  // One tag per worker, not shared with another worker or with the shared routes.
  const tags: Obj[] = [];
  const tagOwner = new Map<string, string>();
  for (const w of workers) {
    const used = [...(workerTags.get(w.name) ?? [])];
    if (used.length > 1) problems.push(`${w.name}: its operations use several tags (${used.join(', ')}); use one`);
    const name = used[0] ?? fallbackTag(w);
    const clash = tagOwner.get(name) ?? (sharedTags.has(name) ? 'the shared routes' : undefined);
    if (clash) problems.push(`${w.name}: tag "${name}" is also used by ${clash}; each worker has its own tag`);
    tagOwner.set(name, w.name);
    const description = String((w.doc.info as Obj | undefined)?.description ?? '').trim();
    const prod = serversOf.get(w.name)?.[0]?.url;
    tags.push({
      name,
      description: `${description}${description ? ' ' : ''}Served by the ${w.name} worker${prod ? ` (${prod})` : ''}.`,
    });
  }
  for (const name of [...sharedTags].sort()) tags.push({ name, description: SHARED_TAG_DESCRIPTION });

  // Components: one entry per name; same name must mean the same thing.
  const components: Record<string, Obj> = {};
  const componentOwner = new Map<string, string>();
  for (const w of workers) {
    for (const [section, entries] of Object.entries((w.doc.components ?? {}) as Obj)) {
      if (!isObj(entries)) continue;
      for (const [name, value] of Object.entries(entries)) {
        const key = `${section}/${name}`;
        if (!components[section]) components[section] = {};
        const target = components[section];
        if (!(name in target)) {
          target[name] = value;
          componentOwner.set(key, w.name);
        } else if (!jsonEqual(target[name], value)) {
          problems.push(
            `component ${key} differs between ${componentOwner.get(key)} and ${w.name}: ` +
              `${short(target[name])} vs ${short(value)} (rename one, or share the schema from @codex/contract)`,
          );
        }
      }
    }
  }
  for (const section of Object.keys(components)) {
    if (Object.keys(components[section] as Obj).length === 0) delete components[section];
  }

  // Webhooks (none today): same rule as components.
  const webhooks: Obj = {};
  for (const w of workers) {
    for (const [name, value] of Object.entries((w.doc.webhooks ?? {}) as Obj)) {
      if (name in webhooks && !jsonEqual(webhooks[name], value))
        problems.push(`webhook ${name} differs between workers (${w.name})`);
      webhooks[name] = value;
    }
  }

  if (problems.length) throw new ContractMergeError(problems);

  const doc: Obj = {
    openapi: '3.1.0',
    info: { title: info.title, version: info.version, description: info.description },
    // Tools that ignore path-level servers get each worker's production URL; every path item
    // lists the exact servers (production, staging, local dev) of the worker(s) serving it.
    servers: workers.map((w) => ({
      url: serversOf.get(w.name)?.[0]?.url ?? '',
      description: `${w.name} worker (production); each path lists its own servers`,
    })),
    tags,
    paths,
    ...(Object.keys(webhooks).length ? { webhooks } : {}),
    components,
  };
  return { doc: canonicalize(doc), owners };
}
