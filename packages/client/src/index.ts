/**
 * @codex/client — one typed client for the four Codex workers.
 *
 * Types come from the published contract (generated/codex-api.d.ts, openapi-typescript); each request goes to the
 * worker that serves its path, and each body is sent and read the way the contract says (generated/codex-routes.ts).
 * The hand-written core: typed errors, retries with backoff and Retry-After, idempotency keys, timeouts and abort,
 * pagination, signed upload/stream URLs, middleware and a logger, and the session cookie in every runtime.
 * URL and query serialization are openapi-fetch's.
 */
import {
  createFinalURL,
  createQuerySerializer,
  defaultBodySerializer,
  defaultPathSerializer,
  type HeadersOptions,
  type MergedOptions,
  type Middleware,
  mergeHeaders,
} from 'openapi-fetch';
import {
  CODEX_OPERATIONS,
  CODEX_ROUTES,
  CODEX_WORKERS,
  type CodexBodyKind,
  type CodexOperation,
  type CodexWorkerKey,
} from '../../../generated/codex-routes';
import { type CookieMode, detectCookieMode, SessionJar } from './cookies';
import {
  type AnyAPIError,
  APIConnectionError,
  APIConnectionTimeoutError,
  APIUserAbortError,
  apiErrorFor,
  CodexError,
} from './errors';
import { backoffMs, DEFAULT_MAX_RETRIES, type RetryPolicy, retryAfterResponse, safeToRepeat, sleep } from './retry';
import type {
  BinaryBody,
  BodyOption,
  HttpMethod,
  ItemOf,
  ListPaths,
  Operation,
  PageOf,
  ParamsOption,
  PathsWith,
  RequiredKeysOf,
  SuccessData,
} from './types';

export type { Middleware } from 'openapi-fetch';
export {
  CODEX_OPERATIONS,
  CODEX_ROUTES,
  CODEX_WORKERS,
  type CodexOperation,
  type CodexWorkerKey,
} from '../../../generated/codex-routes';
export { type CookieMode, detectCookieMode, SESSION_COOKIE, sessionFromSetCookie } from './cookies';
export * from './errors';
export { backoffMs, DEFAULT_MAX_RETRIES, type RetryPolicy } from './retry';
export type * from './types';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** Where the client logs (console fits): every attempt at debug, each retry at info, a give-up at warn. */
export interface CodexLogger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

export interface CodexClientOptions {
  /** Base URL of each worker, e.g. { auth: 'http://localhost:42069', content: 'http://localhost:4001', … }. */
  baseUrls: Record<CodexWorkerKey, string>;
  /** Custom fetch (default: globalThis.fetch at call time). */
  fetch?: (request: Request) => Promise<Response>;
  /** Where the session cookie lives; default: detectCookieMode() ('browser' in a page or Web Worker, else 'jar'). */
  cookies?: CookieMode;
  /** Headers sent with every request. */
  headers?: HeadersOptions;
  /** Retries after the first attempt (default 2); 0 turns retries off. */
  maxRetries?: number;
  /** Milliseconds to wait for an answer, per attempt (default 60 000). */
  timeout?: number;
  /** Backoff and Retry-After limits. */
  retry?: RetryPolicy;
  /** Logger (e.g. console) and its level (default 'info'). */
  logger?: CodexLogger;
  logLevel?: LogLevel;
  /** Makes idempotency keys (default: a random UUID). */
  idempotencyKey?: () => string;
}

/** Per-request options, next to `params` and `body`. */
export interface RequestOptions {
  headers?: HeadersOptions;
  signal?: AbortSignal;
  /** Milliseconds per attempt; overrides the client's. */
  timeout?: number;
  /** Retries after the first attempt; overrides the client's. */
  maxRetries?: number;
  /** The Idempotency-Key of this call (default: a new key for each POST that creates something). */
  idempotencyKey?: string;
}

/** `data` or `error` (an APIError of its status family), the answer itself and its request id. */
export type CodexResult<T> = (
  | { data: T; error?: never }
  | {
      data?: never;
      error: AnyAPIError;
    }
) & {
  response: Response;
  /** The x-request-id the worker answered with (quote it when reporting a problem). */
  requestId: string | null;
};

export type CallInit<O> = ParamsOption<O> & BodyOption<O> & RequestOptions;
type Args<O> = RequiredKeysOf<CallInit<O>> extends never ? [init?: CallInit<O>] : [init: CallInit<O>];

