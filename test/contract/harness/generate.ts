/**
 * Requests generated from the contract's own request schemas, for the generated check (generated.test.ts):
 *
 * - valid ones: optional fields present and absent, boundary lengths (min/max, also in non-ASCII and astral
 *   characters), every enum value, each oneOf/anyOf variant, non-ASCII text (accents, emoji, RTL, combining
 *   marks), both booleans, numeric bounds, null where allowed, upper-case ids;
 * - invalid ones: a required field missing, a wrong type, over maxLength / under minLength, a bad enum, a pattern
 *   or format violation, an unknown field where additionalProperties is false, minProperties violated — inside
 *   every union variant and at every depth (what harness/negatives.ts does not reach);
 * - hostile strings for every string position and every parameter.
 *
 * Every generated value is checked against the contract with Ajv before it is sent: a "valid" value that the
 * contract refuses, or an "invalid" one it accepts, is a generator limitation and is dropped (and counted), never
 * sent — so what the check asserts is exactly what the contract states.
 */
import { deref, type JsonSchema, type Operation } from './contract';
import { matchesType } from './negatives';
import type { SchemaValidator } from './validate';

type Obj = Record<string, unknown>;

/** A schema with the JSON pointer it lives at (after following $refs), for Ajv validation of sub-values. */
export interface Node {
  schema: JsonSchema;
  pointer: string;
}

export interface Labelled {
  label: string;
  value: unknown;
}

const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
const clone = <T>(v: T): T => (v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T));

/** Follows `$ref`s, keeping the pointer of the schema reached. */
export function resolve(doc: Obj, node: Node): Node {
  let { schema, pointer } = node;
  for (let i = 0; i < 20 && typeof schema.$ref === 'string'; i++) {
    const ref = schema.$ref as string;
    pointer = ref.slice(1);
    schema = deref<JsonSchema>(doc, { $ref: ref });
  }
  return { schema, pointer };
}

const child = (doc: Obj, n: Node, ...path: Array<string | number>): Node =>
  resolve(doc, {
    schema: path.reduce<unknown>((o, k) => (o as Obj)[k], n.schema) as JsonSchema,
    pointer: `${n.pointer}/${path.map((p) => esc(String(p))).join('/')}`,
  });

function typesOf(s: JsonSchema): string[] {
  if (Array.isArray(s.type)) return s.type as string[];
  if (typeof s.type === 'string') return [s.type];
  if (s.properties) return ['object'];
  return [];
}

function variantsOf(doc: Obj, n: Node): Array<{ node: Node; name: string }> {
  const key = Array.isArray(n.schema.oneOf) ? 'oneOf' : Array.isArray(n.schema.anyOf) ? 'anyOf' : undefined;
  if (!key) return [];
  return (n.schema[key] as JsonSchema[]).map((_, i) => {
    const node = child(doc, n, key, i);
    const title = (node.schema.title as string | undefined) ?? variantName(node.schema) ?? String(i + 1);
    return { node, name: title };
  });
}

/** A readable name for a union member: its discriminating const, else its type. */
function variantName(s: JsonSchema): string | undefined {
  for (const [k, p] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>)) {
    if ('const' in p) return `${k}=${String(p.const)}`;
  }
  const t = typesOf(s);
  return t.length ? t.join('|') : undefined;
}

const charCount = (s: string) => [...s].length;

/** Text samples beyond ASCII: accents, emoji (astral and ZWJ sequences), RTL scripts, combining marks. */
export const NON_ASCII_SAMPLES = [
  'Crème brûlée — naïve café 中文',
  '🎬🍿 Film night 👩‍👩‍👧',
  'שלום עולם مرحبا \u202Bembedded RTL\u202C',
  'e\u0301\u0302 Ze\u0351\u0352a\u0300 combining',
];

