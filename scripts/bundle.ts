/**
 * `npm run build:dry-run`: bundles every worker exactly as `wrangler deploy` would
 * (`wrangler deploy --dry-run --outdir dist/<worker> --env <env>`, nothing is uploaded)
 * and prints the bundle sizes, raw and gzip. Exits non-zero when any bundle fails.
 *
 *   tsx scripts/bundle.ts [--env production|staging] [worker ...]
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ALL_WORKERS = ['auth', 'content-api', 'identity-api', 'ecom-api'];

interface Args {
  env: string;
  workers: string[];
}

function parseArgs(argv: string[]): Args {
  let env = 'production';
  const workers: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--env') env = argv[++i] ?? env;
    else if (a.startsWith('--env=')) env = a.slice('--env='.length);
    else workers.push(a);
  }
  for (const w of workers) {
    if (!ALL_WORKERS.includes(w)) throw new Error(`unknown worker "${w}" (expected one of ${ALL_WORKERS.join(', ')})`);
  }
  return { env, workers: workers.length ? workers : ALL_WORKERS };
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    child.stderr.on('data', (d) => {
      output += d;
    });
    child.on('error', (e) => resolve({ code: 1, output: `${output}\n${e.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

interface Row {
  worker: string;
  raw: number;
  gzip: number;
  files: number;
  seconds: number;
}

async function bundle(worker: string, env: string): Promise<Row> {
  const cwd = join(ROOT, 'workers', worker);
  const outdir = join(ROOT, 'dist', worker);
  await rm(outdir, { recursive: true, force: true });
  const started = performance.now();
  const wrangler = join(ROOT, 'node_modules', '.bin', 'wrangler');
  const { code, output } = await run(wrangler, ['deploy', '--dry-run', '--outdir', outdir, '--env', env], cwd);
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) {
    process.stderr.write(output);
    throw new Error(`wrangler deploy --dry-run failed for ${worker} (exit ${code})`);
  }
  // The deployable modules: every .js/.mjs/.wasm wrangler wrote (source maps and README excluded).
  let raw = 0;
  let gzip = 0;
  let files = 0;
  for (const name of await readdir(outdir, { recursive: true })) {
    const file = join(outdir, String(name));
    if (!/\.(m?js|wasm)$/.test(file) || !(await stat(file)).isFile()) continue;
    const bytes = await readFile(file);
    raw += bytes.length;
    gzip += gzipSync(bytes, { level: 9 }).length;
    files++;
  }
  if (files === 0) throw new Error(`no bundle written to ${relative(ROOT, outdir)}`);
  return { worker, raw, gzip, files, seconds };
}

async function main() {
  const { env, workers } = parseArgs(process.argv.slice(2));
  console.log(`Bundling ${workers.length} worker(s) with wrangler deploy --dry-run --env ${env} → dist/<worker>`);
  const rows: Row[] = [];
  let failed = 0;
  for (const w of workers) {
    try {
      rows.push(await bundle(w, env));
    } catch (e) {
      failed++;
      console.error(`✗ ${w}: ${(e as Error).message}`);
    }
  }
  const header = ['worker', 'modules', 'raw', 'gzip', 'time'];
  const lines = rows.map((r) => [r.worker, String(r.files), kib(r.raw), kib(r.gzip), `${r.seconds.toFixed(1)} s`]);
  if (rows.length > 1) {
    const sum = (k: 'raw' | 'gzip') => rows.reduce((a, r) => a + r[k], 0);
    lines.push(['total', String(rows.reduce((a, r) => a + r.files, 0)), kib(sum('raw')), kib(sum('gzip')), '']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cols: string[]) =>
    cols.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  console.log();
  console.log(fmt(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const l of lines) console.log(fmt(l));
  console.log('\nCloudflare limits: 3 MiB gzip (Free), 10 MiB gzip (Paid) per worker.');
  if (failed) {
    console.error(`\n${failed} worker(s) failed to bundle`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