type CodexMethod<M extends HttpMethod> = <P extends PathsWith<M>>(
  path: P,
  ...init: Args<Operation<P, M>>
) => Promise<CodexResult<SuccessData<Operation<P, M>>>>;

export interface CodexRequester {
  GET: CodexMethod<'get'>;
  POST: CodexMethod<'post'>;
  PUT: CodexMethod<'put'>;
  PATCH: CodexMethod<'patch'>;
  DELETE: CodexMethod<'delete'>;
  /** HEAD of a GET operation: status and headers, no body. */
  HEAD: <P extends PathsWith<'get'>>(path: P, ...init: Args<Operation<P, 'get'>>) => Promise<CodexResult<undefined>>;
}

/** `for await` over the items of every page, or over the pages with `.pages()`. */
export interface Paginator<Item, Page> extends AsyncIterable<Item> {
  pages(): AsyncIterable<Page>;
}

/** Where a signed upload goes: createMedia's `upload` ({ url, method, headers }), used exactly as returned. */
export interface SignedUpload {
  url: string;
  method?: string;
  headers?: Record<string, string>;
}

export interface ContentRange {
  start: number;
  end: number;
  /** Total size, when the worker said. */
  size: number | undefined;
}

export interface StreamOptions extends RequestOptions {
  /** Bytes to read: { start, end? } (inclusive, as in HTTP) or a raw Range header value. */
  range?: { start: number; end?: number } | string;
}

type UploadData = SuccessData<Operation<'/api/media/{id}/upload', 'put'>>;
type StreamData = SuccessData<Operation<'/api/access/stream/{contentId}', 'get'>>;

