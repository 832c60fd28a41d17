/**
 * @codex/client against the real worker apps on the local platform (Miniflare KV, embedded PGlite or
 * PostgreSQL): each request must reach the worker that serves its path, the cookie jar must carry the
 * session from auth to the other workers and drop it on sign-out, and every result names its request id.
 */
import { organizationMembers, organizations } from '@codex/database';
import {
  DEV_PORTS,
  type LocalPlatform,
  localNetwork,
  startLocalPlatform,
  uniqueEmail,
  type WorkerName,
} from '@codex/local';
import authApp from '@codex/worker-auth';
import contentApp from '@codex/worker-content-api';
import ecomApp from '@codex/worker-ecom-api';
import identityApp from '@codex/worker-identity-api';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CodexClientOptions, createCodexClient, sessionFromSetCookie } from '../src/index';

const apps = { auth: authApp, 'content-api': contentApp, 'identity-api': identityApp, 'ecom-api': ecomApp };
const baseUrls: CodexClientOptions['baseUrls'] = {
  auth: `http://localhost:${DEV_PORTS.auth}`,
  content: `http://localhost:${DEV_PORTS['content-api']}`,
  identity: `http://localhost:${DEV_PORTS['identity-api']}`,
  ecom: `http://localhost:${DEV_PORTS['ecom-api']}`,
};
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let platform: LocalPlatform;

interface Sent {
  worker: WorkerName;
  method: string;
  path: string;
  cookie: string | null;
  credentials: RequestCredentials;
}

/** The network between the client and the workers, recording what the client sent. */
function network() {
  const sent: Sent[] = [];
  const fetch = localNetwork(platform, apps, (worker, request) => {
    const url = new URL(request.url);
    sent.push({
      worker,
      method: request.method,
      path: url.pathname,
      cookie: request.headers.get('cookie'),
      credentials: request.credentials,
    });
  });
  return { sent, fetch };
}

const slug = () => `client-${Math.random().toString(36).slice(2, 8)}`;

beforeAll(async () => {
  platform = await startLocalPlatform({
    apps,
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test' },
  });
});

afterAll(async () => {
  await platform?.close();
});

describe('createCodexClient (cookie jar)', () => {
  it('registers on auth, uses the session on identity-api, and forgets it on sign-out', async () => {
    const net = network();
    const client = createCodexClient({ baseUrls, fetch: net.fetch, cookies: 'jar' });

    const email = uniqueEmail('client');
    const reg = await client.POST('/api/auth/email/register', {
      body: { email, password: 'Sup3r-secret-pass', name: 'Carla Client' },
    });
    expect(reg.response.status).toBe(201);
    expect(reg.error).toBeUndefined();
    expect(reg.data?.user.email).toBe(email);
    expect(reg.requestId).toMatch(UUID);
    expect(reg.requestId).toBe(reg.response.headers.get('x-request-id'));
    expect(net.sent.at(-1)).toMatchObject({ worker: 'auth', method: 'POST', path: '/api/auth/email/register' });
    const session = client.session.get();
    expect(session).toBeTruthy();
    const userId = reg.data?.user.id as string;

    const s = slug();
    const created = await client.POST('/api/organizations', { body: { name: 'Client Studio', slug: s } });
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ slug: s, name: 'Client Studio', myRole: 'owner' });
    expect(net.sent.at(-1)).toMatchObject({
      worker: 'identity-api',
      path: '/api/organizations',
      cookie: `codex-session=${session}`,
    });
    const members = await platform.db
      .select()
      .from(organizationMembers)
      .where(eq(organizationMembers.organizationId, created.data?.id as string));
    expect(members).toEqual([expect.objectContaining({ userId, role: 'owner' })]);

    const out = await client.POST('/api/auth/signout');
    expect(out.response.status).toBe(200);
    expect(net.sent.at(-1)).toMatchObject({ worker: 'auth', path: '/api/auth/signout' });
    expect(client.session.get()).toBeUndefined();

    const s2 = slug();
    const refused = await client.POST('/api/organizations', { body: { name: 'After Sign-out', slug: s2 } });
    expect(refused.response.status).toBe(401);
    expect(net.sent.at(-1)).toMatchObject({ worker: 'identity-api', cookie: null });
    expect(refused.data).toBeUndefined();
    expect(refused.error?.code).toBe('AUTHENTICATION_REQUIRED');
    expect(refused.error?.requestId).toBe(refused.requestId);
    expect(await platform.db.select().from(organizations).where(eq(organizations.slug, s2))).toHaveLength(0);
  });

  it('types the error as the ErrorResponse envelope and keeps the request id the caller sent', async () => {
    const net = network();
    const requestId = 'client-test-0001';
    const client = createCodexClient({
      baseUrls,
      fetch: net.fetch,
      cookies: 'jar',
      headers: { 'x-request-id': requestId },
    });
    const reg = await client.POST('/api/auth/email/register', {
      body: { email: uniqueEmail('client'), password: 'Sup3r-secret-pass', name: 'Eve Errors' },
    });
    expect(reg.response.status).toBe(201);

    const bad = await client.POST('/api/organizations', { body: { name: 'Bad', slug: 'Not A Slug' } });
    expect(bad.response.status).toBe(400);
    expect(bad.requestId).toBe(requestId);
    expect(bad.error?.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(bad.error?.details)).toContain('slug');
    expect(bad.error?.requestId).toBe(requestId);
    expect(await platform.db.select().from(organizations).where(eq(organizations.slug, 'Not A Slug'))).toHaveLength(0);
  });
});

