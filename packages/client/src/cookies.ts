/**
 * The session cookie (`codex-session`, HttpOnly) and where it lives:
 *
 * - 'browser': a page or a Web Worker. The browser stores and sends the cookie; requests go with
 *   `credentials: 'include'`. Script cannot read or drop an HttpOnly cookie, and does not try.
 * - 'jar': Node, the Workers runtime, scripts. The client keeps the cookie itself, from Set-Cookie, and sends it only
 *   to the four workers' origins (never to another host, never with a signed URL).
 */
export const SESSION_COOKIE = 'codex-session';

export type CookieMode = 'browser' | 'jar';

/**
 * The mode for the runtime the client runs in: 'browser' in a page (document) or any browser worker
 * (WorkerGlobalScope: dedicated, shared and service workers — no document there, but the browser's cookie store
 * is); 'jar' in Node, Deno, Bun and the Workers runtime (which has a WorkerGlobalScope-like global but no cookie store).
 */
export function detectCookieMode(
  g: Record<string, unknown> = globalThis as unknown as Record<string, unknown>,
): CookieMode {
  const navigator = g.navigator as { userAgent?: unknown } | undefined;
  if (navigator?.userAgent === 'Cloudflare-Workers') return 'jar';
  const process = g.process as { versions?: { node?: unknown } } | undefined;
  if (typeof process?.versions?.node === 'string') return 'jar';
  if (typeof g.document === 'object' && g.document !== null) return 'browser';
  const scope = g.WorkerGlobalScope;
  if (typeof scope === 'function' && g instanceof (scope as new () => unknown)) return 'browser';
  return 'jar';
}

/** Set-Cookie lines of an answer (Headers.getSetCookie where the runtime has it). */
function setCookieLines(headers: Headers): string[] {
  const h = headers as Headers & { getSetCookie?: () => string[]; getAll?: (name: string) => string[] };
  if (typeof h.getSetCookie === 'function') return h.getSetCookie();
  if (typeof h.getAll === 'function') return h.getAll('set-cookie');
  const one = headers.get('set-cookie');
  return one ? [one] : [];
}

/** Reads `codex-session` from Set-Cookie headers: the new value, null when removed, undefined when absent. */
export function sessionFromSetCookie(headers: Headers, now = Date.now()): string | null | undefined {
  let result: string | null | undefined;
  for (const line of setCookieLines(headers)) {
    const [pair = '', ...attrs] = line.split(';');
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = pair.slice(eq + 1).trim();
    let removed = value === '';
    for (const a of attrs) {
      const [k = '', v = ''] = a.split('=').map((s) => s.trim());
      if (k.toLowerCase() === 'max-age' && Number(v) <= 0) removed = true;
      if (k.toLowerCase() === 'expires' && Date.parse(v) <= now) removed = true;
    }
    result = removed ? null : value;
  }
  return result;
}

/** The client-held session of 'jar' mode. */
export class SessionJar {
  #value: string | undefined;
  readonly #origins: ReadonlySet<string>;

  constructor(origins: Iterable<string>) {
    this.#origins = new Set(origins);
  }

  get(): string | undefined {
    return this.#value;
  }

  set(value: string | undefined): void {
    this.#value = value || undefined;
  }

  /** Whether the session may be sent to this URL: one of the workers' origins only. */
  sendsTo(url: string): boolean {
    return this.#origins.has(new URL(url).origin);
  }

  /** Adds the session to the Cookie header of a request to a worker (replacing a session cookie already there). */
  attach(headers: Headers, url: string): void {
    if (!this.#value || !this.sendsTo(url)) return;
    const others = (headers.get('cookie') ?? '')
      .split(';')
      .map((c) => c.trim())
      .filter((c) => c && !c.startsWith(`${SESSION_COOKIE}=`));
    headers.set('cookie', [...others, `${SESSION_COOKIE}=${this.#value}`].join('; '));
  }

  /** Takes a new session, or its removal, from a worker's answer. */
  update(response: Response, url: string): void {
    if (!this.sendsTo(url)) return;
    const next = sessionFromSetCookie(response.headers);
    if (next === null) this.#value = undefined;
    else if (next !== undefined) this.#value = next;
  }
}
