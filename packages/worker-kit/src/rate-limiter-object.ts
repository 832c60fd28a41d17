/**
 * The rate-limit counter: a Durable Object, one instance per limit key (`<bucket>:<subject>`).
 *
 * Why this is exact: a Durable Object runs one request at a time per instance, the counter lives in its memory
 * (loaded once from storage under blockConcurrencyWhile) and every decision is taken with no await between reading
 * the count and raising it. Each change is written to the object's storage without awaiting: the runtime's output
 * gate holds the answer until the write is durable, so no caller is ever told "allowed" for a count that was not
 * stored, and the count survives eviction and restarts. Concurrent writes are coalesced by the runtime, so there is
 * no per-key write rate to hit (unlike KV's one write per second per key).
 *
 * The window is fixed and starts with the first counted request of the key: a limit of N per W seconds lets N
 * requests through from that moment, then refuses until W seconds after it. Refused requests are not counted and
 * write nothing. An alarm at the end of the window deletes the object's storage, so idle keys cost nothing.
 *
 * This module must stay free of runtime imports: the local platform (packages/local) bundles it alone into
 * Miniflare, and Node imports it through @codex/worker-kit (it never runs there). The class is exported by the
 * worker that hosts the namespace (workers/auth/src/index.ts).
 */

/** What the limiter answers for one key. */
export interface RateLimitOutcome {
  allowed: boolean;
  limit: number;
  /** Requests left in the current window after this one (after the grant, for `hit` with n > 1). */
  remaining: number;
  /** Whole seconds until the current window ends (at least 1). */
  resetSeconds: number;
  /** Milliseconds until the current window ends (absent from a counter still on the code before leases). */
  resetMs?: number;
  /**
   * Requests this call was given (`hit`: 0 when refused, up to `n`); 0 for `peek` and `block`. Absent from a counter
   * still on the code before leases, which counted one request per allowed `hit`.
   */
  granted?: number;
}

/**
 * Operations, as the path of a POST to the object: `hit` counts one request if the window has room (`&n=` asks for
 * up to n at once: an isolate's lease, see rate-limit.ts; it gets what is left, at most n, or nothing); `peek`
 * reads without counting; `block` uses up the current window (or starts one, used up) — for operators and tests.
 */
export type RateLimiterOp = 'hit' | 'peek' | 'block';

interface Window {
  /** When the window started (ms since the epoch). */
  start: number;
  /** Requests counted in it. */
  count: number;
  /** Its length in seconds, as the request that opened it asked. */
  seconds: number;
}

const STORAGE_KEY = 'window';
/** The count `block` sets: above any limit. */
const BLOCKED = Number.MAX_SAFE_INTEGER;

function outcome(granted: number, limit: number, w: Window, now: number, allowed = granted > 0): RateLimitOutcome {
  const resetMs = Math.max(1, w.start + w.seconds * 1000 - now);
  return {
    allowed,
    limit,
    remaining: Math.max(0, limit - w.count),
    resetSeconds: Math.ceil(resetMs / 1000),
    resetMs,
    granted,
  };
}

function positiveInt(v: string | null, max: number) {
  const n = Number(v);
  return Number.isSafeInteger(n) && n >= 1 && n <= max ? n : undefined;
}

export class RateLimiter {
  private window: Window | undefined;

  constructor(
    private readonly state: DurableObjectState,
    _env: unknown,
  ) {
    void state.blockConcurrencyWhile(async () => {
      this.window = await state.storage.get<Window>(STORAGE_KEY);
    });
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const op = url.pathname.slice(1) as RateLimiterOp;
    const limit = positiveInt(url.searchParams.get('limit'), 1_000_000_000);
    const seconds = positiveInt(url.searchParams.get('window'), 7 * 24 * 3600);
    const wanted = url.searchParams.has('n') ? positiveInt(url.searchParams.get('n'), 1_000_000_000) : 1;
    if (request.method !== 'POST' || !['hit', 'peek', 'block'].includes(op) || !limit || !seconds || !wanted) {
      return new Response('expected POST /hit|peek|block?limit=<n>&window=<seconds>[&n=<count>]', { status: 400 });
    }
    const now = Date.now();
    let w = this.window;
    const expired = !w || now >= w.start + w.seconds * 1000;
    if (op === 'peek') {
      return Response.json(
        expired
          ? outcome(0, limit, { start: now, count: 0, seconds }, now, true)
          : outcome(0, limit, w as Window, now, (w as Window).count < limit),
      );
    }
    if (expired || !w) {
      w = { start: now, count: 0, seconds };
      this.window = w;
      // The alarm clears the storage of a key that goes quiet; a new window moves it.
      void this.state.storage.setAlarm(w.start + seconds * 1000);
    }
    let granted = 0;
    if (op === 'block') {
      w.count = BLOCKED;
    } else if (w.count < limit) {
      granted = Math.min(wanted, limit - w.count);
      w.count += granted;
    }
    if (op === 'block' || granted > 0) void this.state.storage.put(STORAGE_KEY, w);
    return Response.json(outcome(granted, limit, w, now));
  }

  async alarm(): Promise<void> {
    const w = this.window;
    if (w && Date.now() < w.start + w.seconds * 1000) {
      await this.state.storage.setAlarm(w.start + w.seconds * 1000);
      return;
    }
    this.window = undefined;
    await this.state.storage.deleteAll();
  }
}
