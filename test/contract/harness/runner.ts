/**
 * Sends a request for an operation and checks the response against the contract and the platform rules:
 * documented status, body schema for that status and content type, x-request-id, security headers, the error
 * envelope for every error, Retry-After on 429. Any violation throws, naming the operation and the status.
 */
import type { WorkerName } from '@codex/local';
import { type Contract, documentedResponse, type Operation } from './contract';
import type { Target } from './target';
import type { CheckedResponse, RequestSpec } from './types';
import { mediaPointer, type SchemaValidator } from './validate';

const RUN = Date.now().toString(36);
let requestCounter = 0;
let ipCounter = 0;

export const runId = RUN;

/** A well-formed request id (8–128 of [A-Za-z0-9._:-]) that the worker must echo. */
export function nextRequestId() {
  requestCounter += 1;
  return `contract-${RUN}-${requestCounter}`;
}

/** A unique client address per call (TEST-NET-style 10/8 space). */
export function nextIp() {
  ipCounter += 1;
  return `10.${(ipCounter >> 16) & 255}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

export function cookieHeader(cookie: RequestSpec['cookie']): string | undefined {
  if (cookie === undefined) return undefined;
  if (typeof cookie === 'string') return cookie;
  return Object.entries(cookie)
    .map(([k, v]) => `${k}=${v}`)
    .join('; ');
}

export function buildPath(op: Operation, spec: RequestSpec): string {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = spec.params?.[name];
    if (v === undefined) throw new Error(`${op.operationId}: the request gives no value for path parameter {${name}}`);
    return encodeURIComponent(String(v));
  });
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(spec.query ?? {})) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const item of v) qs.append(k, String(item));
    else qs.append(k, String(v));
  }
  const q = qs.toString();
  return q ? `${path}?${q}` : path;
}

export interface SentRequest {
  path: string;
  init: RequestInit;
  requestId: string | undefined;
}

export function buildRequest(op: Operation, spec: RequestSpec): SentRequest {
  const headers = new Headers(spec.headers ?? {});
  // An empty x-request-id means "send none" (to see the worker generate one).
  if (headers.get('x-request-id') === '') headers.delete('x-request-id');
  else if (!headers.has('x-request-id')) headers.set('x-request-id', nextRequestId());
  if (!headers.has('cf-connecting-ip')) headers.set('cf-connecting-ip', nextIp());
  const cookie = cookieHeader(spec.cookie);
  if (cookie) headers.set('cookie', cookie);
  let body: BodyInit | undefined;
  if (spec.rawBody !== undefined) body = spec.rawBody;
  else if (spec.body !== undefined) {
    body = JSON.stringify(spec.body);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
  }
  const init: RequestInit = { method: op.method, headers, ...(body !== undefined ? { body } : {}) };
  return { path: buildPath(op, spec), init, requestId: headers.get('x-request-id') ?? undefined };
}

function parseSetCookies(headers: Headers) {
  const lines = headers.getSetCookie();
  const cookies: Record<string, string> = {};
  for (const line of lines) {
    const first = line.split(';')[0] ?? '';
    const eq = first.indexOf('=');
    if (eq > 0) cookies[first.slice(0, eq).trim()] = first.slice(eq + 1).trim();
  }
  return { lines, cookies };
}

/**
 * Error responses the contract deliberately documents as something other than the ErrorResponse envelope:
 * the degraded health report, and the HTML page a verification link opens in a browser. Adding to this list is
 * a contract decision; the contract-shape test fails for any other non-envelope error.
 */
export const ENVELOPE_EXCEPTIONS = new Set(['getHealth 503', 'verifyEmailLink 400']);

const REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;
/** Things no response may carry: stack frames, SQL, driver internals. */
const LEAKS = [
  /\n\s+at\s/,
  /node_modules/,
  /\b(select|insert|update|delete)\b[\s\S]{0,80}\b(from|into|set)\b/i,
  /SQLSTATE|duplicate key value|violates .* constraint/i,
];

function mediaMatches(documented: string, actual: string) {
  if (documented === actual || documented === '*/*') return true;
  if (documented.endsWith('/*')) return actual.startsWith(documented.slice(0, -1));
  return false;
}

const isJsonMedia = (mt: string) => /^application\/([\w.-]+\+)?json$/i.test(mt);

export interface Checker {
  contract: Contract;
  validator: SchemaValidator;
  target: Target;
}

/** The contract checks for one response; returns the problems found (empty = conforms). */
export function checkResponse(
  checker: Checker,
  op: Operation | undefined,
  worker: WorkerName,
  res: Response,
  text: string,
  sentRequestId: string | undefined,
): { problems: string[]; body: unknown; contentType: string } {
  const problems: string[] = [];
  const status = res.status;
  const where = op
    ? `${op.operationId} (${op.method} ${op.path} on ${worker}) → ${status}`
    : `undeclared route on ${worker} → ${status}`;
  const contentType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let body: unknown = text;
  if (isJsonMedia(contentType) && text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      problems.push(`${where}: Content-Type ${contentType} but the body is not JSON`);
    }
  }

  // x-request-id: always present and well-formed; the one we sent is echoed.
  const rid = res.headers.get('x-request-id');
  if (!rid) problems.push(`${where}: no x-request-id header`);
  else if (!REQUEST_ID.test(rid)) problems.push(`${where}: malformed x-request-id "${rid}"`);
  if (sentRequestId && REQUEST_ID.test(sentRequestId) && rid !== sentRequestId) {
    problems.push(`${where}: x-request-id "${rid}" does not echo the one sent ("${sentRequestId}")`);
  }

  // Security headers.
  const h = res.headers;
  if (h.get('x-content-type-options')?.toLowerCase() !== 'nosniff')
    problems.push(`${where}: X-Content-Type-Options is not nosniff`);
  if (!/^(DENY|SAMEORIGIN)$/i.test(h.get('x-frame-options') ?? '')) problems.push(`${where}: X-Frame-Options missing`);
  if (!h.get('referrer-policy')) problems.push(`${where}: Referrer-Policy missing`);
  if (!h.get('content-security-policy')) problems.push(`${where}: Content-Security-Policy missing`);

  // Documented status, content type and body.
  const documented = op ? documentedResponse(op, status) : undefined;
  if (!op) {
    if (status < 400) problems.push(`${where}: a route the contract does not declare answered ${status}`);
  } else if (!documented) {
    const listed = op.responses.map((r) => r.key).join(', ');
    problems.push(`${where}: status ${status} is not documented (documented: ${listed}); body: ${text.slice(0, 300)}`);
  } else {
    const mediaTypes = Object.keys(documented.content);
    if (mediaTypes.length === 0) {
      if (text.length > 0) problems.push(`${where}: the contract documents no body but one was sent (${contentType})`);
    } else if (status !== 204 && status !== 304) {
      const mt =
        mediaTypes.find((m) => m.toLowerCase() === contentType) ??
        mediaTypes.find((m) => mediaMatches(m.toLowerCase(), contentType));
      if (!mt) {
        problems.push(
          `${where}: Content-Type "${contentType}" is not documented (documented: ${mediaTypes.join(', ')})`,
        );
      } else if (isJsonMedia(contentType) && problems.length === 0) {
        const errors = checker.validator.validate(mediaPointer(documented.pointer, mt), body);
        if (errors.length) problems.push(`${where}: body does not match the documented schema: ${errors.join('; ')}`);
      }
    }
    for (const [name, spec] of Object.entries(documented.headers)) {
      if (spec.required && !h.has(name)) problems.push(`${where}: documented required header ${name} missing`);
    }
  }

  // Errors: always the envelope (but for the few documented exceptions), with the response's request id,
  // and nothing internal.
  if (status >= 400 && !(op && ENVELOPE_EXCEPTIONS.has(`${op.operationId} ${status}`))) {
    if (!isJsonMedia(contentType))
      problems.push(`${where}: an error must be the JSON envelope, got Content-Type "${contentType}"`);
    else {
      const envelopeErrors = checker.validator.validateEnvelope(body);
      if (envelopeErrors.length)
        problems.push(`${where}: error body is not the envelope: ${envelopeErrors.join('; ')}`);
      const env = body as { requestId?: unknown } | undefined;
      if (rid && env && typeof env === 'object' && env.requestId !== rid) {
        problems.push(`${where}: envelope requestId "${String(env.requestId)}" differs from x-request-id "${rid}"`);
      }
    }
    for (const leak of LEAKS) {
      if (leak.test(text)) problems.push(`${where}: the error body leaks internals (${leak})`);
    }
  }
  if (status === 429) {
    const ra = h.get('retry-after');
    if (!ra || !/^\d+$/.test(ra) || Number(ra) < 1)
      problems.push(`${where}: 429 without a valid Retry-After (got ${ra})`);
  }
  problems.push(...rateLimitHeaderProblems(where, op, status, h, documented?.headers));
  return { problems, body, contentType };
}

/** Sends, reads and checks; throws with every problem when the response breaks the contract. */
export async function exchange(
  checker: Checker,
  op: Operation,
  worker: WorkerName,
  spec: RequestSpec,
  env?: Record<string, unknown>,
): Promise<CheckedResponse> {
  const sent = buildRequest(op, spec);
  const res = await checker.target.send(worker, sent.path, sent.init, env);
  return checked(checker, op, worker, res, sent.requestId, op.operationId);
}

/** Runs the contract/platform checks on a response (throwing on any problem) and returns it parsed. */
async function checked(
  checker: Checker,
  op: Operation | undefined,
  worker: WorkerName,
  res: Response,
  requestId: string | undefined,
  operationId: string,
): Promise<CheckedResponse> {
  const text = await res.text();
  const { problems, body, contentType } = checkResponse(checker, op, worker, res, text, requestId);
  if (problems.length) throw new ContractViolation(problems);
  const { lines, cookies } = parseSetCookies(res.headers);
  return {
    status: res.status,
    headers: res.headers,
    body,
    text,
    contentType,
    setCookies: lines,
    cookies,
    operationId,
    worker,
  };
}

/** A request outside the contract (undeclared path/method): only the platform rules apply. */
export async function exchangeUndeclared(
  checker: Checker,
  worker: WorkerName,
  method: string,
  path: string,
  spec: RequestSpec = {},
): Promise<CheckedResponse> {
  const pseudo = { operationId: '(undeclared)', method, path } as Operation;
  const sent = buildRequest(pseudo, spec);
  sent.path = path;
  const res = await checker.target.send(worker, path, sent.init);
  return checked(checker, undefined, worker, res, sent.requestId, '(undeclared)');
}

export class ContractViolation extends Error {
  constructor(readonly problems: string[]) {
    super(`Contract violation:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ContractViolation';
  }
}