/** Values the generator offers for strings, before the schema filters them. */
function stringCandidates(s: JsonSchema, counter: () => number): string[] {
  const format = s.format as string | undefined;
  const n = counter();
  if (format === 'email') return [`gen-${Date.now().toString(36)}-${n}@example.com`];
  if (format === 'uuid') return [crypto.randomUUID()];
  if (format === 'uri' || format === 'url') return ['https://app.codex.test/generated'];
  if (format === 'date-time') return [new Date().toISOString()];
  if (format === 'date') return ['2026-01-02'];
  const out: string[] = [];
  for (const v of [s.example, s.default]) if (typeof v === 'string') out.push(v);
  out.push(`generated-${n}`, 'generated', 'abc', 'a', 'a-b', 'Abc1', 'https://app.codex.test/generated');
  const min = (s.minLength as number | undefined) ?? 0;
  const max = s.maxLength as number | undefined;
  return out.map((c) => {
    let v = c;
    while (charCount(v) < min) v += 'a';
    if (max !== undefined && charCount(v) > max) v = [...v].slice(0, max).join('');
    return v;
  });
}

export class Generator {
  private n = 0;
  /** Generated values the contract refused although meant valid (or accepted although meant invalid). */
  readonly dropped: string[] = [];

  constructor(
    private readonly doc: Obj,
    private readonly validator: SchemaValidator,
  ) {}

  valid(node: Node, value: unknown) {
    return this.validator.validate(node.pointer, value).length === 0;
  }

  private next = () => {
    this.n += 1;
    return this.n;
  };

  /** A value valid for the schema, as close to `hint` (e.g. the scenario's own value) as it can be. */
  sample(node: Node, hint?: unknown, depth = 0): unknown {
    const n = resolve(this.doc, node);
    const s = n.schema;
    if (hint !== undefined && this.valid(n, hint)) return clone(hint);
    if ('const' in s) return s.const;
    if (Array.isArray(s.enum)) return s.enum.find((e) => e !== null) ?? s.enum[0];
    const variants = variantsOf(this.doc, n);
    if (variants.length) {
      const nonNull = variants.filter((v) => !typesOf(v.node.schema).every((t) => t === 'null'));
      const first = nonNull[0] ?? variants[0];
      return first ? this.sample(first.node, hint, depth + 1) : null;
    }
    if (Array.isArray(s.allOf)) {
      const parts = (s.allOf as JsonSchema[]).map((_, i) => this.sample(child(this.doc, n, 'allOf', i), hint, depth));
      if (parts.every((p) => p && typeof p === 'object' && !Array.isArray(p))) return Object.assign({}, ...parts);
      return parts[0];
    }
    const types = typesOf(s).filter((t) => t !== 'null');
    const type = types[0] ?? (typesOf(s).includes('null') ? 'null' : 'string');
    switch (type) {
      case 'object': {
        const h = hint && typeof hint === 'object' && !Array.isArray(hint) ? (hint as Obj) : {};
        const props = (s.properties ?? {}) as Record<string, JsonSchema>;
        const required = (s.required as string[] | undefined) ?? [];
        const out: Obj = {};
        for (const k of Object.keys(props)) {
          if (required.includes(k) || (k in h && depth < 6)) {
            out[k] = this.sample(child(this.doc, n, 'properties', k), h[k], depth + 1);
          }
        }
        const minProps = (s.minProperties as number | undefined) ?? 0;
        for (const k of Object.keys(props)) {
          if (Object.keys(out).length >= minProps) break;
          if (!(k in out)) out[k] = this.sample(child(this.doc, n, 'properties', k), undefined, depth + 1);
        }
        return out;
      }
      case 'array': {
        const min = (s.minItems as number | undefined) ?? 0;
        const h = Array.isArray(hint) ? hint : [];
        const items = s.items ? child(this.doc, n, 'items') : undefined;
        const out = h.map((x) => (items ? this.sample(items, x, depth + 1) : x));
        while (out.length < min) out.push(items ? this.sample(items, undefined, depth + 1) : 'x');
        return out;
      }
      case 'string': {
        const cands = stringCandidates(s, this.next);
        return cands.find((c) => this.valid(n, c)) ?? cands[0];
      }
      case 'integer':
      case 'number': {
        if (typeof hint === 'number') return hint;
        const ex = s.example ?? s.default;
        if (typeof ex === 'number') return ex;
        if (typeof s.minimum === 'number') return s.minimum;
        if (typeof s.exclusiveMinimum === 'number') return s.exclusiveMinimum + 1;
        return 1;
      }
      case 'boolean':
        return typeof hint === 'boolean' ? hint : true;
      case 'null':
        return null;
      default:
        return hint;
    }
  }