describe('routing', () => {
  it('sends a meta route to the worker chosen with worker(), and refuses to guess one', async () => {
    const net = network();
    const client = createCodexClient({ baseUrls, fetch: net.fetch, cookies: 'jar' });

    for (const [key, worker, service] of [
      ['content', 'content-api', 'content-api'],
      ['ecom', 'ecom-api', 'ecom-api'],
      ['auth', 'auth', 'auth-worker'],
    ] as const) {
      const health = await client.worker(key).GET('/health');
      expect(health.response.status).toBe(200);
      expect(health.data?.service).toBe(service);
      expect(health.data?.checks.database).toBe('healthy');
      expect(net.sent.at(-1)).toMatchObject({ worker, path: '/health' });
    }

    const before = net.sent.length;
    expect(() => client.GET('/health')).toThrow(/served by every worker.*client\.worker\(/);
    expect(() => client.worker('auth').GET('/api/organizations')).toThrow(/served by identity, not auth/);
    expect(() => client.GET('/api/nope' as '/health')).toThrow(/not a path of the contract/);
    expect(net.sent.length).toBe(before);
  });

  it("in 'browser' mode leaves cookies to the browser (credentials: include) and keeps no jar", async () => {
    const net = network();
    const client = createCodexClient({ baseUrls, fetch: net.fetch, cookies: 'browser' });
    const reg = await client.POST('/api/auth/email/register', {
      body: { email: uniqueEmail('client'), password: 'Sup3r-secret-pass', name: 'Bea Browser' },
    });
    expect(reg.response.status).toBe(201);
    expect(reg.response.headers.getSetCookie().some((c) => c.startsWith('codex-session='))).toBe(true);
    expect(client.session.get()).toBeUndefined();

    const list = await client.GET('/api/organizations', { params: { query: { limit: 1 } } });
    expect(list.response.status).toBe(200);
    expect(list.data?.pagination.limit).toBe(1);
    expect(net.sent.at(-1)).toMatchObject({ worker: 'identity-api', cookie: null, credentials: 'include' });
  });
});

describe('sessionFromSetCookie', () => {
  it('reads the value, a removal (Max-Age=0, past Expires, empty value) and ignores other cookies', () => {
    const h = (...cookies: string[]) => {
      const headers = new Headers();
      for (const c of cookies) headers.append('set-cookie', c);
      return headers;
    };
    expect(sessionFromSetCookie(h('codex-session=abc.def; Path=/; HttpOnly; SameSite=Strict'))).toBe('abc.def');
    expect(sessionFromSetCookie(h('codex-session=; Path=/; Max-Age=0'))).toBeNull();
    expect(sessionFromSetCookie(h('codex-session=old; Expires=Thu, 01 Jan 1970 00:00:00 GMT'))).toBeNull();
    expect(sessionFromSetCookie(h('other=1; Path=/'))).toBeUndefined();
    expect(sessionFromSetCookie(h('codex-session=a; Max-Age=0', 'codex-session=b; Max-Age=3600'))).toBe('b');
  });
});
