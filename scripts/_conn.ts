import { execSync } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, dropTestDatabase, startPgBouncer } from '@codex/database/node';
import { Miniflare } from 'miniflare';
import { ROOT } from './bench/lib';
const serverUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
const db = await createTestDatabase({ serverUrl });
const pooler = await startPgBouncer({ serverUrl });
const mf = new Miniflare({ workers: [{ name: 'p', modules: true, scriptPath: join(ROOT, 'node_modules/.cache/codex-bench/hot-path/hot-path-worker.js'), compatibilityDate: '2026-04-01', compatibilityFlags: ['nodejs_compat'], unsafeDirectSockets: [{ host: '127.0.0.1', port: 0 }], bindings: { LOG_LEVEL: 'silent' }, kvNamespaces: ['RATE_LIMIT_KV', 'AUTH_SESSION_KV'], hyperdrives: { HYPERDRIVE: pooler.hyperdriveUrlFor(db.url) } }] });
const base = new URL(await mf.unsafeGetDirectURL('p')).origin;
const count = () => execSync(`ss -tn state established '( dport = :${pooler.port} )' | tail -n +2 | wc -l`).toString().trim();
for (let i = 0; i < 100; i++) { const r = await fetch(`${base}/db/postgresjs/00000000-0000-4000-8000-000000000000`); await r.text(); }
console.log('after 100 sequential requests, connections to pgbouncer:', count());
await new Promise((r) => setTimeout(r, 3000));
console.log('3 s later:', count());
await mf.dispose();
await new Promise((r) => setTimeout(r, 500));
await pooler.close();
await dropTestDatabase(db.url);
