/**
 * Benchmark helpers: argument parsing, tables, and load generation with autocannon (run as a separate process so
 * the server under test keeps its own event loop).
 */
import { execFile, spawn } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Hono } from 'hono';
import { type ServedApp, serveApp, WaitUntilTracker } from '../lib/worker-host';

export function arg(name: string, fallback: string): string {
  const argv = process.argv;
  const i = argv.indexOf(name);
  if (i >= 0 && argv[i + 1] !== undefined) return argv[i + 1] as string;
  const eq = argv.find((a) => a.startsWith(`${name}=`));
  return eq ? eq.slice(name.length + 1) : fallback;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function printTable(header: string[], rows: string[][]) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cols: string[]) =>
    cols.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(fmt(r));
}

export interface LoadOptions {
  connections?: number;
  /** Seconds. */
  duration?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadResult {
  url: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Responses per HTTP status, e.g. { '200': 9990, '429': 10 }. */
  statusCodes: Record<string, number>;
}

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AUTOCANNON = join(ROOT, 'node_modules', 'autocannon', 'autocannon.js');

/** Runs autocannon against `url` in a child process and returns its figures. */
export function load(url: string, opts: LoadOptions = {}): Promise<LoadResult> {
  const args = [AUTOCANNON, '-j', '-c', String(opts.connections ?? 50), '-d', String(opts.duration ?? 5)];
  if (opts.method) args.push('-m', opts.method);
  for (const [k, v] of Object.entries(opts.headers ?? {})) args.push('-H', `${k}=${v}`);
  if (opts.body !== undefined) args.push('-b', opts.body);
  args.push(url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited ${code}: ${err}`));
      try {
        const r = JSON.parse(out) as {
          requests: { total: number; average: number };
          latency: { p50: number; p99: number };
          non2xx: number;
          errors: number;
          timeouts: number;
          duration: number;
          statusCodeStats?: Record<string, { count: number }>;
        };
        resolve({
          url,
          requests: r.requests.total,
          rps: r.requests.total / r.duration,
          p50: r.latency.p50,
          p99: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([s, v]) => [s, v.count])),
        });
      } catch (e) {
        reject(new Error(`unreadable autocannon output: ${(e as Error).message}\n${out}\n${err}`));
      }
    });
  });
}

let bare: Promise<ServedApp> | undefined;

/** A bare Hono JSON route served by @hono/node-server in this process: the ceiling to compare against. */
export function bareServer(): Promise<ServedApp> {
  if (!bare) {
    const app = new Hono();
    app.get('/bare', (c) => c.json({ ok: true }));
    bare = serveApp(app, { port: 0, env: () => ({}), tracker: new WaitUntilTracker() });
  }
  return bare;
}

export async function closeBareServer() {
  if (bare) await (await bare).close();
  bare = undefined;
}

export interface BenchResult {
  name: string;
  target: LoadResult;
  bare: LoadResult;
  /** target req/s ÷ bare req/s. */
  ratio: number;
}

/**
 * Loads `url` then a bare Hono JSON route (same process, same server library, same autocannon settings) and prints
 * req/s, p50/p99 latency and the ratio. Throws when the target answered anything but 2xx (a benchmark of errors is
 * worthless).
 */
export async function benchAgainstBare(name: string, url: string, opts: LoadOptions = {}): Promise<BenchResult> {
  const b = await bareServer();
  return benchPair(name, url, `${b.url}/bare`, opts, '@hono/node-server');
}

/** Requests that were not a 2xx answer (non-2xx, connection errors, timeouts) as a share of all requests. */
export function failureShare(r: LoadResult): number {
  return (r.non2xx + r.errors + r.timeouts) / Math.max(1, r.requests + r.errors);
}

export interface PairOptions {
  /**
   * Largest share of non-2xx/errors/timeouts tolerated on the target before the run fails (default 0: any failure
   * fails). The bare route must always be all 2xx.
   */
  maxFailureShare?: number;
}

/**
 * Loads `url`, then `bareUrl` (a bare Hono JSON route served the same way), one after the other with the same
 * autocannon settings, after a 1 s warm-up of each; prints req/s, p50/p99 and the ratio. Throws when either answered
 * anything but 2xx (beyond `pair.maxFailureShare` for the target).
 */
export async function benchPair(
  name: string,
  url: string,
  bareUrl: string,
  opts: LoadOptions,
  server: string,
  pair: PairOptions = {},
): Promise<BenchResult> {
  // A short warm-up of each, so JIT and caches are in the state being measured.
  await load(url, { ...opts, duration: 1 });
  await load(bareUrl, { connections: opts.connections, duration: 1 });
  const target = await load(url, opts);
  const bareResult = await load(bareUrl, { connections: opts.connections, duration: opts.duration });
  const ratio = target.rps / bareResult.rps;
  console.log(
    `\n${name} — autocannon -c ${opts.connections ?? 50} -d ${opts.duration ?? 5} (separate process), server: ${server}\n`,
  );
  const row = (label: string, r: LoadResult) => [
    label,
    r.rps.toFixed(0),
    `${r.p50} ms`,
    `${r.p99} ms`,
    String(r.requests),
    String(r.non2xx + r.errors + r.timeouts),
  ];
  printTable(
    ['route', 'req/s', 'p50', 'p99', 'requests', 'non-2xx/errors'],
    [row(name, target), row('bare Hono JSON route', bareResult)],
  );
  console.log(`\nratio ${name} / bare = ${ratio.toFixed(3)} (${(ratio * 100).toFixed(1)}% of the bare route)`);
  for (const [label, r, tolerated] of [
    [name, target, pair.maxFailureShare ?? 0],
    ['bare Hono JSON route', bareResult, 0],
  ] as const) {
    if (r.non2xx + r.errors + r.timeouts > 0) {
      const share = failureShare(r);
      const statuses = Object.entries(r.statusCodes)
        .map(([s, n]) => `${s}: ${n}`)
        .join(', ');
      const what = `${label}: ${r.non2xx} non-2xx, ${r.errors} errors, ${r.timeouts} timeouts of ${r.requests} requests (${(share * 100).toFixed(2)}%; statuses ${statuses})`;
      if (share > tolerated) throw new Error(`${what} under load`);
      console.log(`note: ${what}, within the ${(tolerated * 100).toFixed(1)}% tolerated`);
    }
  }
  return { name, target, bare: bareResult, ratio };
}

/**
 * wrangler's deploy bundle (`wrangler deploy --dry-run --outdir`) of the worker configured in `cwd` (or by `config`),
 * i.e. the artifact Cloudflare would run; resolves to the entry module's path. `outdir` is emptied first.
 */
export async function wranglerBundle(options: { cwd: string; config?: string; outdir: string }): Promise<string> {
  await rm(options.outdir, { recursive: true, force: true });
  const args = ['deploy', '--dry-run', '--outdir', options.outdir];
  if (options.config) args.push('--config', options.config);
  try {
    await promisify(execFile)(join(ROOT, 'node_modules', '.bin', 'wrangler'), args, {
      cwd: options.cwd,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1' },
    });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`wrangler could not bundle ${options.cwd}: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
  // The entry module is named after the worker's `main` (index.js for src/index.ts).
  const entries = (await readdir(options.outdir)).filter((f) => f.endsWith('.js'));
  if (entries.length !== 1)
    throw new Error(`expected one entry module in ${options.outdir}, found ${entries.join(', ')}`);
  return join(options.outdir, entries[0] as string);
}

/**
 * Disposes a Miniflare that has Hyperdrive bindings. Miniflare's local Hyperdrive proxy (in this process) pipes
 * workerd's connections to the database without an error handler on them; when workerd exits, a connection it still
 * held is reset and that unhandled socket error would end this process. Resets are ignored while it shuts down.
 */
export async function disposeWithHyperdrive(mf: { dispose(): Promise<void> } | undefined): Promise<void> {
  if (!mf) return;
  const ignoreResets = (error: Error & { code?: string }) => {
    if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') throw error;
  };
  process.on('uncaughtException', ignoreResets);
  try {
    await mf.dispose();
    // Let the proxy's sockets to the pooler finish closing too.
    await new Promise((r) => setTimeout(r, 500));
  } finally {
    process.off('uncaughtException', ignoreResets);
  }
}
