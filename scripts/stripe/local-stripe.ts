/**
 * A local stand-in for the Stripe API, for `npm run dev` on a machine that cannot (or should not) reach Stripe.
 * No real payment ever happens here.
 *
 * The ecom worker's own Stripe SDK is pointed at it through STRIPE_API_HOST/PORT/PROTOCOL (honoured outside
 * production only), so the worker's code path is the one that talks to Stripe in production. It answers:
 *
 * - POST /v1/checkout/sessions — creates a Checkout Session like Stripe (cs_test_… id, `url`), requires a
 *   `Bearer sk_test_…` key, honours Idempotency-Key (same key → same session);
 * - GET  /v1/checkout/sessions/{id} — retrieves it (404 resource_missing otherwise);
 * - GET  /c/pay/{id} — the "hosted checkout page" the session's `url` points at: the item, the price, a Pay button;
 * - POST /c/pay/{id} — "pays": sends the signed checkout.session.completed to the worker's booking webhook, as
 *   Stripe would, and shows what the worker answered with a link to the success URL.
 *
 * Sessions are kept in a JSON file (when `persistFile` is given) so that they survive a restart of `npm run dev`
 * and `npm run stripe:event -- --session cs_…` can find them through GET /v1/checkout/sessions/{id}.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { derivedIds } from './config';
import { buildEvent, type CheckoutFacts, deliverEvent } from './events';

export interface LocalStripeOptions {
  port?: number;
  host?: string;
  /** JSON file the sessions are kept in (omit: memory only). */
  persistFile?: string;
  /** Where the Pay button delivers checkout.session.completed, and the booking endpoint's signing secret. */
  webhook: { baseUrl: string; secret: string };
  /** One line per API call / payment (default: console.log). */
  log?: (line: string) => void;
}

export interface LocalStripe {
  port: number;
  url: string;
  /** The vars that point the worker's SDK here. */
  vars: { STRIPE_API_HOST: string; STRIPE_API_PORT: string; STRIPE_API_PROTOCOL: string };
  close(): Promise<void>;
}

type Session = Record<string, unknown> & {
  id: string;
  status: string;
  payment_status: string;
  amount_total: number;
  currency: string;
  metadata: Record<string, string>;
};

interface Answer {
  status: number;
  body: unknown;
}

const stripeError = (status: number, message: string, extra: Record<string, unknown> = {}): Answer => ({
  status,
  body: { error: { type: 'invalid_request_error', message, ...extra } },
});

/** Stripe's form encoding, flattened: `metadata[userId]` → value. */
function parseForm(raw: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(raw));
}

function prefixed(params: Record<string, string>, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (k.startsWith(`${prefix}[`) && k.endsWith(']')) out[k.slice(prefix.length + 1, -1)] = v;
  }
  return out;
}

const escapeHtml = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] as string,
  );