  /**
   * Valid values for the position, each one change away from `base` (itself valid): the variations listed in the
   * header. Values the position's own schema refuses are dropped here; the caller checks the whole request again.
   */
  validVariants(node: Node, base: unknown, depth = 0): Labelled[] {
    const n = resolve(this.doc, node);
    const s = n.schema;
    const out: Labelled[] = [];
    const add = (label: string, value: unknown) => {
      if (this.valid(n, value)) out.push({ label, value });
    };
    if (depth > 6) return out;
    if (Array.isArray(s.enum)) {
      for (const e of s.enum) if (e !== base) add(`enum ${JSON.stringify(e)}`, e);
      return out;
    }
    if ('const' in s) return out;
    const variants = variantsOf(this.doc, n);
    if (variants.length) {
      for (const v of variants) {
        const sample = this.sample(v.node, base, depth + 1);
        add(`variant ${v.name}`, sample);
        for (const inner of this.validVariants(v.node, sample, depth + 1)) {
          add(`variant ${v.name}: ${inner.label}`, inner.value);
        }
      }
      return out;
    }
    const types = typesOf(s);
    if (types.includes('null') && base !== null) add('null', null);
    if (types.includes('object') && base && typeof base === 'object' && !Array.isArray(base)) {
      const b = base as Obj;
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((s.required as string[] | undefined) ?? []);
      const minimal: Obj = {};
      const maximal: Obj = { ...b };
      for (const [k] of Object.entries(props)) {
        const p = child(this.doc, n, 'properties', k);
        if (required.has(k)) minimal[k] = b[k];
        if (!(k in maximal)) maximal[k] = this.sample(p, undefined, depth + 1);
        if (!required.has(k) && k in b) {
          const { [k]: _, ...rest } = b;
          add(`without optional ${k}`, rest);
        }
        if (!required.has(k) && !(k in b)) add(`with optional ${k}`, { ...b, [k]: maximal[k] });
        const current = k in b ? b[k] : maximal[k];
        for (const inner of this.validVariants(p, current, depth + 1)) {
          add(`${k}: ${inner.label}`, { ...b, [k]: inner.value });
        }
      }
      if (Object.keys(minimal).length !== Object.keys(b).length) add('required fields only', minimal);
      add('every optional field present', maximal);
      return out;
    }
    if (types.includes('array') && Array.isArray(base)) {
      if (((s.minItems as number | undefined) ?? 0) === 0 && base.length) add('empty array', []);
      return out;
    }
    if (types.includes('string') && typeof base === 'string') {
      for (const { label, value } of this.stringVariants(s)) if (value !== base) add(label, value);
    }
    if ((types.includes('integer') || types.includes('number')) && typeof base === 'number') {
      const nums: Array<[string, number]> = [];
      if (typeof s.minimum === 'number') nums.push([`minimum ${s.minimum}`, s.minimum]);
      if (typeof s.maximum === 'number') nums.push([`maximum ${s.maximum}`, s.maximum]);
      if (typeof s.exclusiveMinimum === 'number')
        nums.push([`just above ${s.exclusiveMinimum}`, s.exclusiveMinimum + 1]);
      if (typeof s.exclusiveMaximum === 'number')
        nums.push([`just below ${s.exclusiveMaximum}`, s.exclusiveMaximum - 1]);
      for (const [label, v] of nums) if (v !== base) add(label, v);
    }
    if (types.includes('boolean') && typeof base === 'boolean') add(`${!base}`, !base);
    return out;
  }

