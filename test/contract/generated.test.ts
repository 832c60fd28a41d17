/**
 * The generated check: requests generated from the contract's own request schemas (harness/generate.ts), sent to
 * the workers in-process (embedded PGlite, or PostgreSQL with DATABASE_URL), so a new field or operation is covered
 * without new test code.
 *
 * 1. Two-sided, for every operation with a body or parameters: every generated VALID request (optional fields
 *    present and absent, boundary lengths, every enum value, each union variant, non-ASCII text, upper-case ids) is
 *    never answered 400 nor 5xx (404/409/403… are business answers); every generated INVALID one (beyond what
 *    harness/negatives.ts already sends) is a 400 in the error envelope.
 * 2. Hostile strings (NUL, unpaired surrogates, 1 MB, RTL override, combining marks, SQL and JSON metacharacters)
 *    into every text position of every body, every path and query parameter and the headers the workers read:
 *    never a 5xx, and every 4xx in the envelope.
 *
 * Each request starts from the operation's scenario (scenarios/<worker>.ts): a signed-in user and real ids, so it
 * gets past authentication to validation and beyond. Every answer also goes through the contract checks of the
 * suite (documented status, body schema, envelope). A failure names the operation, the input and the answer.
 * Counts are printed at the end.
 */
import { sign, WEBHOOK_SECRETS } from '@codex/local/stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type SharedState } from './harness/context';
import { type Contract, jsonMediaType, loadContract, type Operation } from './harness/contract';
import {
  bodyNode,
  encodeHostile,
  Generator,
  HOSTILE_COMMON_HEADER_VALUES,
  HOSTILE_HEADER_VALUES,
  HOSTILE_STRINGS,
  type Labelled,
  paramNode,
  setIn,
} from './harness/generate';
import { freshHeaders, generateNegatives } from './harness/negatives';
import { buildRequest, type Checker, checkResponse, ENVELOPE_EXCEPTIONS } from './harness/runner';
import { startTarget, type Target } from './harness/target';
import type { Case, RequestSpec, WorkerName } from './harness/types';
import { createValidator } from './harness/validate';
import { scenarios } from './scenarios';

const LIVE = Boolean(process.env.CONTRACT_BASE_URL);
const contract: Contract = loadContract();
const doc = contract.doc;

let target: Target;
let checker: Checker;
let gen: Generator;
const shared: SharedState = {};

const counts = { valid: 0, invalid: 0, hostile: 0 };
const failures: string[] = [];

beforeAll(async () => {
  // Each generated request of an operation comes from one signed-in user: lift the per-user API limit for the run.
  target = await startTarget(contract, { RATE_LIMITS: 'api=1000000/60' });
  const validator = createValidator(contract);
  checker = { contract, validator, target };
  gen = new Generator(doc, validator);
});

afterAll(async () => {
  const mode = target?.mode ?? 'n/a';
  console.log(
    `\ngenerated check (${mode}): ${counts.valid} valid, ${counts.invalid} invalid, ${counts.hostile} hostile requests sent; ` +
      `${gen?.dropped.length ?? 0} generated values dropped (the contract disagreed with the generator); ` +
      `${failures.length} failures${failures.length ? `:\n  - ${failures.slice(0, 200).join('\n  - ')}` : ''}\n`,
  );
  const slowest = [...timing.entries()].sort((a, b) => b[1] - a[1]).slice(0, 8);
  console.log(`slowest operations: ${slowest.map(([id, ms]) => `${id} ${(ms / 1000).toFixed(1)} s`).join(', ')}`);
  await target?.close();
});

const LARGE = HOSTILE_STRINGS.find((h) => (h.value as string).length >= 1_000_000)?.label;
const isSuccess = (s: number) => s >= 200 && s < 300;
const hasInputs = (op: Operation) =>
  op.parameters.some((p) => p.in === 'path' || p.in === 'query') || Boolean(op.requestBody);
const signedBody = (op: Operation) => op.security.some((req) => 'stripeSignature' in req);
const sessionCookie = (op: Operation) => op.security.some((req) => 'sessionCookie' in req);

/** The case generated requests start from: the marked success case, else a success case, else the marked one. */
function baseCase(op: Operation): Case | undefined {
  const cases = scenarios[op.operationId] ?? [];
  const marked = cases.find((c) => c.negativeBase);
  if (marked && isSuccess(marked.status)) return marked;
  return cases.find((c) => isSuccess(c.status)) ?? marked ?? cases[0];
}

