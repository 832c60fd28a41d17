/**
 * @codex/client — one typed client for the four Codex workers.
 *
 * Types come from the published contract (generated/codex-api.d.ts, openapi-typescript); each request
 * is sent to the worker that serves its path (generated/codex-routes.ts, derived from the contract's
 * path-item servers). Meta routes served by every worker (/health, /openapi.json, /docs) need an
 * explicit worker: `client.worker('auth').GET('/health')`.
 */
import createClient, { type Client, type FetchResponse, type MaybeOptionalInit, type Middleware } from 'openapi-fetch';
import type { components, paths } from '../../../generated/codex-api';
import { CODEX_ROUTES, CODEX_WORKERS, type CodexWorkerKey } from '../../../generated/codex-routes';

export type { components, paths } from '../../../generated/codex-api';
export { CODEX_ROUTES, CODEX_WORKERS, type CodexWorkerKey } from '../../../generated/codex-routes';

/** Every error code of the catalogue (the contract's ErrorCode). */
export type ErrorCode = components['schemas']['ErrorCode'];

/** The shared error envelope of every worker. */
export interface ErrorResponse {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> | Array<Record<string, unknown>> };
  requestId: string;
  timestamp: string;
}

export const SESSION_COOKIE = 'codex-session';

export interface CodexClientOptions {
  /** Base URL of each worker, e.g. { auth: 'http://localhost:42069', content: 'http://localhost:4001', ... }. */
  baseUrls: Record<CodexWorkerKey, string>;
  /** Custom fetch (defaults to globalThis.fetch), e.g. to call the apps in-process in tests. */
  fetch?: (request: Request) => Promise<Response>;
  /**
   * 'browser': the browser keeps the cookie (requests use credentials: 'include').
   * 'jar': the client remembers `codex-session` from Set-Cookie (and forgets it on Max-Age=0) and
   * sends it to every worker — for Node, scripts and tests.
   * Default: 'browser' when running in a browser, else 'jar'.
   */
  cookies?: 'browser' | 'jar';
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

type Media = `${string}/${string}`;
type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';
type PathsWithMethod<M extends HttpMethod> = {
  [P in keyof paths]: paths[P] extends { [K in M]: unknown } ? P : never;
}[keyof paths];
// biome-ignore lint/complexity/noBannedTypes: `{} extends Pick<T, K>` is how an optional key is detected
type RequiredKeysOf<T> = { [K in keyof T]: {} extends Pick<T, K> ? never : K }[keyof T];
type InitParam<Init> =
  RequiredKeysOf<Init> extends never ? [(Init & { [key: string]: unknown })?] : [Init & { [key: string]: unknown }];

/** openapi-fetch's result, plus the request id; `error` is the documented error body (the ErrorResponse envelope). */
export type CodexResult<T extends Record<string | number, unknown>, Init> = (
  | { data: NonNullable<FetchResponse<T, Init, Media>['data']>; error?: never }
  | { data?: never; error: NonNullable<FetchResponse<T, Init, Media>['error']> | ErrorResponse }
) & {
  response: Response;
  /** The x-request-id the worker answered with (quote it when reporting a problem). */
  requestId: string | null;
};

type CodexMethod<M extends HttpMethod> = <P extends PathsWithMethod<M>, Init extends MaybeOptionalInit<paths[P], M>>(
  url: P,
  ...init: InitParam<Init>
) => Promise<CodexResult<paths[P][M] & Record<string | number, unknown>, Init>>;

export interface CodexRequester {
  GET: CodexMethod<'get'>;
  POST: CodexMethod<'post'>;
  PUT: CodexMethod<'put'>;
  PATCH: CodexMethod<'patch'>;
  DELETE: CodexMethod<'delete'>;
}

export interface CodexClient extends CodexRequester {
  /** Requests sent to one worker: needed for the meta routes every worker serves (/health, /openapi.json). */
  worker(key: CodexWorkerKey): CodexRequester;
  /** The session cookie held by the jar (always undefined in 'browser' mode). */
  readonly session: { get(): string | undefined; set(value: string | undefined): void };
}

/** Reads `codex-session` from Set-Cookie headers: the new value, null when removed, undefined when absent. */
export function sessionFromSetCookie(headers: Headers): string | null | undefined {
  let result: string | null | undefined;
  for (const line of headers.getSetCookie()) {
    const [pair = '', ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = pair.slice(eq + 1).trim();
    let removed = value === '';
    for (const a of attrs) {
      const [k = '', v = ''] = a.split('=').map((s) => s.trim());
      if (k.toLowerCase() === 'max-age' && Number(v) <= 0) removed = true;
      if (k.toLowerCase() === 'expires' && Date.parse(v) <= Date.now()) removed = true;
    }
    result = removed ? null : value;
  }
  return result;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export function createCodexClient(options: CodexClientOptions): CodexClient {
  const mode = options.cookies ?? ('document' in globalThis ? 'browser' : 'jar');
  let session: string | undefined;

  const jar: Middleware = {
    onRequest({ request }) {
      if (!session) return undefined;
      const cookies = (request.headers.get('cookie') ?? '')
        .split(';')
        .map((c) => c.trim())
        .filter((c) => c && !c.startsWith(`${SESSION_COOKIE}=`));
      cookies.push(`${SESSION_COOKIE}=${session}`);
      request.headers.set('cookie', cookies.join('; '));
      return request;
    },
    onResponse({ response }) {
      const next = sessionFromSetCookie(response.headers);
      if (next === null) session = undefined;
      else if (next !== undefined) session = next;
      return undefined;
    },
  };

  const clients = {} as Record<CodexWorkerKey, Client<paths>>;
  for (const key of Object.keys(CODEX_WORKERS) as CodexWorkerKey[]) {
    const baseUrl = options.baseUrls[key];
    if (!baseUrl) throw new Error(`createCodexClient: baseUrls.${key} is required`);
    const client = createClient<paths>({
      baseUrl,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
      ...(mode === 'browser' ? { credentials: 'include' as const } : {}),
    });
    if (mode === 'jar') client.use(jar);
    clients[key] = client;
  }

  const send = async (key: CodexWorkerKey, method: (typeof METHODS)[number], url: string, init: unknown) => {
    const call = clients[key][method] as (url: string, init?: unknown) => Promise<{ response: Response }>;
    const result = await call(url, init);
    return { ...result, requestId: result.response.headers.get('x-request-id') };
  };

  const requester = (pick: (url: string) => CodexWorkerKey): CodexRequester => {
    const out = {} as Record<(typeof METHODS)[number], unknown>;
    for (const method of METHODS) out[method] = (url: string, init?: unknown) => send(pick(url), method, url, init);
    return out as unknown as CodexRequester;
  };

  const owners = (url: string) => {
    const found = CODEX_ROUTES[url];
    if (!found) throw new Error(`@codex/client: ${url} is not a path of the contract`);
    return found;
  };

  return {
    ...requester((url) => {
      const found = owners(url);
      if (found.length !== 1) {
        throw new Error(
          `@codex/client: ${url} is served by every worker (${found.join(', ')}); choose one: client.worker('${found[0]}')`,
        );
      }
      return found[0] as CodexWorkerKey;
    }),
    worker(key) {
      if (!(key in CODEX_WORKERS)) throw new Error(`@codex/client: unknown worker ${key}`);
      return requester((url) => {
        if (!owners(url).includes(key)) {
          throw new Error(`@codex/client: ${url} is served by ${owners(url).join(', ')}, not ${key}`);
        }
        return key;
      });
    },
    session: {
      get: () => session,
      set: (value) => {
        session = value;
      },
    },
  };
}
