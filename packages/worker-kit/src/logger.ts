import { pgConstraint, pgErrorCode } from '@codex/database';
import type { Context } from 'hono';
import type { AppEnv } from './types';

/**
 * Structured JSON logs, one object per line. Callers pass only non-PII
 * fields: never bodies, emails, names, tokens, cookies or query strings.
 */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(service: string, level: string | undefined, base: Record<string, unknown> = {}): Logger {
  const min = LEVELS[(level as LogLevel) ?? 'info'] ?? LEVELS.info;
  const emit = (lvl: Exclude<LogLevel, 'silent'>, msg: string, fields?: Record<string, unknown>) => {
    if (LEVELS[lvl] < min) return;
    const line = JSON.stringify({ level: lvl, time: new Date().toISOString(), service, msg, ...base, ...fields });
    if (lvl === 'error') console.error(line);
    else if (lvl === 'warn') console.warn(line);
    else console.log(line);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

const EMAIL = /[^\s@'"()<>,;]+@[^\s@'"()<>,;]+/g;
const QUOTED = /"[^"]*"|'[^']*'|`[^`]*`/g;
/** Long runs of token-like characters: session ids, reset tokens, signatures, hashes. */
const TOKEN_LIKE = /[A-Za-z0-9_\-+/=.]{20,}/g;

/**
 * An error message as a log may hold it: quoted values, email addresses and token-like strings removed (a driver
 * message quotes the value it refused; a JSON parse error quotes the input), at most 200 characters.
 */
export function redactMessage(message: string): string {
  return message.replace(EMAIL, '[email]').replace(QUOTED, '"…"').replace(TOKEN_LIKE, '[redacted]').slice(0, 200);
}

/**
 * Whether an error is drizzle's wrapper of a failed query, whose message is "Failed query: <sql> params: <the bound
 * values>". (PGlite's own errors also carry `query` and `params` fields, but their message is the server's.)
 */
function isQueryWrapper(e: object) {
  const message = (e as { message?: unknown }).message;
  return (
    e.constructor?.name === 'DrizzleQueryError' ||
    (e as { name?: unknown }).name === 'DrizzleQueryError' ||
    (typeof message === 'string' && message.startsWith('Failed query:'))
  );
}

/** FNV-1a, 32 bits, hex: a stable fingerprint that groups occurrences of the same error. */
function fnv1a(text: string) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Describes an error for logs: its class (and its causes' classes), the SQLSTATE and constraint of a database
 * error, a fingerprint (the same for every occurrence of the same failure) and a redacted message. Never the
 * failed query's bound parameters (drizzle's wrapper quotes them in its message: that message is not logged), a
 * driver's `detail` (it quotes the conflicting row), nor the stack's first line (the message again); the stack
 * frames only in development.
 */
export function describeError(err: unknown, withStack = false): Record<string, unknown> {
  if (!(err instanceof Error)) {
    const type = err && typeof err === 'object' ? (err.constructor?.name ?? 'object') : typeof err;
    return { errorClass: type, fingerprint: fnv1a(type) };
  }
  const classes: string[] = [];
  let message: string | undefined;
  let query: string | undefined;
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    // The class: its constructor's name where it says more than the generic `name` (drizzle's wrappers say Error).
    const ctor = e.constructor?.name;
    const name = (e as Error).name;
    classes.push(ctor && ctor !== 'Object' && (!name || name === 'Error') ? ctor : name || ctor || 'object');
    if (isQueryWrapper(e)) {
      const q = (e as { query?: unknown }).query;
      if (typeof q === 'string') query = q;
    } else if (typeof (e as Error).message === 'string') {
      message = (e as Error).message; // the innermost message that is not the query wrapper's
    }
    e = (e as { cause?: unknown }).cause;
  }
  const sqlstate = pgErrorCode(err);
  const constraint = pgConstraint(err);
  const redacted = message === undefined ? undefined : redactMessage(message);
  const frame = err.stack
    ?.split('\n')
    .find((l) => /^\s+at /.test(l))
    ?.trim();
  const fields: Record<string, unknown> = {
    errorClass: classes.join(' ← '),
    ...(sqlstate ? { sqlstate } : {}),
    ...(constraint ? { constraint } : {}),
    fingerprint: fnv1a([classes.join('<'), sqlstate, constraint, redacted, query, frame].join('|')),
    ...(redacted ? { errorMessage: redacted } : {}),
  };
  if (withStack && err.stack) {
    fields.stack = err.stack
      .split('\n')
      .filter((l) => /^\s+at /.test(l))
      .slice(0, 8)
      .map((l) => l.trim())
      .join(' | ');
  }
  return fields;
}

/** Per-request logger bound to the worker and the request id. */
export function getLogger(c: Context<AppEnv>): Logger {
  return createLogger(c.get('service') ?? 'worker', c.get('config')?.LOG_LEVEL ?? c.env?.LOG_LEVEL, {
    requestId: c.get('requestId'),
  });
}
