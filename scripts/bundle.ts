/**
 * `npm run build:dry-run`: bundles every worker exactly as `wrangler deploy` would
 * (`wrangler deploy --dry-run --outdir dist/<worker> --env <env>`, nothing is uploaded)
 * and prints the bundle sizes, raw and gzip. Exits non-zero when any bundle fails.
 * (`npm run deploy:staging -- --dry-run` does the same for a whole deploy, and prints its plan.)
 *
 *   tsx scripts/bundle.ts [--env production|staging] [worker ...]
 */
import { join } from 'node:path';
import { type BundleRow, bundleTable, bundleWorker, listWorkers, ROOT } from './lib/wrangler';

function parseArgs(argv: string[]) {
  const all = listWorkers();
  let env = 'production';
  const workers: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--env') env = argv[++i] ?? env;
    else if (a.startsWith('--env=')) env = a.slice('--env='.length);
    else workers.push(a);
  }
  for (const w of workers) {
    if (!all.includes(w)) throw new Error(`unknown worker "${w}" (expected one of ${all.join(', ')})`);
  }
  return { env, workers: workers.length ? workers : all };
}

async function main() {
  const { env, workers } = parseArgs(process.argv.slice(2));
  console.log(`Bundling ${workers.length} worker(s) with wrangler deploy --dry-run --env ${env} → dist/<worker>`);
  const rows: BundleRow[] = [];
  let failed = 0;
  for (const w of workers) {
    try {
      rows.push(await bundleWorker(w, env, join(ROOT, 'dist', w)));
    } catch (e) {
      failed++;
      console.error(`✗ ${w}: ${(e as Error).message}`);
    }
  }
  console.log(`\n${bundleTable(rows)}`);
  if (failed) {
    console.error(`\n${failed} worker(s) failed to bundle`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
