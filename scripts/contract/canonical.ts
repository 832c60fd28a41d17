/**
 * Stable key order for OpenAPI documents, so the generated files diff cleanly and two
 * runs give identical bytes. "Map" objects (paths, responses, components, media types)
 * are sorted; structural objects (operations, schemas) get the conventional OpenAPI
 * order; schema property order is kept as declared (it is meaningful to readers).
 */
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const ROOT_ORDER = [
  'openapi',
  'info',
  'jsonSchemaDialect',
  'servers',
  'security',
  'tags',
  'paths',
  'webhooks',
  'components',
  'externalDocs',
];
const INFO_ORDER = ['title', 'version', 'summary', 'description', 'termsOfService', 'contact', 'license'];
const PATH_ITEM_ORDER = ['summary', 'description', 'servers', 'parameters', ...HTTP_METHODS];
const OPERATION_ORDER = [
  'operationId',
  'tags',
  'summary',
  'description',
  'deprecated',
  'security',
  'servers',
  'parameters',
  'requestBody',
  'responses',
  'callbacks',
];
const COMPONENT_SECTIONS = [
  'schemas',
  'responses',
  'parameters',
  'examples',
  'requestBodies',
  'headers',
  'securitySchemes',
  'links',
  'callbacks',
  'pathItems',
];

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Keys listed in `order` first (in that order), the rest alphabetically. */
function ordered(
  obj: Obj,
  order: readonly string[],
  map: (key: string, value: unknown) => unknown = (_k, v) => v,
): Obj {
  const out: Obj = {};
  for (const k of order) if (k in obj) out[k] = map(k, obj[k]);
  for (const k of Object.keys(obj)
    .filter((k) => !order.includes(k))
    .sort(byString))
    out[k] = map(k, obj[k]);
  return out;
}

function sortedMap(obj: unknown, each: (value: unknown) => unknown = (v) => v): unknown {
  if (!isObj(obj)) return obj;
  return ordered(obj, [], (_k, v) => each(v));
}

function responses(obj: unknown): unknown {
  if (!isObj(obj)) return obj;
  // Status codes in numeric order, then ranges ("4XX") and "default".
  const rank = (k: string) => (/^\d{3}$/.test(k) ? Number(k) : k === 'default' ? 2000 : 1000 + k.charCodeAt(0));
  const out: Obj = {};
  for (const k of Object.keys(obj).sort((a, b) => rank(a) - rank(b) || byString(a, b))) out[k] = response(obj[k]);
  return out;
}

function response(obj: unknown): unknown {
  if (!isObj(obj)) return obj;
  return ordered(obj, ['$ref', 'description', 'headers', 'content', 'links'], (k, v) =>
    k === 'content' || k === 'headers' || k === 'links' ? sortedMap(v) : v,
  );
}

function operation(obj: unknown): unknown {
  if (!isObj(obj)) return obj;
  return ordered(obj, OPERATION_ORDER, (k, v) => {
    if (k === 'responses') return responses(v);
    if (k === 'requestBody' && isObj(v))
      return ordered(v, ['$ref', 'description', 'required', 'content'], (k2, v2) =>
        k2 === 'content' ? sortedMap(v2) : v2,
      );
    return v;
  });
}

function pathItem(obj: unknown): unknown {
  if (!isObj(obj)) return obj;
  return ordered(obj, PATH_ITEM_ORDER, (k, v) => ((HTTP_METHODS as readonly string[]).includes(k) ? operation(v) : v));
}

/** Returns a copy of the document with the canonical key order (values are not changed). */
export function canonicalize<T extends Obj>(doc: T): T {
  return ordered(doc, ROOT_ORDER, (k, v) => {
    if (k === 'info' && isObj(v)) return ordered(v, INFO_ORDER);
    if (k === 'paths' || k === 'webhooks') return sortedMap(v, pathItem);
    if (k === 'components' && isObj(v))
      return ordered(v, COMPONENT_SECTIONS, (section, entries) =>
        section === 'responses' ? sortedMap(entries, response) : sortedMap(entries),
      );
    return v;
  }) as T;
}

/** Deep equality of JSON values where object key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (!isObj(a) || !isObj(b)) return false;
  const ka = Object.keys(a).filter((k) => a[k] !== undefined);
  const kb = Object.keys(b).filter((k) => b[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

/** Deterministic JSON text (2-space indent, trailing newline). */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
