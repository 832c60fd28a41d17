/** The identity worker's test platform (auth + identity-api), shared by the route files' tests. */
import { json, jsonInit, type LocalPlatform, registerUser, startLocalPlatform, type TestUser } from '@codex/local';
import authApp from '@codex/worker-auth';
import { expect } from 'vitest';
import identityApp from '../src/index';

export const slugFor = (base: string) => `${base}-${Math.random().toString(36).slice(2, 8)}`;

/** auth + identity-api on the local platform, with an owner-to-be and another user registered. */
export async function startIdentity() {
  const platform = await startLocalPlatform({
    apps: { auth: authApp, 'identity-api': identityApp },
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test' },
  });
  const owner = await registerUser(platform, { name: 'Olive Owner' });
  const other = await registerUser(platform, { name: 'Oscar Other' });
  return { platform, owner, other };
}

export function callAs(platform: LocalPlatform, path: string, method = 'GET', body?: unknown, user?: TestUser) {
  return platform.request('identity-api', path, jsonInit(method, body, user?.cookie));
}

export async function createOrganization(
  platform: LocalPlatform,
  user: TestUser,
  fields: Record<string, unknown> = {},
) {
  const res = await callAs(
    platform,
    '/api/organizations',
    'POST',
    { name: 'Acme Studio', slug: slugFor('acme'), ...fields },
    user,
  );
  expect(res.status).toBe(201);
  return (await json(res)) as { id: string; slug: string; name: string };
}
