/**
 * @codex/domain — what every layer shares and nothing transport-specific: the error-code catalogue and
 * DomainError (services throw codes, the worker toolkit maps them to HTTP), and the name of the session cookie.
 * No dependencies: services, the worker toolkit, scripts and the client generator may all import it.
 */
export * from './errors';

/** The session cookie set by the auth worker and read by every worker (HttpOnly; Secure outside development). */
export const SESSION_COOKIE = 'codex-session';
