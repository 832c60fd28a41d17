/**
 * The contract suite: every worker against the published contract (openapi/codex.yaml).
 *
 * - Reads the contract file (never the zod schemas), so any drift between code and contract fails.
 * - Runs each operation's scenarios (scenarios/<worker>.ts) plus negative cases generated from the contract,
 *   checking every response: documented status, body schema, content type, x-request-id, security headers,
 *   the error envelope, Retry-After on 429.
 * - Fails when an operation has no success case, a documented status was never exercised, or a worker serves a
 *   route the contract does not declare (or the reverse).
 *
 * Local (default): the four workers in-process on the local platform (embedded PGlite, or PostgreSQL via the
 * relay when DATABASE_URL is set — in a database of its own). Live: CONTRACT_BASE_URL (see harness/target.ts);
 * local-only cases (database/KV/outbox/env overrides) are skipped and coverage is reported, not enforced.
 * CONTRACT_WORKERS=auth,identity-api limits the run to some workers; CONTRACT_FILE tests another contract file.
 */
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { createContext, LiveRateLimited, type SharedState } from './harness/context';
import { documentedStatuses, jsonMediaType, loadContract, type Operation } from './harness/contract';
import { Coverage } from './harness/coverage';
import { DATABASE_UNREACHABLE, INVALID_CONFIGURATION } from './harness/env';
import { freshHeaders, generateNegatives } from './harness/negatives';
import { BETTER_AUTH_ENDPOINTS, declaredRoutes, servedRoutes } from './harness/routes';
import { type Checker, ENVELOPE_EXCEPTIONS, exchange, exchangeUndeclared } from './harness/runner';
import { liveBaseUrls, selectedWorkers, startTarget, type Target } from './harness/target';
import type { Case, RequestSpec, WorkerName } from './harness/types';
import { createValidator } from './harness/validate';
import { generatedExclusions, scenarioSource, scenarios } from './scenarios';

const contract = loadContract();
const LIVE = Boolean(process.env.CONTRACT_BASE_URL);
const workersInScope: WorkerName[] = LIVE
  ? selectedWorkers().filter((w) => liveBaseUrls(process.env.CONTRACT_BASE_URL ?? '', contract)[w])
  : selectedWorkers();
const operations = contract.operations.filter((op) => op.workers.some((w) => workersInScope.includes(w)));
const workersOf = (op: Operation) => op.workers.filter((w) => workersInScope.includes(w));

const coverage = new Coverage();
const shared: SharedState = {};
let target: Target;
let checker: Checker;

beforeAll(async () => {
  target = await startTarget(contract);
  checker = { contract, validator: createValidator(contract), target };
});

afterAll(async () => {
  console.log(`\n${coverage.table(contract, operations)}\n`);
  await target?.close();
});

const isSuccess = (status: number) => status >= 200 && status < 300;
const localOnly = (c: Case) => Boolean(c.localOnly || c.env);

function label(c: { status: number; name: string }, worker: WorkerName, op: Operation) {
  return `${c.status} ${c.name}${workersOf(op).length > 1 ? ` [${worker}]` : ''}`;
}

function unexpected(op: Operation, name: string, expected: number, res: { status: number; text: string }) {
  return `${op.operationId} — ${name}: expected ${expected}, got ${res.status}: ${res.text.slice(0, 600)}`;
}

/**
 * Against a live deployment the rate limiter keys on the real client IP, so a burst of cases can trip it: a 429
 * that passed the contract checks then skips the case (locally every request has its own IP, so never).
 */
function skipWhenLiveRateLimited(t: TestContext, status: number, expected: number) {
  if (LIVE && status === 429 && expected !== 429)
    t.skip('rate limited by the deployment (429 checked against the contract)');
}

/** Runs a setup step; against a live deployment a rate-limited setup skips the case instead of failing it. */
async function prepare<T>(t: TestContext, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (e) {
    if (e instanceof LiveRateLimited) t.skip(e.message);
    throw e;
  }
}

