/**
 * Benchmark: what the rate limiter adds to a request in workerd — the Durable Object limiter of
 * @codex/worker-kit against the KV limiter it replaced (kept only in the bench Worker) and no limiter at all,
 * measured in the same run; plus the concurrency figure of each.
 *
 *   npx tsx scripts/bench/ratelimit.ts [--requests 2000] [--connections 50] [--duration 5]
 *
 * One wrangler bundle of scripts/bench/ratelimit-worker.ts runs in one Miniflare (workerd, each Worker on its own
 * socket): `codex-bench-ratelimit` serves /none, /do and /kv; its RATE_LIMITER is the RateLimiter class hosted by a
 * second Worker (`codex-bench-ratelimit-host`, SQLite-backed storage), bound with script_name as the API workers
 * bind the auth worker's; RATE_LIMIT_KV is a Miniflare KV namespace. Figures:
 *
 * 1. Sequential latency (one request at a time from this process, the three routes interleaved in rounds):
 *    median / mean / p99 per route, and the limiter's added latency = route − /none. One hot key (every request
 *    from one client address) and `spread` (1000 client addresses round robin, i.e. mostly first hits that create
 *    their counter). The limit is raised (RATE_LIMITS bench=1000000000/60) so nothing is refused.
 * 2. Throughput under load: autocannon -c <connections> -d <duration> per route, one hot key.
 * 3. Concurrency: 200 simultaneous requests from one fresh client address against a limit of 100 per minute
 *    (a second Worker of the same bundle with RATE_LIMITS bench=100/60): how many got through.
 *
 * Local figures: Miniflare's KV and Durable Objects are on this machine, so neither pays the network hops of
 * Cloudflare (KV: a read from the location's cache, writes to the central store; DO: a call to the object's
 * location). The ratio between the limiters, not the absolute figure, is what carries over — and only roughly.
 */
import { join } from 'node:path';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { arg, type LoadResult, load, median, printTable, ROOT, wranglerBundle } from './lib';

const REQUESTS = Number(arg('--requests', '2000'));
const connections = Number(arg('--connections', '50'));
const duration = Number(arg('--duration', '5'));
const ROUTES = ['none', 'kv', 'do'] as const;
type Route = (typeof ROUTES)[number];

function percentile(xs: number[], p: number) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

