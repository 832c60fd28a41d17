/** What each worker app actually serves, compared with what the contract declares for it. */
import type { WorkerName } from '@codex/local';
import type { Contract } from './contract';

/** Hono path → OpenAPI template: `/api/x/:id` and `/api/x/:id{[0-9]+}` → `/api/x/{id}`. */
export function honoToTemplate(path: string) {
  return path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}').replace(/(.)\/$/, '$1');
}

export function servedRoutes(app: { routes?: Array<{ method: string; path: string }> }): string[] {
  const set = new Set<string>();
  for (const r of app.routes ?? []) {
    if (r.method === 'ALL') continue;
    set.add(`${r.method.toUpperCase()} ${honoToTemplate(r.path)}`);
  }
  return [...set].sort();
}

export function declaredRoutes(contract: Contract, worker: WorkerName): string[] {
  return contract.operations
    .filter((op) => op.workers.includes(worker))
    .map((op) => `${op.method} ${op.path}`)
    .sort();
}

/**
 * better-auth's own HTTP endpoints (under its basePath /api/auth). None may be served: our contract routes call
 * better-auth's server API, its handler is never mounted. Entries the contract itself declares are skipped.
 */
export const BETTER_AUTH_ENDPOINTS = [
  'POST /api/auth/sign-up/email',
  'POST /api/auth/sign-in/email',
  'POST /api/auth/sign-in/social',
  'GET /api/auth/get-session',
  'POST /api/auth/sign-out',
  'GET /api/auth/ok',
  'GET /api/auth/error',
  'POST /api/auth/forget-password',
  'POST /api/auth/request-password-reset',
  'POST /api/auth/reset-password',
  'GET /api/auth/reset-password/some-token',
  'GET /api/auth/verify-email',
  'POST /api/auth/send-verification-email',
  'GET /api/auth/list-sessions',
  'POST /api/auth/revoke-session',
  'POST /api/auth/revoke-sessions',
  'POST /api/auth/revoke-other-sessions',
  'POST /api/auth/change-password',
  'POST /api/auth/change-email',
  'POST /api/auth/set-password',
  'POST /api/auth/update-user',
  'POST /api/auth/delete-user',
  'GET /api/auth/list-accounts',
  'POST /api/auth/link-social',
  'POST /api/auth/unlink-account',
  'POST /api/auth/refresh-token',
  'GET /api/auth/callback/github',
] as const;
