/**
 * @codex/worker-kit — the worker toolkit: createWorker (the middleware chain, the error envelope, the meta
 * routes), defineRoute (one declaration per route: access, rate limit, inputs, responses, error codes), the
 * environment schema, the session and rate-limit middleware, the request's database and logger.
 */
export * from './client-ip';
export * from './create-worker';
export * from './db';
export * from './docs-page';
export * from './env';
export * from './http-errors';
export * from './idempotency';
export * from './logger';
export * from './range';
export * from './rate-limit';
export * from './route';
export * from './session';
export * from './types';