function readBody(req: IncomingMessage, limit = 256 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The facts a completed-checkout event carries, from a session this server created. */
export function factsOf(session: Session): CheckoutFacts {
  return {
    sessionId: session.id,
    userId: session.metadata.userId ?? String(session.client_reference_id ?? ''),
    contentId: session.metadata.contentId ?? '',
    amountCents: session.amount_total,
    currency: session.currency,
    customerEmail: (session.customer_email as string | null) ?? null,
    successUrl: (session.success_url as string | null) ?? null,
    cancelUrl: (session.cancel_url as string | null) ?? null,
  };
}

export async function startLocalStripe(options: LocalStripeOptions): Promise<LocalStripe> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => console.log(line));
  const sessions = new Map<string, Session>();
  const idempotent = new Map<string, Answer>();
  let port = options.port ?? 0;

  if (options.persistFile) {
    try {
      const saved = JSON.parse(readFileSync(options.persistFile, 'utf8')) as Session[];
      for (const s of saved) sessions.set(s.id, s);
    } catch {
      // no file yet (or unreadable): start empty
    }
  }
  const persist = () => {
    if (!options.persistFile) return;
    mkdirSync(dirname(options.persistFile), { recursive: true });
    writeFileSync(options.persistFile, `${JSON.stringify([...sessions.values()], null, 2)}\n`);
  };

  const checkoutUrl = (id: string) => `http://localhost:${port}/c/pay/${id}`;

  function createSession(params: Record<string, string>): Answer {
    const unitAmount = Number(params['line_items[0][price_data][unit_amount]']);
    const quantity = Number(params['line_items[0][quantity]'] ?? 1);
    const currency = params['line_items[0][price_data][currency]'];
    const missing = [
      !params.mode && 'mode',
      !Number.isInteger(unitAmount) && 'line_items[0][price_data][unit_amount]',
      !currency && 'line_items[0][price_data][currency]',
      params.mode === 'payment' && !params.success_url && 'success_url',
    ].filter(Boolean);
    if (missing.length > 0) {
      return stripeError(400, `Missing required param: ${missing[0]}.`, {
        param: missing[0],
        code: 'parameter_missing',
      });
    }
    const id = `cs_test_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 12)}${sessions.size}`;
    const session: Session = {
      id,
      object: 'checkout.session',
      mode: params.mode as string,
      status: 'open',
      payment_status: 'unpaid',
      amount_subtotal: unitAmount * quantity,
      amount_total: unitAmount * quantity,
      currency: (currency as string).toLowerCase(),
      client_reference_id: params.client_reference_id ?? null,
      customer_email: params.customer_email ?? null,
      metadata: prefixed(params, 'metadata'),
      line_items_preview: {
        name: params['line_items[0][price_data][product_data][name]'] ?? null,
        quantity,
      },
      success_url: params.success_url ?? null,
      cancel_url: params.cancel_url ?? null,
      payment_intent: null,
      livemode: false,
      created: Math.floor(Date.now() / 1000),
      expires_at: Math.floor(Date.now() / 1000) + 24 * 3600,
      url: checkoutUrl(id),
    };
    sessions.set(id, session);
    persist();
    log(
      `  stripe stand-in: checkout session ${id} created (${session.amount_total} ${session.currency}) — pay at ${session.url}`,
    );
    return { status: 200, body: session };
  }

  function api(method: string, path: string, headers: IncomingMessage['headers'], raw: string): Answer {
    if (!path.startsWith('/v1/')) return stripeError(404, `Unrecognized request URL (${method}: ${path}).`);
    if (!String(headers.authorization ?? '').startsWith('Bearer sk_test_')) {
      return { status: 401, body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } } };
    }
    if (method === 'POST' && path === '/v1/checkout/sessions') {
      const key = headers['idempotency-key'];
      const cached = typeof key === 'string' ? idempotent.get(key) : undefined;
      if (cached) return cached;
      const answer = createSession(parseForm(raw));
      if (typeof key === 'string') idempotent.set(key, answer);
      return answer;
    }
    const m = /^\/v1\/checkout\/sessions\/([A-Za-z0-9_]+)$/.exec(path);
    if (method === 'GET' && m?.[1]) {
      const session = sessions.get(m[1]);
      if (!session) {
        return stripeError(404, `No such checkout.session: '${m[1]}'`, {
          code: 'resource_missing',
          param: 'session',
        });
      }
      return { status: 200, body: session };
    }
    return stripeError(404, `Unrecognized request URL (${method}: ${path}). The local stand-in only knows Checkout.`);
  }

  function page(title: string, body: string) {
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto">
<p style="background:#fff3cd;padding:.5rem 1rem;border-radius:6px">Local Stripe stand-in — test mode, no real payment.</p>
${body}</body></html>`;
  }

  async function checkoutPage(method: string, id: string, res: ServerResponse) {
    const session = sessions.get(id);
    const html = (status: number, text: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(text);
    };
    if (!session) return html(404, page('Not found', '<h1>No such checkout session</h1>'));
    const preview = session.line_items_preview as { name?: string } | undefined;
    const price = `${(session.amount_total / 100).toFixed(2)} ${session.currency.toUpperCase()}`;
    if (method === 'GET') {
      const paid = session.payment_status === 'paid';
      return html(
        200,
        page(
          'Checkout',
          `<h1>${escapeHtml(preview?.name ?? 'Checkout')}</h1><p style="font-size:1.5rem">${escapeHtml(price)}</p>
<p>Session <code>${escapeHtml(session.id)}</code>${session.customer_email ? ` · ${escapeHtml(session.customer_email)}` : ''}</p>
${paid ? '<p><strong>Already paid.</strong> Paying again redelivers the same event.</p>' : ''}
<form method="post"><button style="font-size:1.2rem;padding:.5rem 2rem">Pay ${escapeHtml(price)}</button></form>
${session.cancel_url ? `<p><a href="${escapeHtml(session.cancel_url)}">Cancel</a></p>` : ''}`,
        ),
      );
    }
    if (method !== 'POST') return html(405, page('Method not allowed', '<h1>405</h1>'));
    const event = buildEvent('completed', factsOf(session));
    let outcome: string;
    try {
      const result = await deliverEvent(event, options.webhook.secret, options.webhook.baseUrl);
      outcome = `${result.status} ${JSON.stringify(result.body)}`;
      if (result.status === 200) {
        session.status = 'complete';
        session.payment_status = 'paid';
        session.payment_intent = derivedIds(session.id).paymentIntent;
        persist();
      }
    } catch (e) {
      outcome = `not delivered: ${e instanceof Error ? e.message : String(e)}`;
    }
    log(`  stripe stand-in: ${session.id} paid → ${event.type} ${event.id} → booking webhook: ${outcome}`);
    const success = String(session.success_url ?? '').replaceAll('{CHECKOUT_SESSION_ID}', session.id);
    return html(
      200,
      page(
        'Paid',
        `<h1>Payment sent</h1><p>${escapeHtml(event.type)} <code>${escapeHtml(event.id)}</code> → booking webhook:</p>
<pre style="white-space:pre-wrap">${escapeHtml(outcome)}</pre>
${success ? `<p><a href="${escapeHtml(success)}">Continue to ${escapeHtml(success)}</a></p>` : ''}`,
      ),
    );
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const raw = await readBody(req);
      const path = new URL(req.url ?? '/', 'http://stripe.local').pathname;
      const method = req.method ?? 'GET';
      const pay = /^\/c\/pay\/([A-Za-z0-9_]+)$/.exec(path);
      if (pay?.[1]) return await checkoutPage(method, pay[1], res);
      const answer = api(method, path, req.headers, raw);
      res.writeHead(answer.status, {
        'content-type': 'application/json',
        'request-id': `req_local_${Date.now().toString(36)}`,
      });
      res.end(JSON.stringify(answer.body));
    } catch (e) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { type: 'api_error', message: e instanceof Error ? e.message : 'error' } }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://localhost:${port}`,
    vars: { STRIPE_API_HOST: host, STRIPE_API_PORT: String(port), STRIPE_API_PROTOCOL: 'http' },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