export interface CodexClient extends CodexRequester {
  /** Requests sent to one worker: needed for the meta routes every worker serves (/health, /openapi.json, /docs). */
  worker(key: CodexWorkerKey): CodexRequester;
  /** Every item of a list operation, page after page (`for await`), or its pages (`.pages()`). */
  paginate<P extends ListPaths>(path: P, ...init: Args<Operation<P, 'get'>>): Paginator<ItemOf<P>, PageOf<P>>;
  /** Sends a file to a signed upload URL exactly as returned (its URL, method and headers). */
  upload(target: SignedUpload, body: BinaryBody, options?: RequestOptions): Promise<CodexResult<UploadData>>;
  /** Reads a signed streaming URL exactly as returned, whole or a byte range; `data` is the body as a stream. */
  stream(
    url: string,
    options?: StreamOptions,
  ): Promise<CodexResult<StreamData> & { contentRange: ContentRange | undefined }>;
  /** Adds middleware (openapi-fetch's shape: onRequest, onResponse, onError), run on every attempt. */
  use(...middleware: Middleware[]): void;
  eject(...middleware: Middleware[]): void;
  /** The cookie mode in use. */
  readonly cookies: CookieMode;
  /** The session held by the jar ('jar' mode; always undefined in 'browser' mode, where the browser holds it). */
  readonly session: { get(): string | undefined; set(value: string | undefined): void };
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
type Upper = (typeof METHODS)[number];
/**
 * Operations that end the session. The jar forgets the session after one, whatever the answer: a sign-out that
 * failed (the worker down, or 401 because the session is already gone) must not leave a stale session behind. And
 * they are retried like idempotent requests: ending a session twice ends it once.
 */
const ENDS_SESSION = new Set(['signOut']);
const LEVELS: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const querySerializer = createQuerySerializer();

/** A random UUID v4 (crypto.randomUUID where available: it is missing from pages served over plain http). */
export function randomKey(): string {
  const c = globalThis.crypto;
  if (typeof c?.randomUUID === 'function') return c.randomUUID();
  const b = c.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const TEMPLATES = Object.keys(CODEX_ROUTES).map((template) => ({
  template,
  re: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}/]+\}/g, '[^/]+')}$`),
}));

/** The contract path a URL path belongs to ("/api/media/123/upload" → "/api/media/{id}/upload"). */
export function contractPathOf(pathname: string): string | undefined {
  return TEMPLATES.find((t) => t.re.test(pathname))?.template;
}

/** How to read this answer's body: as the contract says for the status, else by its Content-Type. */
function readKind(op: CodexOperation | undefined, response: Response): CodexBodyKind | 'empty' {
  const declared = op?.read?.[String(response.status)];
  if (declared) return declared;
  const type = (response.headers.get('content-type') ?? '').toLowerCase();
  if (response.status === 204 || response.status === 205 || response.headers.get('content-length') === '0') {
    return 'empty';
  }
  if (!type || type.includes('json')) return 'json';
  if (type.startsWith('text/') || type.includes('javascript')) return 'text';
  return 'binary';
}

async function readJson(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The URL with the values of its query parameters hidden (signed URLs carry their signature there). */
function redacted(url: string): string {
  const u = new URL(url);
  for (const key of [...u.searchParams.keys()]) u.searchParams.set(key, '…');
  return `${u.origin}${u.pathname}${u.search ? decodeURIComponent(u.search) : ''}`;
}

const isStream = (body: unknown): body is ReadableStream =>
  typeof ReadableStream !== 'undefined' && body instanceof ReadableStream;

interface Call {
  method: Upper;
  /** Contract path (for the operation and middleware); undefined for a URL outside the contract. */
  schemaPath: string | undefined;
  url: string;
  init: RequestOptions & { params?: Record<string, unknown>; body?: unknown };
  /** A signed URL: no session is sent, the signature is the authority. */
  signed: boolean;
  extraHeaders?: HeadersOptions;
}

export function createCodexClient(options: CodexClientOptions): CodexClient {
  const mode: CookieMode = options.cookies ?? detectCookieMode();
  const baseUrls = {} as Record<CodexWorkerKey, string>;
  for (const key of Object.keys(CODEX_WORKERS) as CodexWorkerKey[]) {
    const url = options.baseUrls?.[key];
    if (!url) throw new Error(`createCodexClient: baseUrls.${key} is required`);
    baseUrls[key] = url.replace(/\/+$/, '');
  }
  const jar = new SessionJar(Object.values(baseUrls).map((u) => new URL(u).origin));
  const middlewares: Middleware[] = [];
  const logLevel = LEVELS[options.logLevel ?? 'info'];
  const log = (level: LogLevel, message: string, data: Record<string, unknown>) => {
    if (options.logger && LEVELS[level] >= logLevel) options.logger[level](`[codex] ${message}`, data);
  };
  const newKey = options.idempotencyKey ?? randomKey;
  const doFetch = (request: Request) => (options.fetch ?? globalThis.fetch)(request);

  async function send<T>(call: Call): Promise<CodexResult<T>> {
    const { method, init, schemaPath } = call;
    const op = schemaPath ? CODEX_OPERATIONS[`${method === 'HEAD' ? 'GET' : method} ${schemaPath}`] : undefined;
    const params = (init.params ?? {}) as { header?: HeadersOptions };
    const headers = mergeHeaders(options.headers, call.extraHeaders, init.headers, params.header);

    let body: BodyInit | undefined;
    if (init.body !== undefined) {
      const kind = op?.body ?? 'json';
      if (kind === 'json') {
        body = JSON.stringify(init.body);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      } else if (kind === 'text') {
        body = String(init.body);
      } else {
        body = init.body as BodyInit;
        const type = typeof Blob !== 'undefined' && init.body instanceof Blob ? init.body.type : '';
        if (type && !headers.has('content-type')) headers.set('content-type', type);
      }
    }
    if (
      method === 'POST' &&
      !headers.has('idempotency-key') &&
      (op?.creates || op?.idempotencyKey || init.idempotencyKey !== undefined)
    ) {
      headers.set('idempotency-key', init.idempotencyKey ?? newKey());
    }

    // A stream can be sent once: no retry then (send a Blob or bytes to have uploads retried).
    const maxRetries = isStream(body) ? 0 : Math.max(0, init.maxRetries ?? options.maxRetries ?? DEFAULT_MAX_RETRIES);
    const timeout = init.timeout ?? options.timeout ?? 60_000;
    const safe = safeToRepeat(method, headers) || (op !== undefined && ENDS_SESSION.has(op.id));
    const id = randomKey();
    const userSignal = init.signal;
    const mergedOptions: MergedOptions = {
      baseUrl: new URL(call.url).origin,
      parseAs: 'json',
      querySerializer,
      bodySerializer: defaultBodySerializer,
      pathSerializer: defaultPathSerializer,
      fetch: globalThis.fetch,
    };

    try {
      for (let attempt = 0; ; attempt += 1) {
        if (userSignal?.aborted) throw new APIUserAbortError({ cause: userSignal.reason });
        const controller = new AbortController();
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          controller.abort(new APIConnectionTimeoutError(timeout));
        }, timeout);
        const onUserAbort = () => controller.abort(userSignal?.reason);
        userSignal?.addEventListener('abort', onUserAbort, { once: true });

        const attemptHeaders = new Headers(headers);
        if (mode === 'jar' && !call.signed) jar.attach(attemptHeaders, call.url);
        const requestInit: RequestInit & { duplex?: 'half' } = {
          method,
          headers: attemptHeaders,
          signal: controller.signal,
          redirect: 'follow',
        };
        if (body !== undefined) requestInit.body = body;
        if (isStream(body)) requestInit.duplex = 'half';
        if (mode === 'browser') requestInit.credentials = call.signed ? 'omit' : 'include';
        let request = new Request(call.url, requestInit);
        const mwParams = {
          schemaPath: schemaPath ?? new URL(call.url).pathname,
          params: (init.params ?? {}) as Record<string, Record<string, unknown>>,
          options: mergedOptions,
          id,
        };

        const started = Date.now();
        let response: Response | undefined;
        let failure: CodexError | undefined;
        try {
          for (const m of middlewares) {
            const out = await m.onRequest?.({ ...mwParams, request });
            if (out instanceof Request) request = out;
            else if (out instanceof Response) {
              response = out;
              break;
            }
          }
          log('debug', `${method} ${redacted(request.url)}`, { id, attempt });
          response ??= await doFetch(request);
        } catch (e) {
          let error: unknown = e;
          for (const m of [...middlewares].reverse()) {
            const out = await m.onError?.({ ...mwParams, request, error });
            if (out instanceof Response) {
              response = out;
              error = undefined;
              break;
            }
            if (out instanceof Error) error = out;
          }
          if (!response) {
            if (userSignal?.aborted) throw new APIUserAbortError({ cause: userSignal.reason });
            failure =
              error instanceof CodexError
                ? error
                : timedOut
                  ? new APIConnectionTimeoutError(timeout)
                  : new APIConnectionError(`Connection error: ${error instanceof Error ? error.message : error}`, {
                      cause: error,
                    });
          }
        } finally {
          clearTimeout(timer);
        }

        if (failure || !response) {
          userSignal?.removeEventListener('abort', onUserAbort);
          const err = failure ?? new APIConnectionError('No answer');
          if (!(err instanceof APIConnectionError) || !safe || attempt >= maxRetries) {
            log('warn', `${method} ${redacted(call.url)} failed: ${err.message}`, { id, attempt });
            throw err;
          }
          const delayMs = backoffMs(attempt, options.retry);
          log('info', `retrying ${method} ${redacted(call.url)} in ${delayMs} ms (${err.name})`, { id, attempt });
          await sleepOrAbort(delayMs, userSignal);
          continue;
        }

        if (mode === 'jar' && !call.signed) jar.update(response, call.url);
        for (const m of [...middlewares].reverse()) {
          const out: unknown = await m.onResponse?.({ ...mwParams, request, response });
          if (out instanceof Response) response = out;
        }
        const requestId = response.headers.get('x-request-id');
        log('debug', `${response.status} ${method} ${redacted(call.url)}`, {
          id,
          attempt,
          ms: Date.now() - started,
          requestId,
        });

        if (!response.ok && attempt < maxRetries) {
          const decision = retryAfterResponse(response, safe, attempt, options.retry);
          if (decision.retry) {
            log('info', `retrying ${method} ${redacted(call.url)} in ${decision.delayMs} ms (${decision.reason})`, {
              id,
              attempt,
              requestId,
            });
            userSignal?.removeEventListener('abort', onUserAbort);
            await response.body?.cancel().catch(() => undefined);
            await sleepOrAbort(decision.delayMs, userSignal);
            continue;
          }
        }

        const kind = method === 'HEAD' ? 'empty' : readKind(op, response);
        if (response.ok) {
          let data: unknown;
          if (kind === 'binary') data = response.body;
          else {
            if (kind === 'json') data = await readJson(response);
            else if (kind === 'text') data = await response.text();
            else await response.body?.cancel().catch(() => undefined);
            userSignal?.removeEventListener('abort', onUserAbort);
          }
          return { data: data as T, response, requestId };
        }
        userSignal?.removeEventListener('abort', onUserAbort);
        const errorBody =
          kind === 'empty' ? undefined : kind === 'json' ? await readJson(response) : await response.text();
        const error = apiErrorFor({ status: response.status, body: errorBody, headers: response.headers, requestId });
        if (!response.ok && attempt > 0)
          log('warn', `giving up ${method} ${redacted(call.url)}: ${error.message}`, { id });
        return { error, response, requestId };
      }
    } finally {
      if (mode === 'jar' && op && ENDS_SESSION.has(op.id)) jar.set(undefined);
    }
  }

  async function sleepOrAbort(ms: number, signal: AbortSignal | undefined) {
    try {
      await sleep(ms, signal);
    } catch (reason) {
      throw new APIUserAbortError({ cause: reason });
    }
  }

  const owners = (path: string) => {
    const found = CODEX_ROUTES[path];
    if (!found) throw new Error(`@codex/client: ${path} is not a path of the contract`);
    return found;
  };

  const requester = (pick: (path: string) => CodexWorkerKey): CodexRequester => {
    const out = {} as Record<Upper, (path: string, init?: Call['init']) => Promise<unknown>>;
    for (const method of METHODS) {
      out[method] = (path, init = {}) => {
        const worker = pick(path);
        const params = (init.params ?? {}) as Parameters<typeof createFinalURL>[1]['params'];
        const url = createFinalURL(path, {
          baseUrl: baseUrls[worker],
          params,
          querySerializer,
          pathSerializer: defaultPathSerializer,
        });
        return send({ method, schemaPath: path, url, init, signed: false });
      };
    }
    return out as unknown as CodexRequester;
  };

  const main = requester((path) => {
    const found = owners(path);
    if (found.length !== 1) {
      throw new Error(
        `@codex/client: ${path} is served by every worker (${found.join(', ')}); choose one: client.worker('${found[0]}')`,
      );
    }
    return found[0] as CodexWorkerKey;
  });

  const client: CodexClient = {
    ...main,
    worker(key) {
      if (!(key in CODEX_WORKERS)) throw new Error(`@codex/client: unknown worker ${key}`);
      return requester((path) => {
        if (!owners(path).includes(key)) {
          throw new Error(`@codex/client: ${path} is served by ${owners(path).join(', ')}, not ${key}`);
        }
        return key;
      });
    },

    paginate(path, ...rest) {
      const init = (rest[0] ?? {}) as Call['init'] & { params?: { query?: Record<string, unknown> } };
      const first = Number(init.params?.query?.page ?? 1);
      async function* pages() {
        for (let page = first; ; page += 1) {
          const params = { ...init.params, query: { ...init.params?.query, page } };
          const result = (await (main.GET as (p: string, i: unknown) => Promise<CodexResult<unknown>>)(path, {
            ...init,
            params,
          })) as CodexResult<{ items: unknown[]; pagination: { totalPages: number } }>;
          if (result.error) throw result.error;
          yield result.data;
          if (page >= result.data.pagination.totalPages || result.data.items.length === 0) return;
        }
      }
      return {
        pages: pages as () => AsyncIterable<never>,
        async *[Symbol.asyncIterator]() {
          for await (const page of pages()) yield* page.items as never[];
        },
      };
    },

    upload(target, body, requestOptions = {}) {
      const method = (target.method ?? 'PUT').toUpperCase() as Upper;
      return send({
        method,
        schemaPath: contractPathOf(new URL(target.url).pathname),
        url: target.url,
        init: { ...requestOptions, body },
        signed: true,
        ...(target.headers ? { extraHeaders: target.headers } : {}),
      });
    },

    async stream(url, streamOptions = {}) {
      const { range, ...rest } = streamOptions;
      const extraHeaders: Record<string, string> = {};
      if (typeof range === 'string') extraHeaders.range = range;
      else if (range) extraHeaders.range = `bytes=${range.start}-${range.end ?? ''}`;
      const result = await send<StreamData>({
        method: 'GET',
        schemaPath: contractPathOf(new URL(url).pathname),
        url,
        init: rest,
        signed: true,
        extraHeaders,
      });
      return { ...result, contentRange: parseContentRange(result.response.headers.get('content-range')) };
    },

    use(...added) {
      for (const m of added) {
        if (!m || typeof m !== 'object' || !('onRequest' in m || 'onResponse' in m || 'onError' in m)) {
          throw new Error('@codex/client: middleware is an object with onRequest, onResponse or onError');
        }
        middlewares.push(m);
      }
    },
    eject(...removed) {
      for (const m of removed) {
        const i = middlewares.indexOf(m);
        if (i >= 0) middlewares.splice(i, 1);
      }
    },
    cookies: mode,
    session: { get: () => jar.get(), set: (value) => jar.set(value) },
  };
  return client;
}

/** `bytes 0-99/1000` → { start: 0, end: 99, size: 1000 }; undefined when absent or not readable (CORS). */
export function parseContentRange(header: string | null): ContentRange | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]), size: m[3] === '*' ? undefined : Number(m[3]) };
}
