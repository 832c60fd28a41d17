/**
 * The email transports. `http` is checked against a local HTTP server standing in for the email API
 * (a boundary we cannot reach from here); `console` prints one line with the link and never the address.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalPlatform } from '@codex/local';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PASSWORD, send, startAuthPlatform, uniqueEmail, userRow } from './helpers';

let platform: LocalPlatform;
let server: ReturnType<typeof createServer>;
let apiUrl: string;
let answerWith = 202;
const received: Array<{ method: string; url: string; headers: IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  platform = await startAuthPlatform();
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.statusCode = answerWith;
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/send`;
});

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await platform?.close();
});

describe('http transport', () => {
  it('POSTs the verification email as JSON with the bearer key', async () => {
    answerWith = 202;
    const email = uniqueEmail('http');
    const { res } = await send(platform, 'POST', '/api/auth/email/register', {
      body: { email, password: PASSWORD, name: 'Hedy Lamarr' },
      env: {
        EMAIL_TRANSPORT: 'http',
        EMAIL_API_URL: apiUrl,
        EMAIL_API_KEY: 'key-123',
        EMAIL_FROM: 'Codex <no-reply@example.test>',
      },
    });
    expect(res.status).toBe(201);
    const call = received.find((r) => JSON.parse(r.body).to === email);
    expect(call).toBeDefined();
    expect(call?.method).toBe('POST');
    expect(call?.url).toBe('/v1/send');
    expect(call?.headers.authorization).toBe('Bearer key-123');
    expect(call?.headers['content-type']).toBe('application/json');
    const payload = JSON.parse(call?.body ?? '{}');
    expect(payload).toEqual({
      from: 'Codex <no-reply@example.test>',
      to: email,
      subject: 'Confirm your email address',
      text: expect.stringMatching(/http:\/\/localhost:42069\/api\/auth\/verify-email\?token=[\w.-]+/),
      kind: 'verify-email',
    });
    expect(payload.text).toContain('Hello Hedy Lamarr');
  });

  it('still registers (201) when the email API fails; the failure is logged without the address', async () => {
    answerWith = 500;
    const email = uniqueEmail('fail');
    const errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    try {
      const { res } = await send(platform, 'POST', '/api/auth/email/register', {
        body: { email, password: PASSWORD, name: 'Failing' },
        env: { EMAIL_TRANSPORT: 'http', EMAIL_API_URL: apiUrl, LOG_LEVEL: 'error' },
      });
      expect(res.status).toBe(201);
      expect((await userRow(platform, email))?.email).toBe(email);
      const lines = errors.mock.calls.map((c) => String(c[0]));
      const failure = lines.find((l) => l.includes('email delivery failed'));
      expect(failure).toBeDefined();
      expect(JSON.parse(failure as string)).toMatchObject({
        kind: 'verify-email',
        transport: 'http',
        reason: 'email API answered 500',
      });
      for (const line of lines) expect(line).not.toContain(email);
    } finally {
      errors.mockRestore();
      answerWith = 202;
    }
  });

  it('answers the reset request 200 even when the email API is down', async () => {
    const reg = await send(platform, 'POST', '/api/auth/email/register', {
      body: { email: uniqueEmail('down'), password: PASSWORD, name: 'Down' },
    });
    expect(reg.res.status).toBe(201);
    const { res, body } = await send(platform, 'POST', '/api/auth/email/send-reset-password-email', {
      body: { email: reg.body.user.email },
      env: { EMAIL_TRANSPORT: 'http', EMAIL_API_URL: 'http://127.0.0.1:1/unreachable' },
    });
    expect(res.status).toBe(200);
    expect(body).toEqual({ success: true });
  });
});

describe('console transport', () => {
  it('prints one line with the link and never the address', async () => {
    const email = uniqueEmail('console');
    const logs = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      const { res } = await send(platform, 'POST', '/api/auth/email/register', {
        body: { email, password: PASSWORD, name: 'Console' },
        env: { EMAIL_TRANSPORT: 'console', LOG_LEVEL: 'info' },
      });
      expect(res.status).toBe(201);
      const lines = logs.mock.calls.map((c) => c.map(String).join(' '));
      const emailLines = lines.filter((l) => l.startsWith('[codex-auth email]'));
      expect(emailLines).toHaveLength(1);
      expect(emailLines[0]).toMatch(
        /^\[codex-auth email\] verify-email: http:\/\/localhost:42069\/api\/auth\/verify-email\?token=[\w.-]+$/,
      );
      for (const line of lines) expect(line).not.toContain(email);
    } finally {
      logs.mockRestore();
    }
  });
});

describe('logs', () => {
  it('never carry an email address, even better-auth debug lines about a duplicate sign-up or a failed login', async () => {
    const email = uniqueEmail('quiet');
    const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((m) =>
      vi.spyOn(console, m).mockImplementation(() => undefined),
    );
    try {
      const env = { LOG_LEVEL: 'debug' };
      const body = { email, password: PASSWORD, name: 'Quiet' };
      expect((await send(platform, 'POST', '/api/auth/email/register', { body, env })).res.status).toBe(201);
      expect((await send(platform, 'POST', '/api/auth/email/register', { body, env })).res.status).toBe(409);
      const wrong = { email, password: 'wrong-password' };
      expect((await send(platform, 'POST', '/api/auth/email/login', { body: wrong, env })).res.status).toBe(401);
      const reset = { email };
      expect(
        (await send(platform, 'POST', '/api/auth/email/send-reset-password-email', { body: reset, env })).res.status,
      ).toBe(200);
      const lines = spies.flatMap((s) => s.mock.calls.map((c) => c.map(String).join(' ')));
      expect(lines.length).toBeGreaterThan(3);
      for (const line of lines) expect(line).not.toContain(email);
    } finally {
      for (const s of spies) s.mockRestore();
    }
  });
});

describe('configuration', () => {
  it('refuses to run with an unknown EMAIL_TRANSPORT (503), creating nothing', async () => {
    const email = uniqueEmail('badcfg');
    const { res, body } = await send(platform, 'POST', '/api/auth/email/register', {
      body: { email, password: PASSWORD, name: 'Bad' },
      env: { EMAIL_TRANSPORT: 'pigeon' },
    });
    expect(res.status).toBe(503);
    expect(body.error.code).toBe('SERVICE_MISCONFIGURED');
    expect(await userRow(platform, email)).toBeUndefined();
  });
});
