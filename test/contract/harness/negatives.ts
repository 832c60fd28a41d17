/**
 * Negative cases generated from the contract for every operation with inputs. Each starts from a valid request
 * (the operation's success scenario) and breaks one thing: a missing required field, a wrong type, a value out of
 * its documented range/pattern/enum/format, an unknown field, a malformed path or query parameter, malformed JSON,
 * the wrong content type (415), an oversized body (413), or no/invalid session (401).
 */
import { type Contract, deref, documentedStatuses, type JsonSchema, jsonMediaType, type Operation } from './contract';
import type { RequestSpec } from './types';

export interface NegativeCase {
  name: string;
  status: number;
  /** When set, the 400 envelope's details must name this field (or unknown key). */
  field?: string;
  mutate(base: RequestSpec): RequestSpec;
}

type Obj = Record<string, unknown>;

const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));
const ONE_MIB = 1024 * 1024;
export const UNKNOWN_FIELD = 'contractUnknownField';
export const FORGED_COOKIE = 'codex-session=forged-token.forged-signature';

function typesOf(schema: JsonSchema): string[] {
  const t = schema.type;
  if (Array.isArray(t)) return t as string[];
  if (typeof t === 'string') return [t];
  if (schema.properties) return ['object'];
  return [];
}

/** Whether a JSON value is of the given JSON Schema type. */
export function matchesType(value: unknown, type: string) {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number';
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'null':
      return value === null;
    default:
      return false;
  }
}

/** A JSON value of a type the schema does not allow. */
function wrongType(schema: JsonSchema): unknown {
  const types = typesOf(schema);
  if (types.length === 0) return undefined;
  const candidates: unknown[] = [12345, 'not-a-number', true, ['x'], { x: 1 }];
  return candidates.find((c) => !types.some((t) => matchesType(c, t)));
}

function patternOf(schema: JsonSchema): RegExp | undefined {
  if (typeof schema.pattern !== 'string') return undefined;
  try {
    return new RegExp(schema.pattern, 'u');
  } catch {
    return new RegExp(schema.pattern);
  }
}

const BAD_FORMATS: Record<string, string> = {
  email: 'not-an-email',
  uuid: 'not-a-uuid',
  'date-time': 'not-a-date-time',
  date: '2024-13-45',
  time: '25:61',
  uri: 'not a uri',
  url: 'not a url',
  ipv4: '999.1.1.1',
};

/** Values that break one documented constraint each, labelled. */
function outOfRange(schema: JsonSchema): Array<{ label: string; value: unknown }> {
  const out: Array<{ label: string; value: unknown }> = [];
  const types = typesOf(schema);
  if (Array.isArray(schema.enum)) {
    const bad = ['not-in-enum', 987654].find((v) => !(schema.enum as unknown[]).includes(v));
    out.push({ label: 'not in enum', value: bad });
  }
  if ('const' in schema) out.push({ label: 'not the const', value: schema.const === 'x' ? 'y' : 'x' });
  if (types.includes('string')) {
    const min = schema.minLength as number | undefined;
    const max = schema.maxLength as number | undefined;
    const format = schema.format as string | undefined;
    if (typeof min === 'number' && min > 0)
      out.push({ label: `shorter than minLength ${min}`, value: 'a'.repeat(min - 1) });
    if (typeof max === 'number') {
      const long =
        format === 'email'
          ? `${'a'.repeat(Math.max(1, max + 1 - '@example.com'.length))}@example.com`
          : 'a'.repeat(max + 1);
      out.push({ label: `longer than maxLength ${max}`, value: long });
    }
    if (format && BAD_FORMATS[format]) out.push({ label: `not a valid ${format}`, value: BAD_FORMATS[format] });
    const re = patternOf(schema);
    if (re) {
      const bad = ['!! not matching !!', ' ', '-', 'UPPER CASE', '', '€'].find((c) => !re.test(c));
      if (bad !== undefined) out.push({ label: `not matching pattern ${schema.pattern}`, value: bad });
    }
  }
  if (types.includes('integer') || types.includes('number')) {
    if (typeof schema.minimum === 'number')
      out.push({ label: `below minimum ${schema.minimum}`, value: schema.minimum - 1 });
    if (typeof schema.exclusiveMinimum === 'number') {
      out.push({ label: `not above exclusiveMinimum ${schema.exclusiveMinimum}`, value: schema.exclusiveMinimum });
    }
    if (typeof schema.maximum === 'number')
      out.push({ label: `above maximum ${schema.maximum}`, value: schema.maximum + 1 });
    if (typeof schema.exclusiveMaximum === 'number') {
      out.push({ label: `not below exclusiveMaximum ${schema.exclusiveMaximum}`, value: schema.exclusiveMaximum });
    }
    if (types.includes('integer') && !types.includes('number')) out.push({ label: 'not an integer', value: 1.5 });
  }
  if (types.includes('array')) {
    if (typeof schema.minItems === 'number' && schema.minItems > 0)
      out.push({ label: `fewer than minItems ${schema.minItems}`, value: [] });
  }
  return out;
}

