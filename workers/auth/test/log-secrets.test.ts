/**
 * Nothing secret in the logs. Every console line the four workers write (LOG_LEVEL debug, the real logger) during
 * a full run of the flows is collected: register, verify, login (and a wrong password), password reset, an
 * organization, media upload through its signed URL, content, a purchase (checkout, Stripe's signed webhook, a
 * forged one), streaming through a signed URL, sign-out — and a forced database error whose failed query carries
 * a secret as a bound parameter. Then the collected text is searched for every secret the run used: passwords,
 * email addresses, session cookies and tokens, verify and reset tokens, URL signatures, webhook signatures and
 * secrets, API keys. Zero hits.
 */
import { format } from 'node:util';
import { organizations } from '@codex/database';
import { type LocalPlatform, startLocalPlatform, uniqueEmail } from '@codex/local';
import {
  completedSession,
  ecomVars,
  eventPayload,
  REDIRECT_ORIGIN,
  type StripeTestServer,
  sign,
  startStripeTestServer,
  WEBHOOK_SECRETS,
} from '@codex/local/stripe';
import contentApp from '@codex/worker-content-api';
import ecomApp from '@codex/worker-ecom-api';
import identityApp from '@codex/worker-identity-api';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { app as authApp } from '../src/index';
import { cookieFrom, freshIp, lastEmail, TEST_SECRET, tokenFromLink, tokenOf } from './helpers';

type Worker = 'auth' | 'identity-api' | 'content-api' | 'ecom-api';

const lines: string[] = [];
let platform: LocalPlatform;
let stripe: StripeTestServer;
/** Every secret the run used, by what it is. */
const secrets = new Map<string, string>();
const remember = (what: string, value: string | null | undefined) => {
  expect(value, what).toBeTruthy();
  secrets.set(what, value as string);
};

beforeAll(async () => {
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
      lines.push(format(...args));
    });
  }
  stripe = await startStripeTestServer();
  platform = await startLocalPlatform({
    apps: { auth: authApp, 'identity-api': identityApp, 'content-api': contentApp, 'ecom-api': ecomApp },
    vars: { LOG_LEVEL: 'debug', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test', BETTER_AUTH_SECRET: TEST_SECRET },
    workerVars: { 'ecom-api': ecomVars(stripe) },
  });
}, 120_000);

afterAll(async () => {
  await platform?.db.execute(sql`drop trigger if exists log_secrets_probe on organizations`).catch(() => {});
  await platform?.close();
  await stripe?.close();
  vi.restoreAllMocks();
});

