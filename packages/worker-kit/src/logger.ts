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

/**
 * Describes an error for logs. Database errors can quote the offending values
 * (e.g. a duplicate email), so email-like strings are redacted; the stack is
 * only included in development.
 */
export function describeError(err: unknown, withStack = false): Record<string, unknown> {
  if (!(err instanceof Error)) return { errorName: typeof err };
  const fields: Record<string, unknown> = {
    errorName: err.name,
    errorMessage: err.message.replace(EMAIL, '[redacted-email]').slice(0, 300),
  };
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error) fields.cause = cause.message.replace(EMAIL, '[redacted-email]').slice(0, 300);
  if (withStack && err.stack) fields.stack = err.stack.split('\n').slice(0, 8).join(' | ');
  return fields;
}

/** Per-request logger bound to the worker and the request id. */
export function getLogger(c: Context<AppEnv>): Logger {
  return createLogger(c.get('service') ?? 'worker', c.get('config')?.LOG_LEVEL ?? c.env?.LOG_LEVEL, {
    requestId: c.get('requestId'),
  });
}
