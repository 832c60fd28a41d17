/** The `ctx` every scenario receives: the platform, unique values, users, the outbox and calls with contract checks. */
import type { WorkerName } from '@codex/local';
import { outbox as authOutbox } from '@codex/worker-auth/email';
import { blockRateLimit, RATE_LIMIT_PRESETS } from '@codex/worker-kit';
import { findOperation } from './contract';
import { type Checker, exchange, nextIp, runId } from './runner';
import type { CheckedResponse, Ctx, EmailMessage, RequestSpec, TestUser } from './types';

export const SESSION_COOKIE = 'codex-session';
export const DEFAULT_PASSWORD = 'Contract-pass-1234';

const REGISTER = 'POST /api/auth/email/register';
const VERIFY_EMAIL = 'POST /api/auth/email/verify-email';

let uidCounter = 0;

/** A setup step was refused with 429 by a live deployment (its limiter sees one client IP for the whole run). */
export class LiveRateLimited extends Error {
  constructor(step: string) {
    super(`${step} was rate limited by the deployment`);
    this.name = 'LiveRateLimited';
  }
}

export interface SharedState {
  user?: Promise<TestUser>;
}

export function createContext(checker: Checker, worker: WorkerName, shared: SharedState): Ctx {
  const { target, contract } = checker;
  const live = target.mode === 'live';
  const local = <T>(what: string, get: () => T | undefined): T => {
    const v = get();
    if (live || v === undefined) {
      throw new Error(`ctx.${what} is only available against the local platform (mark the case localOnly)`);
    }
    return v;
  };

  const ctx: Ctx = {
    worker,
    mode: target.mode,
    live,
    secureCookies: target.secure(worker),
    contract,
    get platform() {
      return local('platform', () => target.platform);
    },
    get db() {
      return local('db', () => target.platform?.db);
    },
    get kv() {
      return local('kv', () => target.platform?.kv);
    },
    uid(prefix = 'id') {
      uidCounter += 1;
      return `${prefix}-${runId}-${uidCounter}`;
    },
    email(tag = 'user') {
      return `${ctx.uid(tag)}@example.com`.toLowerCase();
    },
    ip: nextIp,
    async call(ref: string, spec: RequestSpec = {}, onWorker?: WorkerName): Promise<CheckedResponse> {
      const op = findOperation(contract, ref);
      if (!op) throw new Error(`ctx.call: the contract has no operation ${ref}`);
      const w = onWorker ?? (op.workers.includes(worker) ? worker : op.workers[0]);
      if (!w) throw new Error(`ctx.call: ${ref} names no worker`);
      return exchange(checker, op, w, spec);
    },
    async register(opts = {}) {
      const email = opts.email ?? ctx.email('reg');
      const password = opts.password ?? DEFAULT_PASSWORD;
      const name = opts.name ?? 'Contract Tester';
      const res = await ctx.call(REGISTER, { body: { email, password, name } });
      if (res.status === 429 && live) throw new LiveRateLimited('register');
      if (res.status !== 201) throw new Error(`register in setup failed: ${res.status} ${res.text}`);
      return { res, email, password, name };
    },
    async freshUser(opts = {}) {
      const { res, email, password, name } = await ctx.register();
      const value = res.cookies[SESSION_COOKIE];
      if (!value) throw new Error(`register set no ${SESSION_COOKIE} cookie`);
      const cookie = `${SESSION_COOKIE}=${value}`;
      const id = (res.body as { user: { id: string } }).user.id;
      if (opts.verified && !live) {
        const token = ctx.emailToken(email, 'verify-email');
        const v = await ctx.call(VERIFY_EMAIL, { body: { token } });
        if (v.status !== 200) throw new Error(`verify-email in setup failed: ${v.status} ${v.text}`);
      }
      return { id, email, password, name, cookie, sessionToken: value };
    },
    user() {
      shared.user ??= ctx.freshUser({ verified: !live });
      return shared.user;
    },
    outbox(to) {
      local('outbox', () => (live ? undefined : true));
      const all = authOutbox as unknown as EmailMessage[];
      return to ? all.filter((m) => m.to.toLowerCase() === to.toLowerCase()) : [...all];
    },
    emailToken(to, kind) {
      const messages = ctx.outbox(to).filter((m) => m.kind === kind);
      const last = messages[messages.length - 1];
      if (!last) throw new Error(`no ${kind} email was sent to ${to}`);
      const link = String(last.link ?? '');
      const token = new URL(link).searchParams.get('token');
      if (!token) throw new Error(`the ${kind} email carries no token link: ${link}`);
      return token;
    },
    async exhaustRateLimits(ip, extraPresets = []) {
      // The window each counter is in (or a new one) is used up: the next limited request from `ip` gets 429.
      await blockRateLimit(
        ctx.platform.rateLimiter,
        [...Object.values(RATE_LIMIT_PRESETS), ...extraPresets],
        `ip:${ip}`,
      );
    },
    async exhaustUserRateLimit(userId) {
      await blockRateLimit(ctx.platform.rateLimiter, [RATE_LIMIT_PRESETS.api], `u:${userId}`);
    },
  } as Ctx;
  return ctx;
}