  /** Boundary lengths and non-ASCII text for a string schema (unfiltered). */
  stringVariants(s: JsonSchema): Labelled[] {
    const out: Labelled[] = [];
    const min = (s.minLength as number | undefined) ?? 0;
    const max = s.maxLength as number | undefined;
    const format = s.format as string | undefined;
    if (format === 'email') {
      if (max) {
        // local part of 64 and labels of at most 63 characters, to exactly `max`
        const local = 'a'.repeat(64);
        let domain = 'example.com';
        while (local.length + 1 + domain.length < max) {
          const room = max - (local.length + 1 + domain.length) - 1;
          domain = `${'b'.repeat(Math.min(63, Math.max(1, room)))}.${domain}`;
        }
        out.push({ label: `email of maxLength ${max}`, value: `${local}@${domain}` });
      }
      out.push({ label: 'email in mixed case', value: `Gen.Mixed+${this.next()}@Example.COM` });
      return out;
    }
    if (format) return out;
    for (const [name, ch] of [
      ['a', 'a'],
      ['emoji', '😀'],
      ['digit', '7'],
    ] as const) {
      if (min > 0) out.push({ label: `minLength ${min} of ${name}`, value: ch.repeat(min).slice(0, min * ch.length) });
      if (max !== undefined) {
        const unit = [...ch];
        const v = Array.from({ length: max }, (_, i) => unit[i % unit.length]).join('');
        out.push({ label: `maxLength ${max} of ${name}`, value: v });
      }
    }
    if (min === 0) out.push({ label: 'empty string', value: '' });
    for (const t of NON_ASCII_SAMPLES) {
      const v = max !== undefined && charCount(t) > max ? [...t].slice(0, max).join('') : t;
      if (charCount(v) >= min) out.push({ label: `non-ASCII ${JSON.stringify(v).slice(0, 40)}`, value: v });
    }
    return out;
  }

  /**
   * Invalid values for the position (each one change away from `base`): the position's own rules broken, then
   * recursively inside object properties and union variants. `negated` names what the change breaks.
   */
  invalidVariants(node: Node, base: unknown, depth = 0): Labelled[] {
    const n = resolve(this.doc, node);
    const s = n.schema;
    const out: Labelled[] = [];
    const add = (label: string, value: unknown) => {
      if (!this.valid(n, value)) out.push({ label, value });
    };
    if (depth > 6) return out;
    const variants = variantsOf(this.doc, n);
    if (variants.length) {
      for (const v of variants) {
        const sample = this.sample(v.node, base, depth + 1);
        for (const inner of this.invalidVariants(v.node, sample, depth + 1)) {
          add(`[${v.name}] ${inner.label}`, inner.value);
        }
      }
      return out;
    }
    const types = typesOf(s);
    const wrong = [12345, 'not-a-number', true, ['x'], { x: 1 }].find(
      (c) => !this.valid(n, c) && !types.some((t) => matchesType(c, t)),
    );
    if (wrong !== undefined && types.length) add(`of the wrong type (${JSON.stringify(wrong)})`, wrong);
    if (Array.isArray(s.enum)) add('not in enum', 'not-in-enum');
    if ('const' in s) add('not the const', s.const === 'x' ? 'y' : 'x');
    if (types.includes('string')) {
      const min = s.minLength as number | undefined;
      const max = s.maxLength as number | undefined;
      if (typeof min === 'number' && min > 0) add(`shorter than minLength ${min}`, '😀'.repeat(min - 1));
      if (typeof max === 'number') {
        add(`longer than maxLength ${max} (emoji)`, '😀'.repeat(max + 1));
        add(`longer than maxLength ${max}`, 'a'.repeat(max + 1));
      }
      if (typeof s.pattern === 'string') {
        for (const bad of ['!! not matching !!', ' ', 'a\u0000b', '\uD800', 'UPPER CASE']) {
          if (!this.valid(n, bad)) {
            add(`not matching pattern (${JSON.stringify(bad)})`, bad);
            break;
          }
        }
      }
      if (s.format === 'email') add('not a valid email', 'not-an-email');
      if (s.format === 'uuid') add('not a valid uuid', 'not-a-uuid');
      if (s.format === 'uri') add('not a valid uri', 'not a uri');
    }
    if (types.includes('integer') || types.includes('number')) {
      if (typeof s.minimum === 'number') add(`below minimum ${s.minimum}`, s.minimum - 1);
      if (typeof s.maximum === 'number') add(`above maximum ${s.maximum}`, s.maximum + 1);
      if (types.includes('integer') && !types.includes('number')) add('not an integer', 1.5);
    }
    if (types.includes('object') && base && typeof base === 'object' && !Array.isArray(base)) {
      const b = base as Obj;
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((s.required as string[] | undefined) ?? []);
      for (const k of Object.keys(props)) {
        const p = child(this.doc, n, 'properties', k);
        if (required.has(k) && k in b) {
          const { [k]: _, ...rest } = b;
          add(`required ${k} missing`, rest);
        }
        const current = k in b ? b[k] : this.sample(p, undefined, depth + 1);
        for (const inner of this.invalidVariants(p, current, depth + 1)) {
          add(`${k} ${inner.label}`, { ...b, [k]: inner.value });
        }
      }
      if (s.additionalProperties === false)
        add('unknown field contractUnknownField', { ...b, contractUnknownField: 'x' });
      if (typeof s.minProperties === 'number' && s.minProperties > 0) add(`minProperties ${s.minProperties}`, {});
    }
    return out;
  }

