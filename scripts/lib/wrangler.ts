/**
 * The workers as wrangler sees them: where they are, their configuration resolved for an environment (wrangler's own
 * reader, so `env.<name>` overrides and non-inherited keys behave exactly as in `wrangler deploy`), and their
 * deployable bundle (`wrangler deploy --dry-run --outdir`, nothing uploaded). Used by `npm run build:dry-run` and the
 * deploy script.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readdir, readFile, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');

/** Quiet, non-interactive settings for every wrangler child process. */
export const WRANGLER_ENV = { WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true' };

/** Every folder under workers/ with a wrangler.jsonc, by folder name. */
export function listWorkers(root = ROOT): string[] {
  const dir = join(root, 'workers');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'wrangler.jsonc')))
    .map((d) => d.name)
    .sort();
}

export interface CommandResult {
  code: number;
  output: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Streams the output to this process's stdout/stderr as it comes (default: collected only). */
  echo?: boolean;
  /** Applied to every chunk before it is echoed or collected (e.g. masking a secret). */
  filter?: (text: string) => string;
}

/** Runs a command without a shell, stdin closed; resolves with its exit code and combined output. */
export function runCommand(cmd: string, args: string[], options: RunOptions): Promise<CommandResult> {
  // wrangler colours its output even with NO_COLOR; escape codes only clutter logs and reports.
  const plain = (t: string) => t.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), '');
  const filter = (t: string) => (options.filter ? options.filter(plain(t)) : plain(t));
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let output = '';
    const take = (stream: NodeJS.WriteStream) => (d: Buffer) => {
      const text = filter(String(d));
      output += text;
      if (options.echo) stream.write(text);
    };
    child.stdout.on('data', take(process.stdout));
    child.stderr.on('data', take(process.stderr));
    child.on('error', (e) => resolve({ code: 127, output: `${output}\n${e.message}` }));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------------------------------

export interface WorkerConfig {
  /** Folder name under workers/. */
  dir: string;
  /** The Worker's name in that environment (what Cloudflare knows it as). */
  name: string;
  routes: Array<{ pattern: string; custom_domain?: boolean; zone_name?: string; zone_id?: string }>;
  vars: Record<string, unknown>;
  kv: Array<{ binding: string; id: string }>;
  r2: Array<{ binding: string; bucket_name: string }>;
  services: Array<{ binding: string; service: string }>;
  durableObjects: Array<{ name: string; class_name: string; script_name?: string }>;
  /** Durable Object class migrations (wrangler applies the ones Cloudflare has not seen yet, by tag). */
  doMigrations: Array<Record<string, unknown> & { tag: string }>;
  hyperdrive: Array<{ binding: string; id: string }>;
  /** `secrets.required` of the environment: what must exist (`wrangler secret put`) before it serves. */
  secrets: string[];
}

type RawConfig = {
  name?: string;
  routes?: unknown[];
  route?: unknown;
  vars?: Record<string, unknown>;
  kv_namespaces?: Array<{ binding: string; id?: string }>;
  r2_buckets?: Array<{ binding: string; bucket_name?: string }>;
  services?: Array<{ binding: string; service: string }>;
  durable_objects?: { bindings?: Array<{ name: string; class_name: string; script_name?: string }> };
  migrations?: Array<Record<string, unknown> & { tag: string }>;
  hyperdrive?: Array<{ binding: string; id: string }>;
  secrets?: { required?: string[] };
};

