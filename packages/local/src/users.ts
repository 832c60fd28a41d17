import type { LocalPlatform } from './index';

export interface TestUser {
  id: string;
  email: string;
  name: string;
  /** `codex-session=<value>`, ready for a Cookie header. */
  cookie: string;
}

let counter = 0;

/** A unique address per call, so suites can share one database. */
export function uniqueEmail(prefix = 'user') {
  counter += 1;
  return `${prefix}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

/**
 * Registers a user through the auth worker's real route and returns its
 * session cookie. Each call uses its own client IP so the register rate limit
 * (10 per 15 min per IP) never trips a test that only needs users.
 */
export async function registerUser(
  platform: LocalPlatform,
  opts: { email?: string; name?: string; password?: string } = {},
): Promise<TestUser> {
  const email = opts.email ?? uniqueEmail();
  const name = opts.name ?? 'Test User';
  const res = await platform.request('auth', '/api/auth/email/register', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'cf-connecting-ip': `10.${counter % 250}.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}`,
    },
    body: JSON.stringify({ email, password: opts.password ?? 'Sup3r-secret-pass', name }),
  });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${await res.text()}`);
  const setCookie = res.headers.get('set-cookie') ?? '';
  const match = /codex-session=([^;]+)/.exec(setCookie);
  if (!match) throw new Error('register returned no codex-session cookie');
  const body = (await res.json()) as { user: { id: string } };
  return { id: body.user.id, email, name, cookie: `codex-session=${match[1]}` };
}

/** JSON request helper for tests and scripts. */
export function jsonInit(
  method: string,
  body?: unknown,
  cookie?: string,
  headers: Record<string, string> = {},
): RequestInit {
  return {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(cookie ? { cookie } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  };
}

/**
 * A response body as loosely typed JSON, for assertions in tests (the Workers
 * types make Response.json() return unknown).
 */
// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
export async function json(res: Response): Promise<any> {
  return res.json();
}