  /**
   * Positions that take text in a value of this schema, through every union variant: each with its path
   * (relative to this value) and a valid value of this schema in which the position exists.
   */
  stringPositions(node: Node, base: unknown, depth = 0): Array<{ path: string[]; base: unknown }> {
    const n = resolve(this.doc, node);
    const s = n.schema;
    if (depth > 6) return [];
    const variants = variantsOf(this.doc, n);
    if (variants.length) {
      return dedupePositions(
        variants.flatMap((v) => this.stringPositions(v.node, this.sample(v.node, base, depth + 1), depth + 1)),
      );
    }
    const types = typesOf(s);
    if (types.includes('object') && base && typeof base === 'object' && !Array.isArray(base)) {
      const out: Array<{ path: string[]; base: unknown }> = [];
      const b = base as Obj;
      for (const k of Object.keys((s.properties ?? {}) as Obj)) {
        const p = child(this.doc, n, 'properties', k);
        const current = k in b ? b[k] : this.sample(p, undefined, depth + 1);
        for (const inner of this.stringPositions(p, current, depth + 1)) {
          out.push({ path: [k, ...inner.path], base: { ...b, [k]: inner.base } });
        }
      }
      return dedupePositions(out);
    }
    if (types.includes('string') || Array.isArray(s.enum) || typeof s.const === 'string') return [{ path: [], base }];
    return [];
  }
}

/** `obj` with the value at `path` replaced (path [] = the value itself). */
export function setIn(obj: unknown, path: string[], value: unknown): Obj {
  if (path.length === 0) return value as Obj;
  const [k, ...rest] = path as [string, ...string[]];
  const o = obj && typeof obj === 'object' && !Array.isArray(obj) ? (obj as Obj) : {};
  return { ...o, [k]: setIn(o[k], rest, value) };
}