/** The worker's wrangler.jsonc as `wrangler deploy --env <env>` resolves it. */
export async function readWorkerConfig(dir: string, env: string, root = ROOT): Promise<WorkerConfig> {
  // wrangler's own reader (the one `wrangler deploy` uses); loaded lazily, it takes a few seconds to import.
  const { unstable_readConfig } = await import('wrangler');
  const raw = unstable_readConfig(
    { config: join(root, 'workers', dir, 'wrangler.jsonc'), env },
    { hideWarnings: true },
  ) as unknown as RawConfig;
  const routes = (raw.routes ?? (raw.route ? [raw.route] : [])).map((r) =>
    typeof r === 'string' ? { pattern: r } : (r as WorkerConfig['routes'][number]),
  );
  return {
    dir,
    name: raw.name ?? dir,
    routes,
    vars: raw.vars ?? {},
    kv: (raw.kv_namespaces ?? []).map((k) => ({ binding: k.binding, id: k.id ?? '' })),
    r2: (raw.r2_buckets ?? []).map((b) => ({ binding: b.binding, bucket_name: b.bucket_name ?? '' })),
    services: raw.services ?? [],
    durableObjects: raw.durable_objects?.bindings ?? [],
    doMigrations: raw.migrations ?? [],
    hyperdrive: raw.hyperdrive ?? [],
    secrets: raw.secrets?.required ?? [],
  };
}

/**
 * Deploy order: a worker comes after every worker it binds to (service bindings, Durable Objects hosted by another
 * script), so a binding never points at a Worker that does not exist yet. Ties keep the given order.
 */
export function deployOrder(workers: WorkerConfig[]): WorkerConfig[] {
  const byName = new Map(workers.map((w) => [w.name, w]));
  const deps = (w: WorkerConfig) =>
    [...w.services.map((s) => s.service), ...w.durableObjects.map((d) => d.script_name ?? w.name)]
      .filter((n) => n !== w.name && byName.has(n))
      .map((n) => byName.get(n) as WorkerConfig);
  const ordered: WorkerConfig[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (w: WorkerConfig, path: string[]) => {
    if (state.get(w.name) === 'done') return;
    if (state.get(w.name) === 'visiting')
      throw new Error(`the workers bind to each other in a cycle: ${[...path, w.name].join(' → ')}`);
    state.set(w.name, 'visiting');
    for (const d of deps(w)) visit(d, [...path, w.name]);
    state.set(w.name, 'done');
    ordered.push(w);
  };
  for (const w of workers) visit(w, []);
  return ordered;
}

// ---------------------------------------------------------------------------------------------------------------------
// Bundles
// ---------------------------------------------------------------------------------------------------------------------

export interface BundleRow {
  worker: string;
  outdir: string;
  raw: number;
  gzip: number;
  files: number;
  seconds: number;
}

/** `wrangler deploy --dry-run --outdir <outdir> --env <env>` in workers/<dir>, then measures what it wrote. */
export async function bundleWorker(dir: string, env: string, outdir: string, root = ROOT): Promise<BundleRow> {
  await rm(outdir, { recursive: true, force: true });
  const started = performance.now();
  const { code, output } = await runCommand(
    join(root, 'node_modules', '.bin', 'wrangler'),
    ['deploy', '--dry-run', '--outdir', outdir, '--env', env],
    { cwd: join(root, 'workers', dir), env: { ...process.env, ...WRANGLER_ENV } },
  );
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`wrangler deploy --dry-run failed for ${dir} (exit ${code}):\n${output}`);
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
  if (files === 0) throw new Error(`no bundle written to ${relative(root, outdir)}`);
  return { worker: dir, outdir, raw, gzip, files, seconds };
}

export const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

/** The size table printed by the bundle and deploy scripts. */
export function bundleTable(rows: BundleRow[], indent = ''): string {
  const header = ['worker', 'modules', 'raw', 'gzip', 'time'];
  const lines = rows.map((r) => [r.worker, String(r.files), kib(r.raw), kib(r.gzip), `${r.seconds.toFixed(1)} s`]);
  if (rows.length > 1) {
    const sum = (k: 'raw' | 'gzip') => rows.reduce((a, r) => a + r[k], 0);
    lines.push(['total', String(rows.reduce((a, r) => a + r.files, 0)), kib(sum('raw')), kib(sum('gzip')), '']);
  }
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const fmt = (cols: string[]) =>
    indent + cols.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [
    fmt(header),
    indent + widths.map((w) => '-'.repeat(w)).join('  '),
    ...lines.map(fmt),
    `${indent}Cloudflare limits: 3 MiB gzip (Free), 10 MiB gzip (Paid) per worker.`,
  ].join('\n');
}