function setAt(obj: Obj, path: string[], value: unknown) {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    let next = cur[key];
    if (!next || typeof next !== 'object' || Array.isArray(next)) {
      next = {};
      cur[key] = next;
    }
    cur = next as Obj;
  }
  const last = path[path.length - 1] as string;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
}

function bodyCases(doc: Obj, schema: JsonSchema, path: string[], depth: number, out: NegativeCase[]) {
  const s = deref<JsonSchema>(doc, schema);
  if (!typesOf(s).includes('object') || !s.properties) return;
  const props = s.properties as Record<string, JsonSchema>;
  const required = new Set((s.required as string[] | undefined) ?? []);
  const label = (p: string[]) => p.join('.');
  const put = (p: string[], value: unknown) => (base: RequestSpec) => {
    const body = clone((base.body ?? {}) as Obj);
    setAt(body, p, value);
    return { ...base, body };
  };
  for (const [name, raw] of Object.entries(props)) {
    const p = [...path, name];
    const f = label(p);
    const prop = deref<JsonSchema>(doc, raw);
    if (required.has(name))
      out.push({ name: `body: required ${f} missing`, status: 400, field: f, mutate: put(p, undefined) });
    const wrong = wrongType(prop);
    if (wrong !== undefined) {
      out.push({
        name: `body: ${f} of the wrong type (${JSON.stringify(wrong)})`,
        status: 400,
        field: f,
        mutate: put(p, wrong),
      });
    }
    for (const { label: why, value } of outOfRange(prop)) {
      out.push({ name: `body: ${f} ${why}`, status: 400, field: f, mutate: put(p, value) });
    }
    if (depth < 2) bodyCases(doc, prop, p, depth + 1, out);
  }
  out.push({
    name: `body: unknown field ${path.length ? `${label(path)}.` : ''}${UNKNOWN_FIELD}`,
    status: 400,
    field: UNKNOWN_FIELD,
    mutate: put([...path, UNKNOWN_FIELD], 'x'),
  });
}

/** Bad string values for a path/query parameter. */
function badParamValues(schema: JsonSchema): Array<{ label: string; value: string }> {
  const out: Array<{ label: string; value: string }> = [];
  const types = typesOf(schema);
  if (types.includes('integer') || types.includes('number')) out.push({ label: 'not a number', value: 'abc' });
  for (const { label, value } of outOfRange(schema)) {
    if (value === '') continue; // an empty value is "absent" for most parsers; missing-ness is tested separately
    out.push({ label, value: typeof value === 'string' ? value : JSON.stringify(value) });
  }
  if (types.includes('boolean')) out.push({ label: 'not a boolean', value: 'yes' });
  return out;
}