const RATE_LIMIT_HEADERS = ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'];

/**
 * X-RateLimit-* headers: a response that carries them has them documented, as integers; a rate-limited operation
 * (one documenting 429) sends them on every 2xx and on its 429, where the window is used up and Retry-After equals
 * X-RateLimit-Reset.
 */
function rateLimitHeaderProblems(
  where: string,
  op: Operation | undefined,
  status: number,
  h: Headers,
  documentedHeaders: Record<string, unknown> | undefined,
): string[] {
  const problems: string[] = [];
  const sent = RATE_LIMIT_HEADERS.some((n) => h.has(n));
  const limited = Boolean(op?.responses.some((r) => r.key === '429'));
  if (!sent) {
    if (limited && (status < 300 || status === 429)) problems.push(`${where}: no X-RateLimit-* headers on ${status}`);
    return problems;
  }
  for (const n of RATE_LIMIT_HEADERS) {
    const v = h.get(n);
    if (v === null || !/^\d+$/.test(v)) problems.push(`${where}: ${n} missing or not an integer (got ${v})`);
    if (op && documentedHeaders && !(n in documentedHeaders)) {
      problems.push(`${where}: ${n} is sent but not documented for ${status}`);
    }
  }
  if (status === 429) {
    if (h.get('x-ratelimit-remaining') !== '0') problems.push(`${where}: 429 with X-RateLimit-Remaining ≠ 0`);
    if (h.get('x-ratelimit-reset') !== h.get('retry-after')) {
      problems.push(`${where}: 429 whose X-RateLimit-Reset differs from Retry-After`);
    }
  }
  return problems;
}
