/**
 * A local stand-in for api.stripe.com — the one boundary the tests cannot reach. The worker's real Stripe SDK
 * is pointed here through STRIPE_API_HOST/PORT/PROTOCOL; the server records what the SDK sent (method, path,
 * headers, the form-encoded parameters) and answers like Stripe does.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  /** The form-encoded body as flat `key → value` pairs, e.g. `line_items[0][price_data][unit_amount]`. */
  params: Record<string, string>;
}

export type Responder = (req: RecordedRequest) => { status: number; body: unknown } | 'hang-up';

export interface StripeTestServer {
  host: string;
  port: number;
  /** Vars that point the worker's SDK here. */
  vars: { STRIPE_API_HOST: string; STRIPE_API_PORT: string; STRIPE_API_PROTOCOL: string };
  requests: RecordedRequest[];
  /** Replaces the default (Stripe-like) answers until reset(). */
  respondWith(responder: Responder): void;
  reset(): void;
  close(): Promise<void>;
}

let sessionCounter = 0;

/** Stripe's answer to POST /v1/checkout/sessions: a session object echoing what was asked. */
function checkoutSession(req: RecordedRequest) {
  sessionCounter += 1;
  const id = `cs_test_${Date.now().toString(36)}${sessionCounter}${Math.random().toString(36).slice(2, 10)}`;
  const p = req.params;
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(p)) {
    const m = /^metadata\[(.+)\]$/.exec(k);
    if (m?.[1]) metadata[m[1]] = v;
  }
  return {
    id,
    object: 'checkout.session',
    mode: p.mode,
    status: 'open',
    payment_status: 'unpaid',
    amount_total: Number(p['line_items[0][price_data][unit_amount]']) * Number(p['line_items[0][quantity]'] ?? 1),
    currency: p['line_items[0][price_data][currency]'],
    client_reference_id: p.client_reference_id ?? null,
    customer_email: p.customer_email ?? null,
    metadata,
    success_url: p.success_url,
    cancel_url: p.cancel_url,
    payment_intent: null,
    livemode: false,
    expires_at: Math.floor(Date.now() / 1000) + 24 * 3600,
    url: `https://checkout.stripe.com/c/pay/${id}`,
  };
}

function defaultResponder(req: RecordedRequest): { status: number; body: unknown } {
  if (req.method === 'POST' && req.path === '/v1/checkout/sessions') {
    if (!String(req.headers.authorization ?? '').startsWith('Bearer sk_test_')) {
      return { status: 401, body: { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } } };
    }
    return { status: 200, body: checkoutSession(req) };
  }
  return {
    status: 404,
    body: {
      error: { type: 'invalid_request_error', message: `Unrecognized request URL (${req.method}: ${req.path})` },
    },
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startStripeTestServer(): Promise<StripeTestServer> {
  const requests: RecordedRequest[] = [];
  let responder: Responder | undefined;
  // Same key → same answer, as Stripe's idempotency layer does.
  const idempotent = new Map<string, { status: number; body: unknown }>();

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://stripe.local');
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      headers: req.headers,
      params: Object.fromEntries(new URLSearchParams(raw)),
    };
    requests.push(recorded);
    const key = req.headers['idempotency-key'];
    const cached = typeof key === 'string' ? idempotent.get(key) : undefined;
    const answer = cached ?? (responder ?? defaultResponder)(recorded);
    if (answer === 'hang-up') {
      req.socket.destroy();
      return;
    }
    if (typeof key === 'string' && answer.status < 500) idempotent.set(key, answer);
    res.writeHead(answer.status, { 'content-type': 'application/json', 'request-id': `req_test_${requests.length}` });
    res.end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  // Never keeps a test process alive on its own (suites that share one server may not close it).
  server.unref();
  const { port } = server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    vars: { STRIPE_API_HOST: '127.0.0.1', STRIPE_API_PORT: String(port), STRIPE_API_PROTOCOL: 'http' },
    requests,
    respondWith(r) {
      responder = r;
    },
    reset() {
      responder = undefined;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