export function generateNegatives(contract: Contract, op: Operation): NegativeCase[] {
  const doc = contract.doc;
  const out: NegativeCase[] = [];
  const documented = documentedStatuses(op);

  for (const param of op.parameters) {
    if (param.in === 'path') {
      for (const { label, value } of badParamValues(param.schema)) {
        out.push({
          name: `path: {${param.name}} ${label}`,
          status: 400,
          field: param.name,
          mutate: (base) => ({ ...base, params: { ...base.params, [param.name]: value } }),
        });
      }
    } else if (param.in === 'query') {
      if (param.required) {
        out.push({
          name: `query: required ${param.name} missing`,
          status: 400,
          field: param.name,
          mutate: (base) => ({ ...base, query: { ...base.query, [param.name]: undefined } }),
        });
      }
      for (const { label, value } of badParamValues(param.schema)) {
        out.push({
          name: `query: ${param.name} ${label}`,
          status: 400,
          field: param.name,
          mutate: (base) => ({ ...base, query: { ...base.query, [param.name]: value } }),
        });
      }
    }
  }

  const jsonType = jsonMediaType(op);
  // A signed body (Stripe webhooks, security scheme `stripeSignature`): any change to the body is a signature
  // failure (401), so no body mutations are generated; instead: the signature header missing → 401
  // MISSING_SIGNATURE (the security scheme's credential is absent). The operation's scenarios cover bad signatures.
  const signedBody = op.security.some((req) => 'stripeSignature' in req);
  if (jsonType && signedBody) {
    out.push({
      name: 'signature: stripe-signature header missing → 401',
      status: 401,
      mutate: (base) => {
        const headers = { ...base.headers };
        for (const k of Object.keys(headers)) if (k.toLowerCase() === 'stripe-signature') delete headers[k];
        return { ...base, headers };
      },
    });
  }
  if (jsonType) {
    const schema = op.requestBody?.content[jsonType] ?? {};
    if (!signedBody) bodyCases(doc, schema, [], 0, out);
    const bare = (base: RequestSpec) => {
      const headers = { ...base.headers };
      for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-type') delete headers[k];
      return headers;
    };
    if (!signedBody)
      out.push({
        name: 'body: malformed JSON',
        status: 400,
        mutate: (base) => ({
          ...base,
          body: undefined,
          rawBody: '{"broken": ',
          headers: { ...bare(base), 'content-type': 'application/json' },
        }),
      });
    if (!signedBody)
      out.push({
        name: 'body: a JSON array instead of an object',
        status: 400,
        mutate: (base) => ({ ...base, body: [base.body] }),
      });
    if (op.requestBody?.required && !signedBody) {
      out.push({
        name: 'body: empty',
        status: 400,
        mutate: (base) => ({
          ...base,
          body: undefined,
          rawBody: '',
          headers: { ...bare(base), 'content-type': 'application/json' },
        }),
      });
    }
    out.push({
      name: 'content type: text/plain instead of JSON → 415',
      status: 415,
      mutate: (base) => ({
        ...base,
        body: undefined,
        rawBody: JSON.stringify(base.body ?? {}),
        headers: { ...bare(base), 'content-type': 'text/plain' },
      }),
    });
    if (documented.includes(413)) {
      out.push({
        name: 'body: over 1 MiB → 413',
        status: 413,
        // rawBody (a base that sends its body as is, e.g. a signed webhook) would take precedence over body.
        mutate: (base) => ({
          ...base,
          rawBody: undefined,
          body: { ...((base.body ?? {}) as Obj), padding: 'x'.repeat(ONE_MIB + 1) },
        }),
      });
    }
  }

  if (op.sessionRequired) {
    const withoutCookie = (base: RequestSpec) => {
      const headers = { ...base.headers };
      for (const k of Object.keys(headers)) if (k.toLowerCase() === 'cookie') delete headers[k];
      return { ...base, headers, cookie: undefined };
    };
    out.push({ name: 'session: anonymous → 401', status: 401, mutate: withoutCookie });
    out.push({
      name: 'session: forged cookie → 401',
      status: 401,
      mutate: (base) => ({ ...withoutCookie(base), cookie: FORGED_COOKIE }),
    });
  }
  return out;
}

/** Strips the per-request headers a base request carried, so each generated request gets fresh ones. */
export function freshHeaders(spec: RequestSpec): RequestSpec {
  const headers = { ...spec.headers };
  for (const k of Object.keys(headers)) {
    if (['cf-connecting-ip', 'x-request-id'].includes(k.toLowerCase())) delete headers[k];
  }
  return { ...spec, headers };
}