async function timedGet(url: string, headers: Record<string, string>) {
  const t0 = performance.now();
  const res = await fetch(url, { headers });
  const body = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.slice(0, 500)}`);
  return ms;
}

/** `REQUESTS` per route, one at a time, interleaved in rounds of 50 so that drift on a shared machine hits all. */
async function sequential(base: string, query: string, clientIp: string) {
  const samples: Record<Route, number[]> = { none: [], kv: [], do: [] };
  const headers = { 'cf-connecting-ip': clientIp };
  for (const r of ROUTES) for (let i = 0; i < 50; i++) await timedGet(`${base}/${r}${query}`, headers); // warm-up
  for (let done = 0; done < REQUESTS; done += 50) {
    for (const r of ROUTES) {
      for (let i = 0; i < 50; i++) samples[r].push(await timedGet(`${base}/${r}${query}`, headers));
    }
  }
  return samples;
}

function printSequential(title: string, samples: Record<Route, number[]>) {
  const base = median(samples.none);
  const baseMean = mean(samples.none);
  console.log(`\n${title}\n`);
  printTable(
    ['route', 'requests', 'median', 'mean', 'p99', 'added (median)', 'added (mean)'],
    ROUTES.map((r) => [
      r === 'none' ? '/none (no limiter)' : r === 'kv' ? '/kv (old KV limiter)' : '/do (Durable Object limiter)',
      String(samples[r].length),
      `${median(samples[r]).toFixed(3)} ms`,
      `${mean(samples[r]).toFixed(3)} ms`,
      `${percentile(samples[r], 0.99).toFixed(3)} ms`,
      r === 'none' ? '—' : `${(median(samples[r]) - base).toFixed(3)} ms`,
      r === 'none' ? '—' : `${(mean(samples[r]) - baseMean).toFixed(3)} ms`,
    ]),
  );
}

async function concurrency(base: string, route: 'kv' | 'do') {
  const ip = `203.0.${route === 'kv' ? 113 : 114}.${Math.floor(Math.random() * 250) + 1}`;
  const statuses = await Promise.all(
    Array.from({ length: 200 }, async () => {
      const res = await fetch(`${base}/${route}`, { headers: { 'cf-connecting-ip': ip } });
      await res.arrayBuffer();
      return res.status;
    }),
  );
  return { through: statuses.filter((s) => s === 200).length, refused: statuses.filter((s) => s === 429).length };
}

async function main() {
  const cacheDir = join(ROOT, 'node_modules', '.cache', 'codex-bench', 'ratelimit');
  const script = await wranglerBundle({
    cwd: join(ROOT, 'scripts', 'bench'),
    config: 'ratelimit-worker.wrangler.jsonc',
    outdir: cacheDir,
  });
  const { workerOptions: o } = unstable_getMiniflareWorkerOptions(
    join(ROOT, 'scripts', 'bench', 'ratelimit-worker.wrangler.jsonc'),
  );
  const common = {
    modules: true,
    scriptPath: script,
    compatibilityDate: o.compatibilityDate,
    compatibilityFlags: o.compatibilityFlags,
    unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }],
    kvNamespaces: ['RATE_LIMIT_KV'],
  };
  const bound = { RATE_LIMITER: { className: 'RateLimiter', scriptName: 'codex-bench-ratelimit-host' } };
  const mf = new Miniflare({
    workers: [
      {
        ...common,
        name: 'codex-bench-ratelimit',
        bindings: { LOG_LEVEL: 'silent', RATE_LIMITS: 'bench=1000000000/60', KV_LIMIT: '1000000000' },
        durableObjects: bound,
      },
      {
        ...common,
        name: 'codex-bench-ratelimit-100',
        bindings: { LOG_LEVEL: 'silent', RATE_LIMITS: 'bench=100/60', KV_LIMIT: '100' },
        durableObjects: bound,
      },
      {
        ...common,
        name: 'codex-bench-ratelimit-host',
        bindings: { LOG_LEVEL: 'silent' },
        durableObjects: { RATE_LIMITER: { className: 'RateLimiter', useSQLite: true } },
      },
    ],
  });
  try {
    await mf.ready;
    const base = new URL(await mf.unsafeGetDirectURL('codex-bench-ratelimit')).origin;
    const at100 = new URL(await mf.unsafeGetDirectURL('codex-bench-ratelimit-100')).origin;

    console.log(`Rate limiter cost in workerd (Miniflare ${o.compatibilityDate}), ${REQUESTS} requests per route`);
    printSequential(
      '1a. Sequential latency, one hot key (every request from one client address)',
      await sequential(base, '', '198.51.100.1'),
    );
    printSequential(
      '1b. Sequential latency, 1000 keys round robin (first hits create their counter)',
      await sequential(base, '?spread=1000', '198.51.100.2'),
    );

    const loads: Array<readonly [Route, LoadResult]> = [];
    for (const r of ROUTES) {
      const url = `${base}/${r}`;
      const headers = { 'cf-connecting-ip': '198.51.100.3' };
      await load(url, { connections, duration: 1, headers });
      loads.push([r, await load(url, { connections, duration, headers })] as const);
    }
    console.log(`\n2. Under load: autocannon -c ${connections} -d ${duration} (separate process), one hot key\n`);
    printTable(
      ['route', 'req/s', 'p50', 'p99', 'requests', 'non-2xx/errors', 'req/s vs /none'],
      loads.map(([r, l]) => [
        `/${r}`,
        l.rps.toFixed(0),
        `${l.p50} ms`,
        `${l.p99} ms`,
        String(l.requests),
        String(l.non2xx + l.errors + l.timeouts),
        (l.rps / (loads[0]?.[1].rps ?? 1)).toFixed(3),
      ]),
    );

    console.log('\n3. Concurrency: 200 simultaneous requests from one client address, limit 100 per minute\n');
    const kv = await concurrency(at100, 'kv');
    const dObj = await concurrency(at100, 'do');
    printTable(
      ['limiter', 'let through', 'refused (429)', 'expected'],
      [
        ['old KV limiter', String(kv.through), String(kv.refused), '100 / 100'],
        ['Durable Object limiter', String(dObj.through), String(dObj.refused), '100 / 100'],
      ],
    );
    if (dObj.through !== 100 || dObj.refused !== 100) {
      process.exitCode = 1;
      console.error('\nFAIL: the Durable Object limiter did not let exactly 100 through');
    }
  } finally {
    await mf.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
