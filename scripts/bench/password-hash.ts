/**
 * Benchmark: password hash time inside workerd (the Workers runtime, via wrangler's unstable_dev), bcryptjs at
 * the auth worker's BCRYPT_COST vs better-auth's default scrypt.
 *
 *   npx tsx scripts/bench/password-hash.ts [--rounds 5] [--per-request 2]
 *
 * Each round is one request hashing `per-request` times; ms/hash = (round trip − no-op round trip) / per-request.
 */
import { fileURLToPath } from 'node:url';
import { BCRYPT_COST } from '@codex/worker-auth/password';
import { unstable_dev } from 'wrangler';
import { arg, median, printTable } from './lib';

const rounds = Number(arg('--rounds', '5'));
const perRequest = Number(arg('--per-request', '2'));

async function main() {
  process.env.WRANGLER_SEND_METRICS = 'false';
  const script = fileURLToPath(new URL('./hash-worker.ts', import.meta.url));
  const worker = await unstable_dev(script, {
    config: fileURLToPath(new URL('./hash-worker.wrangler.jsonc', import.meta.url)),
    logLevel: 'error',
    local: true,
    experimental: { disableExperimentalWarning: true, disableDevRegistry: true, watch: false },
  });
  try {
    const time = async (algo: string, n: number) => {
      const t0 = performance.now();
      const res = await worker.fetch(`http://localhost/hash?algo=${algo}&n=${n}`);
      const body = (await res.json()) as { sample?: string; error?: string };
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`${algo}: ${res.status} ${JSON.stringify(body)}`);
      return { ms, sample: body.sample ?? '' };
    };
    const measure = async (algo: string) => {
      await time(algo, 1); // warm-up (JIT, module init)
      const samples: number[] = [];
      let prefix = '';
      for (let i = 0; i < rounds; i++) {
        const r = await time(algo, perRequest);
        samples.push(r.ms);
        prefix = r.sample;
      }
      return { samples, prefix };
    };
    const noop = await measure('noop');
    const overhead = median(noop.samples);
    const rows: string[][] = [];
    const results: Record<string, number> = {};
    for (const [algo, label] of [
      ['bcrypt', `bcryptjs cost ${BCRYPT_COST} (auth worker)`],
      ['scrypt', 'scrypt (better-auth default)'],
    ] as const) {
      const { samples, prefix } = await measure(algo);
      const perHash = samples.map((s) => (s - overhead) / perRequest);
      const med = median(perHash);
      results[algo] = med;
      rows.push([
        label,
        `${med.toFixed(1)} ms`,
        `${Math.min(...perHash).toFixed(1)} ms`,
        `${Math.max(...perHash).toFixed(1)} ms`,
        prefix,
      ]);
    }
    console.log(
      `\nPassword hashing inside workerd — ${rounds} rounds × ${perRequest} hashes, no-op round trip ${overhead.toFixed(1)} ms subtracted\n`,
    );
    printTable(['algorithm', 'median/hash', 'min', 'max', 'hash prefix'], rows);
    const bcrypt = results.bcrypt ?? Number.NaN;
    const scrypt = results.scrypt ?? Number.NaN;
    console.log(`\nscrypt / bcrypt = ${(scrypt / bcrypt).toFixed(2)}×`);
    console.log('Workers CPU limit: 10 ms (Free) / 30 s default (Paid) per request — a login costs one hash.');
  } finally {
    await worker.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
