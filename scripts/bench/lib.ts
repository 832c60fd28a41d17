/**
 * Benchmark helpers: argument parsing, tables, and load generation with autocannon (run as a separate process so
 * the server under test keeps its own event loop).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
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
}

const AUTOCANNON = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));

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
  // A short warm-up of each, so JIT and caches are in the state being measured.
  await load(url, { ...opts, duration: 1 });
  await load(`${b.url}/bare`, { connections: opts.connections, duration: 1 });
  const target = await load(url, opts);
  const bareResult = await load(`${b.url}/bare`, { connections: opts.connections, duration: opts.duration });
  const ratio = target.rps / bareResult.rps;
  console.log(
    `\n${name} — autocannon -c ${opts.connections ?? 50} -d ${opts.duration ?? 5} (separate process), server: @hono/node-server\n`,
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
  if (target.non2xx + target.errors + target.timeouts > 0) {
    throw new Error(
      `${name}: ${target.non2xx} non-2xx, ${target.errors} errors, ${target.timeouts} timeouts under load`,
    );
  }
  return { name, target, bare: bareResult, ratio };
}