async function call(
  worker: Worker,
  method: string,
  path: string,
  opts: { body?: unknown; cookie?: string; headers?: Record<string, string>; raw?: BodyInit } = {},
) {
  const headers: Record<string, string> = { 'cf-connecting-ip': freshIp(), ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.cookie) headers.cookie = opts.cookie;
  const res = await platform.request(worker, path, {
    method,
    headers,
    ...(opts.raw !== undefined
      ? { body: opts.raw }
      : opts.body !== undefined
        ? { body: JSON.stringify(opts.body) }
        : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  if ((res.headers.get('content-type') ?? '').includes('json')) body = JSON.parse(text);
  // biome-ignore lint/suspicious/noExplicitAny: assertions walk arbitrary JSON
  return { res, status: res.status, text, body: body as any };
}

const relative = (url: string) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

function rememberCookie(what: string, cookie: string) {
  remember(`${what} cookie`, cookie.slice('codex-session='.length));
  remember(`${what} cookie (decoded)`, decodeURIComponent(cookie.slice('codex-session='.length)));
  remember(`${what} session token`, tokenOf(cookie));
}

describe('logs during a full run of the flows', () => {
  it('hold none of the secrets the run used', async () => {
    const creatorEmail = uniqueEmail('log-secrets-creator');
    const buyerEmail = uniqueEmail('log-secrets-buyer');
    const strangerEmail = uniqueEmail('log-secrets-nobody');
    const creatorPassword = 'Creator-pass-7f3K9q';
    const buyerPassword = 'Buyer-pass-2Lm8Zx';
    const newBuyerPassword = 'Buyer-newpass-5Hq1Rt';
    const wrongPassword = 'Wrong-pass-9Vb4Nc';
    remember('creator email', creatorEmail);
    remember('buyer email', buyerEmail);
    remember('unknown email', strangerEmail);
    remember('creator password', creatorPassword);
    remember('buyer password', buyerPassword);
    remember('new buyer password', newBuyerPassword);
    remember('wrong password', wrongPassword);
    remember('auth secret', TEST_SECRET);
    remember('stripe secret key', ecomVars(stripe).STRIPE_SECRET_KEY);
    remember('booking webhook secret', WEBHOOK_SECRETS.booking);

    // Register, verify, log in.
    const reg = await call('auth', 'POST', '/api/auth/email/register', {
      body: { email: creatorEmail, password: creatorPassword, name: 'Cora Creator' },
    });
    expect(reg.status, reg.text).toBe(201);
    rememberCookie('registration', cookieFrom(reg.res));
    const creatorId = reg.body.user.id as string;
    const verifyToken = tokenFromLink(lastEmail(creatorEmail, 'verify-email')?.link ?? '');
    remember('verify token', verifyToken);
    expect((await call('auth', 'POST', '/api/auth/email/verify-email', { body: { token: verifyToken } })).status).toBe(
      200,
    );
    const wrong = await call('auth', 'POST', '/api/auth/email/login', {
      body: { email: creatorEmail, password: wrongPassword },
    });
    expect(wrong.status).toBe(401);
    const login = await call('auth', 'POST', '/api/auth/email/login', {
      body: { email: creatorEmail, password: creatorPassword },
    });
    expect(login.status, login.text).toBe(200);
    const creator = cookieFrom(login.res);
    rememberCookie('creator', creator);
    expect((await call('auth', 'GET', '/api/auth/session', { cookie: creator })).status).toBe(200);

    // The buyer resets their password (and someone asks for a reset of an unknown address).
    const buyerReg = await call('auth', 'POST', '/api/auth/email/register', {
      body: { email: buyerEmail, password: buyerPassword, name: 'Bea Buyer' },
    });
    expect(buyerReg.status).toBe(201);
    rememberCookie('buyer registration', cookieFrom(buyerReg.res));
    const buyerId = buyerReg.body.user.id as string;
    for (const email of [buyerEmail, strangerEmail]) {
      expect(
        (await call('auth', 'POST', '/api/auth/email/send-reset-password-email', { body: { email } })).status,
      ).toBe(200);
    }
    const resetToken = tokenFromLink(lastEmail(buyerEmail, 'reset-password')?.link ?? '');
    remember('reset token', resetToken);
    const reset = await call('auth', 'POST', '/api/auth/email/reset-password', {
      body: { token: resetToken, newPassword: newBuyerPassword },
    });
    expect(reset.status, reset.text).toBe(200);
    const buyerLogin = await call('auth', 'POST', '/api/auth/email/login', {
      body: { email: buyerEmail, password: newBuyerPassword },
    });
    expect(buyerLogin.status).toBe(200);
    const buyer = cookieFrom(buyerLogin.res);
    rememberCookie('buyer', buyer);

    // An organization.
    const org = await call('identity-api', 'POST', '/api/organizations', {
      body: { name: 'Log Studio', slug: `log-studio-${Date.now().toString(36)}`, description: 'Studio' },
      cookie: creator,
    });
    expect(org.status, org.text).toBe(201);

    // A forced database error: the failed INSERT carries a secret among its bound parameters.
    const dbSecret = `db-secret-${crypto.randomUUID()}`;
    remember('bound query parameter', dbSecret);
    await platform.db.execute(
      sql.raw(`create or replace function log_secrets_probe() returns trigger language plpgsql as $$
        begin
          if new.description = '${dbSecret}' then
            raise exception 'probe' using errcode = '23505', constraint = 'log_secrets_probe';
          end if;
          return new;
        end $$`),
    );
    await platform.db.execute(
      sql`create trigger log_secrets_probe before insert on organizations for each row execute function log_secrets_probe()`,
    );
    const failing = await call('identity-api', 'POST', '/api/organizations', {
      body: { name: 'Probe', slug: `probe-${Date.now().toString(36)}`, description: dbSecret },
      cookie: creator,
    });
    expect(failing.status).toBe(500);
    expect(failing.body.error.code).toBe('INTERNAL_ERROR');
    expect(await platform.db.select().from(organizations).where(eq(organizations.description, dbSecret))).toEqual([]);
    await platform.db.execute(sql`drop trigger log_secrets_probe on organizations`);

    // Media uploaded through its signed URL, content published.
    const media = await call('content-api', 'POST', '/api/media', {
      body: { title: 'Clip', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 64 },
      cookie: creator,
    });
    expect(media.status).toBe(201);
    remember('upload signature', new URL(media.body.upload.url).searchParams.get('signature'));
    const upload = await call('content-api', 'PUT', relative(media.body.upload.url), {
      headers: { 'content-type': 'video/mp4', 'content-length': '64' },
      raw: new Uint8Array(64).fill(7),
    });
    expect(upload.status, upload.text).toBe(200);
    expect(
      (
        await call('content-api', 'PATCH', `/api/media/${media.body.media.id}`, {
          body: { status: 'ready', durationSeconds: 10, width: 640, height: 360 },
          cookie: creator,
        })
      ).status,
    ).toBe(200);
    const item = await call('content-api', 'POST', '/api/content', {
      body: {
        title: 'Paid',
        slug: `paid-${Date.now().toString(36)}`,
        contentType: 'video',
        mediaItemId: media.body.media.id,
        visibility: 'purchased_only',
        priceCents: 999,
      },
      cookie: creator,
    });
    expect(item.status).toBe(201);
    expect(
      (await call('content-api', 'POST', `/api/content/${item.body.id}/publish`, { cookie: creator })).status,
    ).toBe(200);

    // The purchase: checkout, Stripe's signed webhook (and a forged one), then streaming via a signed URL.
    const checkout = await call('ecom-api', 'POST', '/checkout/create', {
      body: { contentId: item.body.id, successUrl: `${REDIRECT_ORIGIN}/ok`, cancelUrl: `${REDIRECT_ORIGIN}/cancel` },
      cookie: buyer,
    });
    expect(checkout.status, checkout.text).toBe(201);
    const session = completedSession(
      buyerId,
      { id: item.body.id, priceCents: 999, currency: 'usd' },
      {
        id: checkout.body.sessionId,
        customer_details: { email: buyerEmail, name: 'Bea Buyer' },
      },
    );
    const payload = eventPayload({ type: 'checkout.session.completed', object: session });
    const signature = await sign(payload, WEBHOOK_SECRETS.booking);
    remember('webhook signature', signature);
    const forged = await sign(payload, 'whsec_not_the_secret_0123456789');
    remember('forged webhook signature', forged);
    const refused = await call('ecom-api', 'POST', '/webhooks/stripe/booking', {
      raw: payload,
      headers: { 'content-type': 'application/json', 'stripe-signature': forged },
    });
    expect(refused.status).toBe(401);
    const hook = await call('ecom-api', 'POST', '/webhooks/stripe/booking', {
      raw: payload,
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
    });
    expect(hook.body).toMatchObject({ received: true, status: 'processed' });
    const streaming = await call('content-api', 'GET', `/api/access/streaming-url/${item.body.id}`, { cookie: buyer });
    expect(streaming.status, streaming.text).toBe(200);
    remember('streaming signature', new URL(streaming.body.streamingUrl).searchParams.get('signature'));
    const stream = await call('content-api', 'GET', relative(streaming.body.streamingUrl), {
      headers: { range: 'bytes=0-9' },
    });
    expect(stream.status).toBe(206);
    // A tampered signature is refused (and logged as a refusal, without the signature).
    const tampered = relative(streaming.body.streamingUrl).replace(
      /signature=[^&]+/,
      'signature=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    );
    expect((await call('content-api', 'GET', tampered)).status).toBe(403);

    expect((await call('auth', 'POST', '/api/auth/signout', { cookie: creator })).status).toBeLessThan(300);
    expect(creatorId).toBeTruthy();

    // The logs: many lines, the request lines of every worker, the forced error described without its values.
    const text = lines.join('\n');
    expect(lines.length).toBeGreaterThan(25);
    for (const service of ['auth-worker', 'identity-api', 'content-api', 'ecom-api']) {
      expect(text, service).toContain(`"service":"${service}"`);
    }
    const unhandled = lines
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.msg === 'unhandled error');
    expect(unhandled).toMatchObject({
      level: 'error',
      service: 'identity-api',
      sqlstate: '23505',
      constraint: 'log_secrets_probe',
      fingerprint: expect.stringMatching(/^[0-9a-f]{8}$/),
      errorClass: expect.stringContaining('DrizzleQueryError'),
    });

    // Every secret: zero hits (case-insensitive for the email addresses).
    const hits = [...secrets].filter(([what, value]) =>
      what.includes('email') ? text.toLowerCase().includes(value.toLowerCase()) : text.includes(value),
    );
    expect(
      hits.map(([what]) => what),
      `secrets found in ${lines.length} log lines`,
    ).toEqual([]);
    expect(secrets.size).toBe(29);
  });
});
