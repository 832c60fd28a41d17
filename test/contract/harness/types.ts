import type { Database } from '@codex/database';
import type { LocalPlatform, WorkerName } from '@codex/local';
import type { RateLimitPreset } from '@codex/worker-kit';
import type { Contract } from './contract';

export type { WorkerName };

/** What a case sends. Everything optional; the harness fills in the rest from the contract. */
export interface RequestSpec {
  /** Values for the path template's `{name}` placeholders. */
  params?: Record<string, string | number>;
  /** Query string; arrays repeat the key. `undefined` values are left out. */
  query?: Record<string, string | number | boolean | Array<string | number> | undefined>;
  /** A JSON body (serialised by the harness, Content-Type application/json unless `headers` say otherwise). */
  body?: unknown;
  /** A raw body sent as is (e.g. a malformed JSON string, text, bytes); takes precedence over `body`. */
  rawBody?: BodyInit;
  /**
   * Extra headers. The harness adds a fresh `x-request-id` (send '' to omit it) and a unique `cf-connecting-ip`
   * (rate limits are per IP) unless given here.
   */
  headers?: Record<string, string>;
  /** Cookie header: a ready string (`codex-session=...`) or name → value pairs. */
  cookie?: string | Record<string, string>;
}

/** A response as the harness hands it to assertions, after the contract checks passed. */
export interface CheckedResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON for JSON responses, the text otherwise. */
  body: unknown;
  text: string;
  contentType: string;
  /** Each Set-Cookie header line. */
  setCookies: string[];
  /** name → value of each cookie the response sets (empty value = cleared). */
  cookies: Record<string, string>;
  /** The operation and worker that answered. */
  operationId: string;
  worker: WorkerName;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  name: string;
  /** `codex-session=<value>`, ready for the Cookie header / RequestSpec.cookie. */
  cookie: string;
  /** The cookie's value alone. */
  sessionToken: string;
}

export interface EmailMessage {
  to: string;
  subject: string;
  text?: string;
  html?: string;
  [key: string]: unknown;
}

export interface Ctx {
  /** The worker this case is being run against. */
  worker: WorkerName;
  /** 'embedded' | 'postgres' locally; 'live' against a deployment (no db/kv/outbox/env overrides there). */
  mode: 'embedded' | 'postgres' | 'live';
  live: boolean;
  /** Cookies must carry Secure: always locally (ENVIRONMENT=test), live when the worker's base URL is https. */
  secureCookies: boolean;
  /** The contract under test (operations, documented responses). */
  contract: Contract;
  /** The local platform (throws in live mode). */
  readonly platform: LocalPlatform;
  /** The database the workers use (throws in live mode). */
  readonly db: Database;
  /** Miniflare KV namespaces (throws in live mode). */
  readonly kv: LocalPlatform['kv'];
  /** A unique id with an optional prefix, stable in shape: `<prefix>-<run>-<n>`. */
  uid(prefix?: string): string;
  /** A unique, valid email address. */
  email(tag?: string): string;
  /** A unique client IP (sent as cf-connecting-ip) — every request gets one unless it sets its own. */
  ip(): string;
  /**
   * Calls an operation (by operationId, or "METHOD /path") on a worker (default: the operation's first worker),
   * with the full contract checks. Used by setups; responses here do not count as coverage.
   */
  call(op: string, spec?: RequestSpec, worker?: WorkerName): Promise<CheckedResponse>;
  /** A registered, verified, signed-in user shared by cases that do not change it (one per run). */
  user(): Promise<TestUser>;
  /** A new registered, signed-in user (for cases that sign out, change the password, …). */
  freshUser(opts?: { verified?: boolean }): Promise<TestUser>;
  /** Registers a user without signing in (returns the register response and the credentials). */
  register(opts?: { email?: string; password?: string; name?: string }): Promise<{
    res: CheckedResponse;
    email: string;
    password: string;
    name: string;
  }>;
  /** Emails the auth worker sent to `to` (memory transport), oldest first (throws in live mode). */
  outbox(to?: string): EmailMessage[];
  /** The token in the newest email of `kind` sent to `to` (its link's `token` query parameter; local only). */
  emailToken(to: string, kind: 'verify-email' | 'reset-password'): string;
  /** Uses up every rate-limit bucket of `ip` (all presets, for the rest of their window): its next request gets 429. */
  exhaustRateLimits(ip: string, extraPresets?: RateLimitPreset[]): Promise<void>;
  /** Uses up a signed-in user's API bucket (for the rest of its window): their next API call gets 429. */
  exhaustUserRateLimit(userId: string): Promise<void>;
}

export interface Case<S = unknown> {
  name: string;
  /** The status this case must get (and it must be documented for the operation). */
  status: number;
  /**
   * Local-only cases need the platform (db, kv, email outbox) or env overrides; they are skipped against a live
   * deployment. Cases with `env` are local-only implicitly.
   */
  localOnly?: boolean;
  /** Binding/var overrides for this case's main request (local only), e.g. `{ ASSETS: undefined }`. */
  env?: Record<string, unknown>;
  /** For operations served by several workers (meta routes): run only against these. Default: all. */
  workers?: WorkerName[];
  /** Marks the case whose request the generated negative cases start from (default: the first 2xx case). */
  negativeBase?: boolean;
  setup?(ctx: Ctx): S | Promise<S>;
  request(ctx: Ctx, state: S): RequestSpec | Promise<RequestSpec>;
  assert?(ctx: Ctx, res: CheckedResponse, state: S): void | Promise<void>;
}

/** Per operationId, its cases. */
export type Scenarios = Record<string, Case[]>;

/** Identity helper that keeps each case's state type while storing it in the registry. */
export function defineCase<S>(c: Case<S>): Case {
  return c as unknown as Case;
}

export function defineScenarios(s: Scenarios): Scenarios {
  return s;
}
