/**
 * The environment of a worker, parsed once: each worker declares its bindings as a zod schema in `src/env.ts`
 * (extending `baseEnv`), `createWorker` validates `c.env` against it once per bindings object (once per isolate in
 * Workers) and hands handlers the typed result as `c.var.config`. An invalid configuration fails closed: every
 * request but /health answers 503 SERVICE_MISCONFIGURED and the log names the settings (never their values).
 *
 * One default for ENVIRONMENT: unset means production. Only a deliberate `development` or `test` relaxes anything
 * (built-in development secrets, plain-HTTP cookies, local Stripe hosts).
 */
import type { Database, HyperdriveBinding } from '@codex/database';
import { DomainError } from '@codex/domain';
import { z } from 'zod';

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error', 'silent'] as const;

/** A Cloudflare binding (KV namespace, R2 bucket, service, Durable Object namespace…): present and an object. */
export function binding<T>() {
  return z.custom<T>((v) => typeof v === 'object' && v !== null, { message: 'not a binding' });
}

/** A comma-separated list (e.g. origins), trimmed, empty entries dropped. */
export const commaList = z
  .string()
  .default('')
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  );

/** What every worker may be given. Unknown bindings are kept (a worker's own schema names what it relies on). */
export const baseEnv = z.looseObject({
  ENVIRONMENT: z.enum(ENVIRONMENTS).default('production'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  /** Browser origins allowed by CORS (with credentials). */
  CORS_ORIGINS: commaList,
  /** Public base URL of this worker (links in emails, signed URLs). */
  PUBLIC_URL: z.url().optional(),
  /** Hyperdrive in front of Neon: the production database path (see @codex/database createDb). */
  HYPERDRIVE: binding<HyperdriveBinding>().optional(),
  /** Neon over its serverless driver: the fallback without a HYPERDRIVE binding. */
  DATABASE_URL: z.string().min(1).optional(),
  NEON_WS_PROXY: z.string().min(1).optional(),
  /** An open database held by the Node host in `npm run dev` and the tests (embedded PGlite, or a process pool). */
  EMBEDDED_DB: binding<Database>().optional(),
  /** The rate-limit counters: one Durable Object per key, hosted by the auth worker (see rate-limit.ts). */
  RATE_LIMITER: binding<DurableObjectNamespace>().optional(),
  /** Overrides of the rate-limit presets, e.g. "api=20/60,login=10/900" (bucket=limit/windowSeconds). */
  RATE_LIMITS: z.string().optional(),
  AUTH_SESSION_KV: binding<KVNamespace>().optional(),
  /** Static assets (the self-hosted Scalar bundle of /docs). */
  ASSETS: binding<Fetcher>().optional(),
  /** Service binding to the auth worker; AUTH_URL is used when it is absent (local HTTP). */
  AUTH_SERVICE: binding<Fetcher>().optional(),
  AUTH_URL: z.url().optional(),
});

export type BaseConfig = z.output<typeof baseEnv>;
/** The raw bindings as the runtime hands them (before parsing). */
export type Bindings<S extends z.ZodType = typeof baseEnv> = z.input<S>;

export const isLocalEnvironment = (environment: Environment) => environment === 'development' || environment === 'test';

export type EnvParse<C> =
  | { ok: true; config: C }
  | { ok: false; problems: Array<{ setting: string; problem: string }> };

const cache = new WeakMap<object, EnvParse<unknown>>();

/** Parses the bindings against the worker's schema, once per bindings object. */
export function parseEnv<S extends z.ZodType<BaseConfig>>(schema: S, raw: object | undefined): EnvParse<z.output<S>> {
  const key = raw ?? cache;
  const hit = cache.get(key);
  if (hit) return hit as EnvParse<z.output<S>>;
  const parsed = schema.safeParse(raw ?? {});
  const result: EnvParse<z.output<S>> = parsed.success
    ? { ok: true, config: parsed.data }
    : {
        ok: false,
        problems: parsed.error.issues.map((i) => ({ setting: i.path.join('.') || '(env)', problem: i.message })),
      };
  cache.set(key, result);
  return result;
}

/**
 * A worker's typed settings (its src/env.ts schema) for this request. The toolkit has already validated them
 * (an invalid configuration never reaches a handler); this is the cached result, typed.
 */
export function readConfig<S extends z.ZodType<BaseConfig>>(schema: S, c: { env: unknown }): z.output<S> {
  const parsed = parseEnv(schema, (c.env ?? undefined) as object | undefined);
  if (!parsed.ok) throw new DomainError('SERVICE_MISCONFIGURED', 'The service is not configured correctly');
  return parsed.config;
}

/**
 * The secrets a deployed worker cannot run without (its wrangler.jsonc `secrets.required`), as a refinement of its
 * env schema: outside development and test a missing (or too short) one makes the whole configuration invalid, so
 * every request but /health answers 503 SERVICE_MISCONFIGURED and the log names the secret (never a value).
 * `minLengths` maps each secret to its minimum length (1: present and not empty).
 *
 *   export const AuthEnv = baseEnv.extend({ … }).superRefine(requiredSecrets({ BETTER_AUTH_SECRET: 32 }));
 */
export function requiredSecrets<C extends { ENVIRONMENT: Environment }>(
  minLengths: Record<string, number>,
  /** Whether a secret is needed by this configuration (default: always), e.g. an API key only with its transport. */
  needed: (name: string, config: C) => boolean = () => true,
) {
  return (config: C, ctx: z.RefinementCtx) => {
    if (isLocalEnvironment(config.ENVIRONMENT)) return;
    for (const [name, min] of Object.entries(minLengths)) {
      if (!needed(name, config)) continue;
      const value = (config as Record<string, unknown>)[name];
      if (typeof value !== 'string' || value.length < Math.max(1, min)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message:
            typeof value === 'string' && value.length > 0
              ? `required secret shorter than ${min} characters`
              : 'required secret missing',
        });
      }
    }
  };
}
