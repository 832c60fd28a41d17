/**
 * Serving a worker app over real HTTP in Node, as the Workers runtime would hand it requests:
 * `app.fetch(request, env, ctx)` with an ExecutionContext whose `waitUntil` promises are tracked
 * (and awaited on shutdown), and `cf-connecting-ip` set from the socket's remote address — any value
 * a client sends is overwritten, as Cloudflare's edge does. Used by `npm run dev` and the benchmarks.
 */
import type { AddressInfo } from 'node:net';
import { type HttpBindings, type ServerType, serve } from '@hono/node-server';

export interface FetchApp {
  fetch(request: Request, env?: unknown, ctx?: ExecutionContext): Response | Promise<Response>;
}

/** An ExecutionContext for in-process requests: `waitUntil` promises are tracked until they settle. */
export class WaitUntilTracker {
  readonly #pending = new Set<Promise<unknown>>();
  constructor(private readonly onError: (error: unknown) => void = (e) => console.error('waitUntil failed:', e)) {}

  context(): ExecutionContext {
    return {
      waitUntil: (promise: Promise<unknown>) => {
        const tracked: Promise<unknown> = Promise.resolve(promise)
          .catch((e) => this.onError(e))
          .finally(() => this.#pending.delete(tracked));
        this.#pending.add(tracked);
      },
      passThroughOnException: () => {},
      props: {},
    } as unknown as ExecutionContext;
  }

  get size() {
    return this.#pending.size;
  }

  /** Waits for every tracked promise (including ones added while waiting). */
  async drain(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }
}

/** The client address as the edge would report it (IPv4-mapped IPv6 unwrapped). */
export function clientAddress(bindings: unknown): string {
  const raw = (bindings as HttpBindings | undefined)?.incoming?.socket?.remoteAddress ?? '127.0.0.1';
  return raw.startsWith('::ffff:') ? raw.slice('::ffff:'.length) : raw;
}

/** Copies the request with `cf-connecting-ip` overwritten by the socket's address. */
export function withClientIp(request: Request, ip: string): Request {
  const headers = new Headers(request.headers);
  headers.set('cf-connecting-ip', ip);
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== null;
  return new Request(request.url, {
    method: request.method,
    headers,
    body: hasBody ? request.body : null,
    redirect: request.redirect,
    signal: request.signal,
    ...(hasBody ? { duplex: 'half' } : {}),
  } as RequestInit);
}

export interface ServedApp {
  port: number;
  url: string;
  server: ServerType;
  close(): Promise<void>;
}

export interface ServeOptions {
  port: number;
  hostname?: string;
  /** The bindings for each request (called per request, as a worker receives env each time). */
  env: () => unknown;
  tracker: WaitUntilTracker;
}

/** Starts an HTTP server for `app`; resolves once it is listening (rejects on EADDRINUSE etc.). */
export function serveApp(app: FetchApp, options: ServeOptions): Promise<ServedApp> {
  const hostname = options.hostname ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const server = serve({
      port: options.port,
      hostname,
      fetch: (request, bindings) =>
        app.fetch(withClientIp(request, clientAddress(bindings)), options.env(), options.tracker.context()),
    });
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      const port = (server.address() as AddressInfo).port;
      resolve({
        port,
        url: `http://localhost:${port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            const s = server as unknown as { closeIdleConnections?: () => void; closeAllConnections?: () => void };
            s.closeIdleConnections?.();
            // In-flight requests get a moment to finish, then are cut.
            setTimeout(() => s.closeAllConnections?.(), 2000).unref();
          }),
      });
    });
  });
}