async function runCase(t: TestContext, op: Operation, worker: WorkerName, c: Case) {
  const ctx = createContext(checker, worker, shared);
  const state = await prepare(t, async () => (c.setup ? await c.setup(ctx) : undefined));
  const spec = await prepare(t, async () => c.request(ctx, state));
  const res = await exchange(checker, op, worker, spec, c.env);
  skipWhenLiveRateLimited(t, res.status, c.status);
  if (res.status !== c.status) throw new Error(unexpected(op, c.name, c.status, res));
  if (c.assert) await c.assert(ctx, res, state);
  coverage.record(op.operationId, res.status, c.name);
}

/** The request the generated cases start from, built once per operation and worker. */
const bases = new Map<string, Promise<RequestSpec>>();
function baseRequest(op: Operation, worker: WorkerName, c: Case) {
  const key = `${op.operationId} ${worker}`;
  let p = bases.get(key);
  if (!p) {
    p = (async () => {
      const ctx = createContext(checker, worker, shared);
      const state = c.setup ? await c.setup(ctx) : undefined;
      return c.request(ctx, state);
    })();
    bases.set(key, p);
  }
  return p;
}

function mentions(details: unknown, field: string) {
  return JSON.stringify(details ?? null).includes(field);
}

describe('contract shape', () => {
  it('every path item names its worker(s) through its servers, operationIds are unique', () => {
    expect(contract.problems).toEqual([]);
  });

  it('every operation: camelCase operationId, summary, one tag, security declared', () => {
    const problems: string[] = [];
    for (const op of contract.operations) {
      const raw = (contract.doc.paths as Record<string, Record<string, Record<string, unknown>>>)[op.path]?.[
        op.method.toLowerCase()
      ];
      if (!/^[a-z][A-Za-z0-9]*$/.test(op.operationId)) problems.push(`${op.operationId}: not camelCase`);
      if (!op.summary) problems.push(`${op.operationId}: no summary`);
      if (!Array.isArray(raw?.tags) || raw.tags.length !== 1) problems.push(`${op.operationId}: needs exactly one tag`);
      if (!raw || !('security' in raw)) problems.push(`${op.operationId}: security not declared`);
    }
    expect(problems).toEqual([]);
  });

  it('documented statuses follow the conventions (inputs → 400, JSON body → 400/413/415, session → 401, errors → envelope)', () => {
    const problems: string[] = [];
    for (const op of contract.operations) {
      const statuses = documentedStatuses(op);
      const hasInputs = op.parameters.some((p) => p.in === 'path' || p.in === 'query') || Boolean(op.requestBody);
      if (hasInputs && !statuses.includes(400)) problems.push(`${op.operationId}: has inputs but no 400`);
      if (jsonMediaType(op)) {
        for (const s of [400, 413, 415])
          if (!statuses.includes(s)) problems.push(`${op.operationId}: JSON body but no ${s}`);
      }
      if (op.sessionRequired && !statuses.includes(401)) problems.push(`${op.operationId}: needs a session but no 401`);
      if (!statuses.some(isSuccess)) problems.push(`${op.operationId}: no 2xx response`);
      for (const r of op.responses) {
        const status = Number(r.key);
        if (!(status >= 400) || ENVELOPE_EXCEPTIONS.has(`${op.operationId} ${status}`)) continue;
        // The envelope, its code one of the catalogue's (ErrorCode) narrowed to this status's codes (an enum).
        const json = r.content['application/json'] as
          | {
              properties?: {
                error?: { properties?: { code?: { allOf?: Array<{ $ref?: string; enum?: string[] }> } } };
              };
            }
          | undefined;
        const code = json?.properties?.error?.properties?.code?.allOf;
        if (code?.[0]?.$ref !== '#/components/schemas/ErrorCode' || !code?.[1]?.enum?.length) {
          problems.push(`${op.operationId} ${r.key}: not the error envelope with the operation's codes`);
        }
        if (status === 429 && !r.headers['retry-after'])
          problems.push(`${op.operationId} 429: Retry-After not documented`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('every scenario names an operation of the contract', () => {
    const unknown = Object.keys(scenarios)
      .filter((id) => !contract.byId.has(id))
      .map((id) => `${id} (scenarios/${scenarioSource[id]}.ts)`);
    expect(unknown).toEqual([]);
  });
});

describe('platform rules', () => {
  for (const worker of workersInScope) {
    describe(worker, () => {
      const health = () => contract.byId.get('getHealth') as Operation;

      it('x-request-id: generated when absent, replaced when malformed, echoed when well-formed', async () => {
        const op = health();
        const none = await exchange(checker, op, worker, { headers: { 'x-request-id': '' } });
        expect(none.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]{8,128}$/);
        const malformed = 'bad id with spaces!';
        const res = await exchange(checker, op, worker, { headers: { 'x-request-id': malformed } });
        expect(res.headers.get('x-request-id')).not.toBe(malformed);
        const sent = `contract-echo-${Date.now()}`;
        const echoed = await exchange(checker, op, worker, { headers: { 'x-request-id': sent } });
        expect(echoed.headers.get('x-request-id')).toBe(sent);
      });

      it('an undeclared path → 404 envelope', async () => {
        const res = await exchangeUndeclared(checker, worker, 'GET', '/contract-suite/no-such-route');
        expect(res.status).toBe(404);
        expect((res.body as { error: { code: string } }).error.code).toBe('ROUTE_NOT_FOUND');
      });

      it('an undeclared method on a declared path → 405 with Allow', async () => {
        const res = await exchangeUndeclared(checker, worker, 'DELETE', '/health');
        expect(res.status).toBe(405);
        expect(res.headers.get('allow')).toContain('GET');
      });

      if (worker === 'auth') {
        it("better-auth's own endpoints are not served", async () => {
          const declared = new Set(contract.operations.map((op) => `${op.method} ${op.path}`));
          const served: string[] = [];
          for (const entry of BETTER_AUTH_ENDPOINTS) {
            if (declared.has(entry)) continue;
            const [method, path] = entry.split(' ') as [string, string];
            const res = await exchangeUndeclared(checker, worker, method, path, method === 'POST' ? { body: {} } : {});
            if (res.status !== 404 && res.status !== 405) served.push(`${entry} → ${res.status}`);
          }
          expect(served).toEqual([]);
        });
      }
    });
  }
});

for (const op of operations) {
  const cases = scenarios[op.operationId] ?? [];
  describe(`${op.operationId} — ${op.method} ${op.path}`, () => {
    for (const c of cases) {
      for (const worker of workersOf(op).filter((w) => !c.workers || c.workers.includes(w))) {
        it.skipIf(LIVE && localOnly(c))(label(c, worker, op), (t) => runCase(t, op, worker, c));
      }
    }

    const worker = workersOf(op)[0] as WorkerName;
    // The request generated cases start from: the marked case, else a success case; live, any case that can run
    // there (a schema-valid request is all a validation negative needs).
    const usable = cases.filter((c) => !c.env && !(LIVE && localOnly(c)));
    const base =
      usable.find((c) => c.negativeBase) ?? usable.find((c) => isSuccess(c.status)) ?? (LIVE ? usable[0] : undefined);
    const baseUnavailable = !base;

    for (const neg of generateNegatives(contract, op)) {
      const excluded = generatedExclusions[op.operationId]?.find((x) => x.match.test(neg.name));
      if (excluded) {
        it.skip(`${neg.status} generated: ${neg.name} — excluded: ${excluded.reason}`, () => {});
        continue;
      }
      it.skipIf(baseUnavailable)(`${neg.status} generated: ${neg.name}`, async (t) => {
        const spec = freshHeaders(neg.mutate(await prepare(t, () => baseRequest(op, worker, base as Case))));
        const res = await exchange(checker, op, worker, spec);
        skipWhenLiveRateLimited(t, res.status, neg.status);
        if (res.status !== neg.status) throw new Error(unexpected(op, neg.name, neg.status, res));
        if (neg.status === 400 && neg.field && !ENVELOPE_EXCEPTIONS.has(`${op.operationId} 400`)) {
          const details = (res.body as { error?: { details?: unknown } }).error?.details;
          if (!mentions(details, neg.field)) {
            throw new Error(
              `${op.operationId} — ${neg.name}: the 400 details do not name "${neg.field}": ${res.text.slice(0, 400)}`,
            );
          }
        }
        coverage.record(op.operationId, res.status, `generated: ${neg.name}`);
      });
    }

    // Another method on the operation's path: 405 METHOD_NOT_ALLOWED with Allow, as the operation documents.
    const otherMethod = ['DELETE', 'PUT', 'PATCH', 'POST', 'GET'].find(
      (m) => !contract.operations.some((o) => o.path === op.path && o.method === m),
    );
    if (documentedStatuses(op).includes(405) && otherMethod) {
      it.skipIf(baseUnavailable)(`405 generated: ${otherMethod} on the path`, async (t) => {
        const spec = freshHeaders(await prepare(t, () => baseRequest(op, worker, base as Case)));
        const res = await exchange(checker, { ...op, method: otherMethod }, worker, {
          ...spec,
          body: undefined,
          rawBody: undefined,
        });
        skipWhenLiveRateLimited(t, res.status, 405);
        if (res.status !== 405) throw new Error(unexpected(op, `${otherMethod} on the path`, 405, res));
        expect(res.headers.get('allow')).toContain(op.method);
        expect((res.body as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
        coverage.record(op.operationId, 405, `generated: ${otherMethod} on the path`);
      });
    }

    const codesOf503 = op.responses.find((r) => r.key === '503')?.codes ?? [];
    // A dependency down: every operation that uses the database answers 503 DATABASE_UNAVAILABLE (not 500) with the
    // database unreachable, unless its scenarios cover 503 themselves.
    if (codesOf503.includes('DATABASE_UNAVAILABLE') && !cases.some((c) => c.status === 503)) {
      it.skipIf(baseUnavailable || LIVE)('503 generated: database unreachable', async () => {
        const spec = freshHeaders(await baseRequest(op, worker, base as Case));
        const res = await exchange(checker, op, worker, spec, DATABASE_UNREACHABLE);
        if (res.status !== 503) throw new Error(unexpected(op, 'database unreachable', 503, res));
        expect(res.text).not.toMatch(/127\.0\.0\.1|nobody|ECONNREFUSED/);
        coverage.record(op.operationId, 503, 'generated: database unreachable');
      });
    }

    // A configuration that is invalid for the environment: every operation fails closed with 503 SERVICE_MISCONFIGURED.
    if (codesOf503.includes('SERVICE_MISCONFIGURED')) {
      it.skipIf(baseUnavailable || LIVE)('503 generated: configuration invalid', async () => {
        const spec = freshHeaders(await baseRequest(op, worker, base as Case));
        const res = await exchange(checker, op, worker, spec, INVALID_CONFIGURATION);
        if (res.status !== 503) throw new Error(unexpected(op, 'configuration invalid', 503, res));
        expect((res.body as { error: { code: string } }).error.code).toBe('SERVICE_MISCONFIGURED');
        coverage.record(op.operationId, 503, 'generated: configuration invalid');
      });
    }
  });
}

describe('coverage', () => {
  it.skipIf(LIVE)('every operation has a passing success (2xx) case', () => {
    expect(coverage.gaps(operations).noSuccess).toEqual([]);
  });

  it.skipIf(LIVE)('every documented status was exercised', () => {
    expect(coverage.gaps(operations).unexercised).toEqual([]);
  });

  it.skipIf(LIVE)('each worker serves exactly the routes the contract declares for it', () => {
    const problems: string[] = [];
    for (const worker of workersInScope) {
      const app = target.apps[worker];
      if (!app) continue;
      const served = servedRoutes(app);
      const declared = declaredRoutes(contract, worker);
      for (const r of served)
        if (!declared.includes(r)) problems.push(`${worker} serves ${r}, which the contract does not declare`);
      for (const r of declared)
        if (!served.includes(r)) problems.push(`${worker} does not serve ${r}, which the contract declares`);
    }
    expect(problems).toEqual([]);
  });
});