interface Base {
  spec: RequestSpec;
  env: Record<string, unknown> | undefined;
  worker: WorkerName;
  /** The JSON body (parsed from rawBody for signed bodies), when the operation takes one. */
  body: unknown;
  json: string | undefined;
}

async function buildBase(op: Operation, c: Case): Promise<Base> {
  const worker = op.workers[0] as WorkerName;
  const ctx = createContext(checker, worker, shared);
  const state = c.setup ? await c.setup(ctx) : undefined;
  const spec = freshHeaders(await c.request(ctx, state));
  const json = jsonMediaType(op);
  let body = spec.body;
  if (json && body === undefined && typeof spec.rawBody === 'string') body = JSON.parse(spec.rawBody);
  return { spec, env: c.env, worker, body, json };
}

/** One base per operation for the two-sided check, one for the hostile strings (a fresh state, its own user). */
const bases = new Map<string, Promise<Base>>();
function sharedBase(op: Operation, c: Case, use: 'checks' | 'hostile') {
  const key = `${op.operationId} ${use}`;
  let p = bases.get(key);
  if (!p) {
    p = buildBase(op, c);
    bases.set(key, p);
  }
  return p;
}

/** Time spent per operation (setup and requests), for the summary. */
const timing = new Map<string, number>();
async function timed<T>(op: Operation, run: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await run();
  } finally {
    timing.set(op.operationId, (timing.get(op.operationId) ?? 0) + performance.now() - t0);
  }
}

/** The request with `body` as its JSON body (re-signed with the endpoint's secret for a signed webhook body). */
async function withBody(op: Operation, base: Base, body: unknown): Promise<RequestSpec> {
  if (!signedBody(op)) return { ...base.spec, body, rawBody: undefined };
  const raw = JSON.stringify(body);
  const endpoint = op.path.split('/').pop() as keyof typeof WEBHOOK_SECRETS;
  const signature = await sign(raw, WEBHOOK_SECRETS[endpoint]);
  return {
    ...base.spec,
    body: undefined,
    rawBody: raw,
    headers: { ...base.spec.headers, 'stripe-signature': signature },
  };
}

interface Answer {
  status: number;
  text: string;
  problems: string[];
}

async function send(op: Operation, base: Base, spec: RequestSpec, rawPath?: string): Promise<Answer> {
  const sent = buildRequest(op, spec);
  const res = await target.send(base.worker, rawPath ?? sent.path, sent.init, base.env);
  const text = await res.text();
  const { problems } = checkResponse(checker, op, base.worker, res, text, sent.requestId);
  return { status: res.status, text, problems };
}

const short = (v: unknown) => {
  const s = typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
  return s.length > 240 ? `${s.slice(0, 240)}… (${s.length} chars)` : s;
};

function fail(op: Operation, kind: string, label: string, input: unknown, a: Answer, why: string) {
  const msg = `${op.operationId} ${kind} «${label}» input ${short(input)} → ${a.status} ${a.text.slice(0, 300)} (${why})`;
  failures.push(msg);
  return msg;
}

