/**
 * Bundle size of @codex/client as an application ships it: dist/index.js bundled with its dependency
 * (openapi-fetch), minified, then gzipped. Prints bytes; run after `npm run build` (npm run size -w @codex/client).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const entry = new URL('../dist/index.js', import.meta.url).pathname;

async function measure(label, external) {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    write: false,
    external,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0].contents;
  const gz = gzipSync(code, { level: 9 }).byteLength;
  console.log(`${label.padEnd(44)} ${String(code.byteLength).padStart(7)} B min   ${String(gz).padStart(6)} B gzip`);
  return gz;
}

console.log(`dist/index.js as built: ${readFileSync(entry).byteLength} B`);
await measure('@codex/client + openapi-fetch (what ships)', []);
await measure('@codex/client alone (openapi-fetch external)', ['openapi-fetch']);
