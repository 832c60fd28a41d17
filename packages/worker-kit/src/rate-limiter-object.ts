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
  /** Requests left in the current window after this one. */
  remaining: number;
  /** Whole seconds until the current window ends (at least 1). */
  resetSeconds: number;
}

/**
 * Operations, as the path of a POST to the object: `hit` counts one request if the window has room; `peek` reads
 * without counting; `block` uses up the current window (or starts one, used up) — for operators and tests.
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

function outcome(allowed: boolean, limit: number, w: Window, now: number): RateLimitOutcome {
  const end = w.start + w.seconds * 1000;
  return {
    allowed,
    limit,
    remaining: Math.max(0, limit - w.count),
    resetSeconds: Math.max(1, Math.ceil((end - now) / 1000)),
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
    if (request.method !== 'POST' || !['hit', 'peek', 'block'].includes(op) || !limit || !seconds) {
      return new Response('expected POST /hit|peek|block?limit=<n>&window=<seconds>', { status: 400 });
    }
    const now = Date.now();
    let w = this.window;
    const expired = !w || now >= w.start + w.seconds * 1000;
    if (op === 'peek') {
      return Response.json(
        expired ? outcome(true, limit, { start: now, count: 0, seconds }, now) : outcome(true, limit, w as Window, now),
      );
    }
    if (expired || !w) {
      w = { start: now, count: 0, seconds };
      this.window = w;
      // The alarm clears the storage of a key that goes quiet; a new window moves it.
      void this.state.storage.setAlarm(w.start + seconds * 1000);
    }
    let allowed = false;
    if (op === 'block') {
      w.count = BLOCKED;
    } else if (w.count < limit) {
      w.count += 1;
      allowed = true;
    }
    if (op === 'block' || allowed) void this.state.storage.put(STORAGE_KEY, w);
    return Response.json(outcome(allowed, limit, w, now));
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