/** Query values as the test sends them; typed values for the schema checks. */
function typed(node: { schema: Record<string, unknown> }, v: unknown): unknown {
  const t = node.schema.type;
  const types = Array.isArray(t) ? t : [t];
  if (typeof v === 'string' && (types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?$/.test(v))
    return Number(v);
  if (typeof v === 'string' && types.includes('boolean') && (v === 'true' || v === 'false')) return v === 'true';
  return v;
}

interface Variant {
  label: string;
  spec: RequestSpec;
  input: unknown;
}

/** Parameter variations (valid or invalid) for each path and query parameter of the operation. */
function paramVariants(op: Operation, base: Base, kind: 'valid' | 'invalid'): Variant[] {
  const out: Variant[] = [];
  for (const p of op.parameters) {
    if (p.in !== 'path' && p.in !== 'query') continue;
    const node = paramNode(op, doc, p.name, p.in);
    if (!node) continue;
    const current = p.in === 'path' ? base.spec.params?.[p.name] : base.spec.query?.[p.name];
    const value = current === undefined ? gen.sample(node) : typed(node, current);
    const list: Labelled[] = kind === 'valid' ? gen.validVariants(node, value) : gen.invalidVariants(node, value);
    if (kind === 'valid' && p.in === 'path' && typeof value === 'string' && value !== value.toUpperCase()) {
      if (gen.valid(node, value.toUpperCase())) list.push({ label: 'upper-case', value: value.toUpperCase() });
    }
    if (kind === 'valid' && p.in === 'query') {
      if (current !== undefined && !p.required) list.push({ label: 'absent', value: undefined });
      if (current === undefined) list.push({ label: 'present', value: gen.sample(node) });
    }
    for (const v of list) {
      // a query or path value is text: an "invalid" value whose text form the schema accepts is not invalid
      if (kind === 'invalid' && v.value !== undefined && gen.valid(node, typed(node, String(v.value)))) continue;
      if (v.value === null || (v.value !== undefined && typeof v.value === 'object')) continue; // not expressible
      if (p.in === 'path' && (v.value === undefined || v.value === '')) continue; // another route
      if (p.in === 'query' && v.value === '') continue; // an empty value reads as absent
      const where = p.in === 'path' ? `path {${p.name}}` : `query ${p.name}`;
      const spec: RequestSpec =
        p.in === 'path'
          ? { ...base.spec, params: { ...base.spec.params, [p.name]: String(v.value) } }
          : {
              ...base.spec,
              query: { ...base.spec.query, [p.name]: v.value === undefined ? undefined : String(v.value) },
            };
      out.push({ label: `${where} ${v.label}`, spec, input: { [where]: v.value } });
    }
  }
  return out;
}

/** The invalid requests harness/negatives.ts already sends (as sent from this base), to leave them out here. */
function negativesAlreadySent(op: Operation, base: Base): Set<string> {
  const keys = new Set<string>();
  for (const neg of generateNegatives(contract, op)) {
    if (neg.status !== 400) continue;
    const spec = neg.mutate(base.spec);
    keys.add(requestKey(spec));
  }
  return keys;
}

const requestKey = (spec: RequestSpec) => JSON.stringify([spec.params, spec.query, spec.body]);

async function runAll(
  op: Operation,
  base: Base,
  variants: Variant[],
  check: (v: Variant, a: Answer) => string | undefined,
) {
  const problems: string[] = [];
  for (const v of variants) {
    const a = await send(op, base, v.spec);
    const why = check(v, a);
    if (why) problems.push(why);
  }
  return problems;
}

const operations = contract.operations.filter((op) => baseCase(op));

describe.skipIf(LIVE)('generated from the contract', () => {
  for (const op of operations) {
    const c = baseCase(op) as Case;
    describe(`${op.operationId} — ${op.method} ${op.path}`, () => {
      it.skipIf(!hasInputs(op))('invalid requests: 400 in the envelope', () =>
        timed(op, async () => {
          const base = await sharedBase(op, c, 'checks');
          const already = negativesAlreadySent(op, base);
          const baseProblems =
            base.json && base.body !== undefined
              ? checker.validator.validate(bodyNode(op, base.json).pointer, base.body)
              : [];
          if (baseProblems.length) {
            failures.push(
              `${op.operationId}: the scenario's request body does not match the contract: ${baseProblems.join('; ')}`,
            );
            throw new Error(
              `${op.operationId}: the scenario's request body does not match the contract: ${baseProblems.join('; ')}`,
            );
          }
          const variants = paramVariants(op, base, 'invalid');
          if (base.json && base.body !== undefined) {
            const node = bodyNode(op, base.json);
            for (const v of gen.invalidVariants(node, base.body)) {
              if (gen.valid(node, v.value)) {
                gen.dropped.push(`${op.operationId} invalid ${v.label}`);
                continue;
              }
              variants.push({ label: `body ${v.label}`, spec: await withBody(op, base, v.value), input: v.value });
            }
          }
          const fresh = variants.filter((v) => signedBody(op) || !already.has(requestKey(v.spec)));
          counts.invalid += fresh.length;
          const problems = await runAll(op, base, fresh, (v, a) => {
            if (a.status !== 400)
              return fail(op, 'invalid', v.label, v.input, a, 'an invalid request was not refused with 400');
            if (a.problems.length) return fail(op, 'invalid', v.label, v.input, a, a.problems.join('; '));
            return undefined;
          });
          expect(problems).toEqual([]);
        }),
      );

      it.skipIf(!hasInputs(op))('valid requests: never 400, never 5xx', () =>
        timed(op, async () => {
          // After the invalid requests (all refused): the same user and ids, so the valid ones reach the same state.
          const base = await sharedBase(op, c, 'checks');
          const variants = paramVariants(op, base, 'valid');
          if (base.json && base.body !== undefined) {
            const node = bodyNode(op, base.json);
            for (const v of gen.validVariants(node, base.body)) {
              if (!gen.valid(node, v.value)) {
                gen.dropped.push(`${op.operationId} valid ${v.label}`);
                continue;
              }
              variants.push({ label: `body ${v.label}`, spec: await withBody(op, base, v.value), input: v.value });
            }
          }
          counts.valid += variants.length;
          // An error the contract documents as other than the envelope (the verification link's HTML page) is the
          // operation's answer to an unusable link, whatever its shape: only the 5xx side applies there.
          const pageFor400 = ENVELOPE_EXCEPTIONS.has(`${op.operationId} 400`);
          const problems = await runAll(op, base, variants, (v, a) => {
            if (a.status === 400 && !pageFor400)
              return fail(op, 'valid', v.label, v.input, a, 'a valid request was refused with 400');
            if (a.status >= 500) return fail(op, 'valid', v.label, v.input, a, 'a valid request got a 5xx');
            if (a.problems.length) return fail(op, 'valid', v.label, v.input, a, a.problems.join('; '));
            return undefined;
          });
          expect(problems).toEqual([]);
        }),
      );

      it('hostile strings in every text field, parameter and header read: no 5xx, 4xx in the envelope', () =>
        timed(op, async () => {
          const base = await sharedBase(op, c, 'hostile');
          const problems: string[] = [];
          const check = (label: string, input: unknown, a: Answer) => {
            counts.hostile += 1;
            if (a.status >= 500) problems.push(fail(op, 'hostile', label, input, a, 'a hostile string got a 5xx'));
            else if (a.problems.length) problems.push(fail(op, 'hostile', label, input, a, a.problems.join('; ')));
          };
          // Body text positions, through every union variant.
          if (base.json && base.body !== undefined) {
            const node = bodyNode(op, base.json);
            // A signed body is stored whole once verified: its 1 MB case goes into the first text position only.
            let sentLarge = false;
            for (const pos of gen.stringPositions(node, base.body)) {
              for (const h of HOSTILE_STRINGS) {
                if (h.label === LARGE && signedBody(op) && sentLarge) continue;
                if (h.label === LARGE) sentLarge = true;
                const body = setIn(pos.base, pos.path, h.value);
                const a = await send(op, base, await withBody(op, base, body));
                check(`body ${pos.path.join('.')} ${h.label}`, { [pos.path.join('.')]: h.value }, a);
              }
            }
          }
          // Path and query parameters (sent byte for byte: an unpaired surrogate as its WTF-8 bytes).
          for (const p of op.parameters) {
            if (p.in !== 'path' && p.in !== 'query') continue;
            for (const h of HOSTILE_STRINGS) {
              const spec: RequestSpec = { ...base.spec, body: base.spec.body };
              const sentPath = buildRequest(op, {
                ...spec,
                ...(p.in === 'query' ? { query: { ...spec.query, [p.name]: undefined } } : {}),
              }).path;
              let rawPath: string;
              if (p.in === 'path') {
                const [pathname, qs] = sentPath.split('?');
                const segments = op.path.split('/');
                const actual = (pathname ?? '').split('/');
                rawPath =
                  segments
                    .map((seg, i) => (seg === `{${p.name}}` ? encodeHostile(h.value as string) : actual[i]))
                    .join('/') + (qs ? `?${qs}` : '');
              } else {
                rawPath = `${sentPath}${sentPath.includes('?') ? '&' : '?'}${encodeURIComponent(p.name)}=${encodeHostile(h.value as string)}`;
              }
              const a = await send(op, base, spec, rawPath);
              check(`${p.in} ${p.name} ${h.label}`, { [`${p.in} ${p.name}`]: h.value }, a);
            }
          }
          // Headers the workers read.
          const common = ['user-agent', 'x-request-id'];
          // the client address keys the rate limiter: the full set (1 MB included)
          const headers: string[] = ['cf-connecting-ip'];
          if (sessionCookie(op)) headers.push('cookie');
          if (op.requestBody) headers.push('content-type');
          if (op.responses.some((r) => r.key === '206' || r.key === '416')) headers.push('range');
          if (signedBody(op)) headers.push('stripe-signature');
          const headerCases = [
            ...common.flatMap((name) => HOSTILE_COMMON_HEADER_VALUES.map((h) => ({ name, h }))),
            ...headers.flatMap((name) => HOSTILE_HEADER_VALUES.map((h) => ({ name, h }))),
          ];
          for (const { name, h } of headerCases) {
            {
              const value = name === 'cookie' ? `codex-session=${h.value}` : (h.value as string);
              const spec: RequestSpec = {
                ...base.spec,
                headers: { ...base.spec.headers, [name]: value },
                ...(name === 'cookie' ? { cookie: undefined } : {}),
              };
              const a = await send(op, base, spec);
              check(`header ${name} ${h.label}`, { [name]: value }, a);
            }
          }
          expect(problems).toEqual([]);
        }));
    });
  }
});
