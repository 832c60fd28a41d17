/**
 * Benchmark: memory of an upload through PUT /api/media/{id}/upload.
 *
 *   npx tsx scripts/bench/upload-memory.ts [--sizes 50,200] [--chunk-kib 64]
 *   node --expose-gc --import tsx scripts/bench/upload-memory.ts     (collects garbage while sampling: live memory only)
 *
 * The content-api worker is served over HTTP by @hono/node-server on the local platform (Miniflare R2, embedded
 * PGlite or DATABASE_URL). For each size (MiB) a media item is created and a body of that size is PUT to its signed
 * upload URL by a node:http client in this process that writes one reused chunk with backpressure (so the client
 * itself allocates nothing per chunk). process.memoryUsage().rss is sampled every 5 ms during the upload; the
 * figure is the peak minus the RSS just before it.
 *
 * If the route buffered the body, the growth would be at least the body size and grow with it; streamed, it stays
 * roughly flat across sizes (a few chunks in flight plus garbage not yet collected). The bytes land in workerd's R2
 * (a separate process, not counted here); the object's size is checked after each upload.
 */
import { request as httpRequest } from 'node:http';
import { registerUser, startLocalPlatform } from '@codex/local';
import authApp from '@codex/worker-auth';
import contentApp from '@codex/worker-content-api';
import { serveApp, WaitUntilTracker } from '../lib/worker-host';
import { arg, printTable } from './lib';

const MiB = 1024 * 1024;
const sizes = arg('--sizes', '50,200')
  .split(',')
  .map((s) => Number(s.trim()))
  .filter((n) => n > 0);
const chunkBytes = Number(arg('--chunk-kib', '64')) * 1024;
/** With node --expose-gc: collect garbage every N samples (5 ms each), so the peak shows live memory only. */
const gc = (globalThis as { gc?: () => void }).gc;
const gcEvery = Number(arg('--gc-every', '20'));

/** PUTs `size` bytes to `url`, writing the same chunk over and over, waiting for 'drain' when asked to. */
function putBody(url: string, size: number, contentType: string): Promise<{ status: number; body: string }> {
  const chunk = Buffer.alloc(chunkBytes, 7);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'PUT', headers: { 'content-type': contentType, 'content-length': String(size) } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const n = Math.min(chunkBytes, size - sent);
        sent += n;
        const ok = req.write(n === chunkBytes ? chunk : chunk.subarray(0, n));
        if (!ok) return void req.once('drain', pump);
      }
      req.end();
    };
    pump();
  });
}

async function main() {
  const platform = await startLocalPlatform({
    apps: { auth: authApp, 'content-api': contentApp },
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test' },
  });
  const tracker = new WaitUntilTracker();
  const served = await serveApp(contentApp, { port: 0, env: () => platform.envFor('content-api'), tracker });
  const rows: string[][] = [];
  try {
    const user = await registerUser(platform, { name: 'Bench Creator' });
    // Warm-up: one small upload so that lazy initialisation is not counted.
    for (const size of [1 * MiB, ...sizes.map((s) => s * MiB)]) {
      const created = await fetch(`${served.url}/api/media`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: user.cookie },
        body: JSON.stringify({ title: 'bench', mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: size }),
      });
      if (created.status !== 201) throw new Error(`createMedia: ${created.status} ${await created.text()}`);
      const { media, upload } = (await created.json()) as { media: { id: string }; upload: { url: string } };

      gc?.();
      const before = process.memoryUsage().rss;
      let peak = before;
      let ticks = 0;
      const sampler = setInterval(() => {
        if (gc && ++ticks % gcEvery === 0) gc();
        peak = Math.max(peak, process.memoryUsage().rss);
      }, 5);
      const started = performance.now();
      const res = await putBody(upload.url, size, 'video/mp4');
      const ms = performance.now() - started;
      clearInterval(sampler);
      peak = Math.max(peak, process.memoryUsage().rss);
      if (res.status !== 200) throw new Error(`upload: ${res.status} ${res.body}`);
      const object = await platform.bucket.head(`media/${user.id}/${media.id}/original`);
      if (object?.size !== size) throw new Error(`stored object has ${object?.size} bytes, expected ${size}`);
      if (size === 1 * MiB) continue;
      const growth = (peak - before) / MiB;
      rows.push([
        `${size / MiB} MiB`,
        `${(before / MiB).toFixed(0)} MiB`,
        `${(peak / MiB).toFixed(0)} MiB`,
        `${growth.toFixed(1)} MiB`,
        `${((growth * MiB) / size).toFixed(2)}`,
        `${((size / MiB / ms) * 1000).toFixed(0)} MiB/s`,
      ]);
    }
  } finally {
    await served.close();
    await tracker.drain();
    await platform.close();
  }
  console.log(
    `upload through PUT /api/media/{id}/upload (${platform.mode} database, ${chunkBytes / 1024} KiB client chunks)`,
  );
  printTable(['body', 'rss before', 'rss peak', 'peak growth', 'growth/body', 'throughput'], rows);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
