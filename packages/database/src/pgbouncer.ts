/**
 * A local PgBouncer (Debian's `pgbouncer` package) in front of a PostgreSQL server: the role Hyperdrive plays in
 * production. Miniflare's local Hyperdrive connects straight to the address it is given, so the workerd bundles are
 * pointed at this pooler instead of at PostgreSQL: each request's new connection is then a cheap PgBouncer login, not
 * a PostgreSQL backend start, which is the cost model of production (a Worker's connection to Hyperdrive, Hyperdrive's
 * pooled connections to the database).
 *
 * Transaction pooling, as Hyperdrive: a server connection belongs to a client for one transaction only, so session
 * state does not survive between transactions (no session advisory locks, no SET, no named prepared statements in
 * PgBouncer 1.18). Migrations take a session advisory lock: they connect to PostgreSQL directly (migrateUrl).
 *
 * Node only. The binary comes from Debian; when it is missing and we are root it is installed with apt-get (the
 * project's scripts install what they need), otherwise the error says what to install.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PgBouncer {
  port: number;
  /** `databaseUrl` (a database on the pooled server) rewritten to go through the pooler. */
  urlFor(databaseUrl: string): string;
  /**
   * The same as a Hyperdrive local connection string (Miniflare `hyperdrives`, wrangler `localConnectionString`):
   * Miniflare insists on a password, so a placeholder is put in when there is none (the pooler never asks for it).
   */
  hyperdriveUrlFor(databaseUrl: string): string;
  close(): Promise<void>;
}

export interface PgBouncerOptions {
  /** The PostgreSQL server to pool (host, port, user, password are taken from it; the database name is not). */
  serverUrl: string;
  /** Port to listen on (127.0.0.1); default: a free one. */
  port?: number;
  /** Server connections per (database, user) pair. Default 10, the anchor's pool size. */
  poolSize?: number;
}

const CANDIDATES = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer', '/usr/local/bin/pgbouncer'];

function findBinary(): string | undefined {
  for (const path of CANDIDATES) if (existsSync(path)) return path;
  try {
    return execFileSync('sh', ['-c', 'command -v pgbouncer'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** The pgbouncer binary; installs Debian's package when missing and running as root. */
export function pgBouncerBinary(): string {
  let binary = findBinary();
  if (!binary && process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')) {
    console.log('• installing pgbouncer (apt-get)');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'pgbouncer'], {
      stdio: 'inherit',
      env,
    });
    binary = findBinary();
  }
  if (!binary) throw new Error('pgbouncer is not installed: `sudo apt-get install pgbouncer` (Debian/Ubuntu)');
  return binary;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** `"value"` for pgbouncer.ini and its auth file (double quotes doubled). */
const quoted = (value: string) => `"${value.replace(/"/g, '""')}"`;

/** Starts PgBouncer in transaction mode in front of `options.serverUrl`; stopped by `close()` or when we exit. */
export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  const binary = pgBouncerBinary();
  const server = new URL(options.serverUrl);
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'codex-pgbouncer-'));
  // PgBouncer refuses to run as root: then it switches to the `postgres` user (-u), who must read these files.
  chmodSync(dir, 0o755);
  const serverParams = [
    `host=${server.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1'}`,
    `port=${server.port || '5432'}`,
    `user=${user}`,
    ...(password ? [`password=${password}`] : []),
  ].join(' ');
  const ini = [
    '[databases]',
    // Any database name: forwarded to the same server, as `<name>`.
    `* = ${serverParams}`,
    '',
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    'unix_socket_dir =',
    // Local use only: clients are not authenticated by the pooler (the server side uses the credentials above).
    'auth_type = trust',
    `auth_file = ${join(dir, 'users.txt')}`,
    'pool_mode = transaction',
    `default_pool_size = ${options.poolSize ?? 10}`,
    'max_client_conn = 2000',
    // Startup parameters some drivers send that PgBouncer does not track.
    'ignore_startup_parameters = extra_float_digits,options,statement_timeout',
    'log_connections = 0',
    'log_disconnections = 0',
    'log_pooler_errors = 1',
    '',
  ].join('\n');
  writeFileSync(join(dir, 'pgbouncer.ini'), ini, { mode: 0o644 });
  writeFileSync(join(dir, 'users.txt'), `${quoted(user)} ${quoted(password)}\n`, { mode: 0o644 });

  const asRoot = process.getuid?.() === 0;
  const child = spawn(binary, [...(asRoot ? ['-u', 'postgres'] : []), join(dir, 'pgbouncer.ini')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.off('exit', killOnExit);
    if (!exited) {
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(force);
          resolve();
        });
        child.kill('SIGTERM'); // PgBouncer: immediate shutdown
      });
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  while (!(await canConnect(port))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`pgbouncer did not start on 127.0.0.1:${port}:\n${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const urlFor = (databaseUrl: string) => {
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(port);
    return url.toString();
  };
  return {
    port,
    urlFor,
    hyperdriveUrlFor(databaseUrl) {
      const url = new URL(urlFor(databaseUrl));
      if (!url.password) url.password = 'local';
      return url.toString();
    },
    close: stop,
  };
}