function dedupePositions(list: Array<{ path: string[]; base: unknown }>) {
  const seen = new Set<string>();
  return list.filter((p) => {
    const key = p.path.join('.');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The pointer of an operation's JSON request body schema. */
export function bodyNode(op: Operation, mediaType: string): Node {
  const raw = op.requestBody?.content[mediaType] ?? {};
  return { schema: raw, pointer: `${op.requestBody?.pointer}/content/${esc(mediaType)}/schema` };
}

/** The node of a parameter's schema (parameters are indexed already dereferenced; validate by value). */
export function paramNode(op: Operation, doc: Obj, name: string, where: 'path' | 'query'): Node | undefined {
  const paths = doc.paths as Record<string, Obj>;
  const item = paths[op.path] as Obj;
  const opObj = item[op.method.toLowerCase()] as Obj;
  for (const [owner, base] of [
    [opObj, `/paths/${esc(op.path)}/${op.method.toLowerCase()}`],
    [item, `/paths/${esc(op.path)}`],
  ] as const) {
    const list = (owner.parameters ?? []) as unknown[];
    for (let i = 0; i < list.length; i++) {
      const raw = list[i] as Obj;
      const p = deref<Obj>(doc, raw);
      if (p.name === name && p.in === where) {
        const pointer =
          typeof raw.$ref === 'string' ? `${(raw.$ref as string).slice(1)}/schema` : `${base}/parameters/${i}/schema`;
        return resolve(doc, { schema: p.schema as JsonSchema, pointer });
      }
    }
  }
  return undefined;
}

/** Hostile strings: what every text position and parameter must survive without a 5xx. */
export const HOSTILE_STRINGS: Labelled[] = [
  { label: 'NUL', value: 'a\u0000b' },
  { label: 'unpaired high surrogate', value: 'x\uD800y' },
  { label: 'unpaired low surrogate', value: '\uDC00' },
  { label: '1 MB string', value: 'x'.repeat(1_000_000) },
  { label: 'RTL override and combining marks', value: '\u202Egnp.exe\u202C Z\u0351\u0352\u0353a\u0300\u0301\u0302' },
  { label: 'SQL metacharacters', value: "' OR 1=1 --" },
  { label: 'SQL LIKE wildcards and quotes', value: "%_\\%'); DROP TABLE users; --" },
  { label: 'JSON and HTML metacharacters', value: '{"$ne":null}"]}</script><script>alert(1)</script>\\u0000' },
];

/**
 * Hostile values for headers: header values are bytes (no NUL, CR, LF; nothing above U+00FF), so the non-ASCII
 * ones are sent as their UTF-8 bytes read as Latin-1 — what a worker sees from a raw client.
 */
export const HOSTILE_HEADER_VALUES: Labelled[] = [
  { label: 'SQL metacharacters', value: "' OR 1=1 --" },
  { label: 'JSON metacharacters', value: '{"$ne":null}"],\\u0000' },
  { label: 'RTL override (UTF-8 bytes)', value: latin1Bytes('\u202Egnp.exe\u202C') },
  { label: 'combining marks (UTF-8 bytes)', value: latin1Bytes('Za\u0300\u0301\u0302') },
  { label: 'surrogate (WTF-8 bytes)', value: '\u00ED\u00A0\u0080' },
  { label: '1 MB value', value: 'x'.repeat(1_000_000) },
];

/** The subset for the headers every operation reads the same way (request id, client address, user agent). */
export const HOSTILE_COMMON_HEADER_VALUES: Labelled[] = [
  { label: 'SQL and JSON metacharacters', value: `' OR 1=1 -- {"$ne":null}"]` },
  { label: 'RTL override (UTF-8 bytes)', value: latin1Bytes('\u202Egnp.exe\u202C') },
  { label: '64 KB value', value: 'x'.repeat(64 * 1024) },
];

function latin1Bytes(s: string) {
  return String.fromCharCode(...new TextEncoder().encode(s));
}

/**
 * Percent-encodes a hostile string for a path segment or a query value, byte for byte, so that an unpaired
 * surrogate reaches the server as its WTF-8 bytes (%ED%A0%80) rather than being replaced by the client.
 */
export function encodeHostile(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
        out += encodeURIComponent(s.slice(i, i + 2));
        i++;
        continue;
      }
      // WTF-8: the surrogate's three bytes
      out += [0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`)
        .join('');
      continue;
    }
    out += encodeURIComponent(s[i] as string);
  }
  return out;
}
