/**
 * Register → login → session in the real Workers runtime, against real PostgreSQL through the production driver
 * (Neon serverless Pool over WebSocket, via the local relay). Needs DATABASE_URL (see test/workerd/global-setup.ts).
 */
import { env, SELF } from 'cloudflare:test';
import { accounts, createDb, sessions, users } from '@codex/database';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { BCRYPT_COST } from '../src/password';

const hasDatabase = env.WORKERD_TEST_DB === 'postgres';
if (!hasDatabase) {
  console.warn(
    '[workerd:auth] SKIPPED register → login → session against PostgreSQL: DATABASE_URL is not set (embedded mode). ' +
      'workerd cannot reach the in-process PGlite; run with DATABASE_URL=postgres://… to include these tests.',
  );
}

const PASSWORD = 'Correct-horse-battery-9';

/** A client address of its own per test, as the edge would set it, so rate limits never collide. */
function clientIp() {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

function json(body: unknown, ip: string, headers: Record<string, string> = {}): RequestInit {
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip, ...headers },
    body: JSON.stringify(body),
  };
}

function sessionCookie(res: Response): string {
  const lines = res.headers.getSetCookie();
  const line = lines.find((l) => /^codex-session=[^;]+/.test(l));
  expect(line, `Set-Cookie: ${lines.join(' | ')}`).toBeDefined();
  expect(line).toMatch(/;\s*HttpOnly/i);
  expect(line).toMatch(/;\s*SameSite=Strict/i);
  return (line as string).split(';')[0] as string;
}

describe.skipIf(!hasDatabase)('auth in workerd against PostgreSQL (Neon driver via relay)', () => {
  it('register → login → session, with the rows in the database', async () => {
    const ip = clientIp();
    const email = `workerd-${crypto.randomUUID()}@example.test`;
    const { db, close } = createDb(env);
    try {
      const registered = await SELF.fetch(
        'http://localhost/api/auth/email/register',
        json({ email, password: PASSWORD, name: 'Workerd User' }, ip),
      );
      expect(registered.status).toBe(201);
      const registerCookie = sessionCookie(registered);
      const regBody = (await registered.json()) as { user: { id: string; email: string; name: string } };
      expect(regBody.user).toMatchObject({ email, name: 'Workerd User' });

      const [user] = await db.select().from(users).where(eq(users.email, email));
      expect(user).toMatchObject({
        id: regBody.user.id,
        email,
        name: 'Workerd User',
        role: 'viewer',
        emailVerified: false,
      });
      const [account] = await db.select().from(accounts).where(eq(accounts.userId, regBody.user.id));
      expect(account?.providerId).toBe('credential');
      // The password is stored as a bcrypt hash at the auth worker's cost, never in clear.
      expect(account?.password).toMatch(new RegExp(`^\\$2[aby]\\$${String(BCRYPT_COST).padStart(2, '0')}\\$`));
      expect(account?.password).not.toContain(PASSWORD);

      const loggedIn = await SELF.fetch(
        'http://localhost/api/auth/email/login',
        json({ email, password: PASSWORD }, ip),
      );
      expect(loggedIn.status).toBe(200);
      const loginCookie = sessionCookie(loggedIn);
      expect(loginCookie).not.toBe(registerCookie);
      expect(((await loggedIn.json()) as { user: { email: string } }).user.email).toBe(email);
      const rows = await db.select().from(sessions).where(eq(sessions.userId, regBody.user.id));
      expect(rows).toHaveLength(2);

      const session = await SELF.fetch('http://localhost/api/auth/session', {
        headers: { cookie: loginCookie, 'cf-connecting-ip': ip },
      });
      expect(session.status).toBe(200);
      expect((await session.json()) as unknown).toMatchObject({ user: { id: regBody.user.id, email } });
    } finally {
      await close();
    }
  });

  it('a wrong password is a 401 in the error envelope and starts no session', async () => {
    const ip = clientIp();
    const email = `workerd-${crypto.randomUUID()}@example.test`;
    const { db, close } = createDb(env);
    try {
      const registered = await SELF.fetch(
        'http://localhost/api/auth/email/register',
        json({ email, password: PASSWORD, name: 'Workerd User' }, ip),
      );
      expect(registered.status).toBe(201);
      const { user } = (await registered.json()) as { user: { id: string } };

      const res = await SELF.fetch(
        'http://localhost/api/auth/email/login',
        json({ email, password: `${PASSWORD}-wrong` }, ip),
      );
      expect(res.status).toBe(401);
      expect(res.headers.getSetCookie().filter((l) => /^codex-session=[^;]+/.test(l))).toEqual([]);
      const body = (await res.json()) as { error: { code: string; message: string }; requestId: string };
      expect(body.error.code).toMatch(/^[A-Z_]+$/);
      expect(body.requestId).toBe(res.headers.get('x-request-id'));
      const rows = await db.select().from(sessions).where(eq(sessions.userId, user.id));
      expect(rows).toHaveLength(1); // only the session register started
    } finally {
      await close();
    }
  });

  it('GET /api/auth/session without a cookie is a 401', async () => {
    const res = await SELF.fetch('http://localhost/api/auth/session', { headers: { 'cf-connecting-ip': clientIp() } });
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toMatch(/^[A-Z_]+$/);
  });
});
