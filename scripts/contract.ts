/**
 * The contract pipeline (`npm run contract`, CI: `npm run contract:check`).
 *
 *   workers/<w>/src/index.ts (app.openApiDocument())
 *     → openapi/<w>.json                 one document per worker, stable key order
 *     → openapi/codex.yaml               the merged, published contract (see scripts/contract/merge.ts)
 *     → redocly lint (redocly.yaml)
 *     → generated/codex-api.d.ts         openapi-typescript `paths`/`components` types
 *     → generated/codex-routes.ts        path → worker map + per-operation body kinds, for @codex/client
 *     → generated/docs/index.html        static docs, `redocly build-docs --inlineBundle` (no CDN)
 *     → generated/docs/changelog.{md,html,json}  one entry per contract version, from the git history of
 *                                        openapi/codex.yaml (see scripts/contract/changelog.ts)
 *
 * info.version of the merged contract comes from openapi/contract-version.json (the only
 * hand-edited file under openapi/). Output is deterministic: no timestamps, stable key order.
 *
 * `--check` builds everything into a temporary folder and exits 1, naming the files, when the
 * committed openapi/ or generated/ files differ from what the current code produces.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { canonicalize, stableJson } from './contract/canonical';
import {
  buildChangelog,
  CHANGELOG_HTML,
  CHANGELOG_JSON,
  CHANGELOG_MD,
  readChangelogJson,
  renderChangelogHtml,
  renderChangelogJson,
  renderChangelogMarkdown,
} from './contract/changelog';
import { ContractMergeError, mergeContracts, type WorkerSpec } from './contract/merge';
import { renderRoutesModule } from './contract/routes';
import { runRedocly, stripRedoclyNoise } from './contract/tools';
import { defaultsOutsideRequired, typescriptOptions } from './contract/typescript';
import { GUIDES_OUT, guidesDescription, renderGuides, standaloneGuide } from './docs/guides';

type Obj = Record<string, unknown>;

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const VERSION_FILE = 'openapi/contract-version.json';
const HAND_WRITTEN = new Set([VERSION_FILE]);

const CONTRACT_TITLE = 'Codex API';
const CONTRACT_DESCRIPTION = [
  'The published contract of the Codex platform: four Cloudflare Workers (auth, content-api,',
  'identity-api, ecom-api) behind one OpenAPI document.',
  '',
  'Each path lists the servers of the worker that serves it (production, staging, local development);',
  'the meta routes every worker serves (/health, /openapi.json, /docs) are listed once with all servers.',
  'Errors use the shared `ErrorResponse` envelope; every response carries an `x-request-id` header.',
  'Authenticated operations use the `codex-session` cookie set by the auth worker.',
  '',
  'What changed in each version of this contract: the [changelog](changelog.html).',
].join('\n');

interface Timing {
  step: string;
  ms: number;
}

async function timed<T>(timings: Timing[], step: string, fn: () => Promise<T> | T): Promise<T> {
  const started = performance.now();
  const result = await fn();
  const ms = performance.now() - started;
  timings.push({ step, ms });
  console.log(`  ✓ ${step.padEnd(34)} ${ms.toFixed(0).padStart(6)} ms`);
  return result;
}

function write(file: string, content: string) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

/** Worker folders with a src/index.ts, sorted. */
export function discoverWorkers(root = REPO_ROOT): string[] {
  const dir = join(root, 'workers');
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'src/index.ts')))
    .map((d) => d.name)
    .sort();
}

async function collectWorkerSpecs(): Promise<WorkerSpec[]> {
  const specs: WorkerSpec[] = [];
  for (const folder of discoverWorkers()) {
    const mod = (await import(pathToFileURL(join(REPO_ROOT, 'workers', folder, 'src/index.ts')).href)) as {
      app?: { openApiDocument?: () => Obj; workerOptions?: { name?: string } };
    };
    if (typeof mod.app?.openApiDocument !== 'function') {
      throw new Error(`workers/${folder}/src/index.ts must export \`app\` created by createWorker()`);
    }
    const name = mod.app.workerOptions?.name ?? folder;
    if (name !== folder) throw new Error(`workers/${folder}: createWorker({ name: '${name}' }) must match the folder`);
    specs.push({ name, doc: canonicalize(mod.app.openApiDocument()) });
  }
  return specs;
}

function contractVersion(): string {
  const file = join(REPO_ROOT, VERSION_FILE);
  const { version } = JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown };
  if (typeof version !== 'string' || !/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new Error(`${VERSION_FILE}: "version" must be a semver string, got ${JSON.stringify(version)}`);
  }
  return version;
}

export const GENERATED_TYPES = 'generated/codex-api.d.ts';
export const GENERATED_ROUTES = 'generated/codex-routes.ts';
export const GENERATED_DOCS = 'generated/docs/index.html';
export const CONTRACT_FILE = 'openapi/codex.yaml';

const CONTRACT_HEADER = "# Generated by `npm run contract` from the workers' routes. Do not edit.\n";

function mergedContract(specs: WorkerSpec[]) {
  const result = mergeContracts(specs, {
    title: CONTRACT_TITLE,
    version: contractVersion(),
    description: `${CONTRACT_DESCRIPTION}\n\n${guidesDescription(renderGuides(REPO_ROOT))}`,
  });
  return { result, yaml: `${CONTRACT_HEADER}${stringify(result.doc, { lineWidth: 0, aliasDuplicateObjects: false })}` };
}

/**
 * openapi/codex.yaml as the code builds it now, byte for byte what `npm run contract` writes, without writing
 * anything (the breaking-change gate compares it too, so a contract not rebuilt after an edit is still judged).
 */
export async function buildMergedContract(): Promise<string> {
  return mergedContract(await collectWorkerSpecs()).yaml;
}

/** Builds every generated file under outRoot (the repository, or a temp folder for --check). Returns the files written. */
export async function buildContract(outRoot: string, timings: Timing[] = []): Promise<string[]> {
  const written: string[] = [];
  const out = (rel: string, content: string) => {
    write(join(outRoot, rel), content);
    written.push(rel);
  };

  const specs = await timed(timings, 'collect worker documents', collectWorkerSpecs);

  const merged = await timed(timings, 'write per-worker + merge', () => {
    for (const s of specs) out(`openapi/${s.name}.json`, stableJson(s.doc));
    try {
      const { result, yaml } = mergedContract(specs);
      out(CONTRACT_FILE, yaml);
      return result;
    } catch (e) {
      if (e instanceof ContractMergeError) {
        console.error(`\n${e.message}\n`);
        process.exit(1);
      }
      throw e;
    }
  });

  await timed(timings, 'guides (docs/guides + error catalogue)', () => {
    for (const g of renderGuides(REPO_ROOT)) out(`${GUIDES_OUT}/${g.slug}.md`, standaloneGuide(g.markdown));
  });

  await timed(timings, 'redocly lint', async () => {
    const r = await runRedocly(
      ['lint', join(outRoot, CONTRACT_FILE), '--config', join(REPO_ROOT, 'redocly.yaml'), '--format', 'stylish'],
      { cwd: REPO_ROOT },
    );
    if (r.status !== 0) {
      console.error(stripRedoclyNoise(`${r.stdout}\n${r.stderr}`));
      throw new Error('redocly lint found errors in openapi/codex.yaml (see above)');
    }
    // Warnings allowed by redocly.yaml (each with its reason there) are shown, not fatal.
    const warnings = stripRedoclyNoise(`${r.stdout}\n${r.stderr}`)
      .split('\n')
      .filter((l) => /\bwarning\b/.test(l));
    for (const w of warnings) console.log(`    lint ${w.trim().replace(/\s+/g, ' ')}`);
  });

  await timed(timings, 'openapi-typescript', async () => {
    const { default: openapiTS, astToString } = await import('openapi-typescript');
    const misses = defaultsOutsideRequired(merged.doc);
    if (misses.length) {
      throw new Error(
        `A response schema has a defaulted property outside \`required\` (the server always sends it; list it in required, e.g. zod .default() on an output schema): ${misses.join(', ')}`,
      );
    }
    const ast = await openapiTS(pathToFileURL(join(outRoot, CONTRACT_FILE)), typescriptOptions);
    out(
      GENERATED_TYPES,
      `/**\n * Generated by \`npm run contract\` (openapi-typescript) from openapi/codex.yaml. Do not edit.\n */\n\n${astToString(ast)}`,
    );
  });

  await timed(timings, 'client route map', () => {
    const workerDocs = Object.fromEntries(specs.map((s) => [s.name, s.doc]));
    out(GENERATED_ROUTES, renderRoutesModule(merged.doc, workerDocs));
  });

  await timed(timings, 'redocly build-docs', async () => {
    const target = join(outRoot, GENERATED_DOCS);
    mkdirSync(dirname(target), { recursive: true });
    const r = await runRedocly(
      [
        'build-docs',
        join(outRoot, CONTRACT_FILE),
        '--inlineBundle',
        '--config',
        join(REPO_ROOT, 'redocly.yaml'),
        '--title',
        'Codex API reference',
        '-o',
        target,
      ],
      { cwd: REPO_ROOT },
    );
    if (r.status !== 0) {
      console.error(stripRedoclyNoise(`${r.stdout}\n${r.stderr}`));
      throw new Error('redocly build-docs failed');
    }
    writeFileSync(target, offlineDocs(readFileSync(target, 'utf8')));
    written.push(GENERATED_DOCS);
  });

  await timed(timings, 'changelog (git history)', async () => {
    const previous = readChangelogJson(join(REPO_ROOT, CHANGELOG_JSON));
    const log = await buildChangelog({
      root: REPO_ROOT,
      built: readFileSync(join(outRoot, CONTRACT_FILE), 'utf8'),
      previous,
      config: join(REPO_ROOT, 'redocly.yaml'),
    });
    if (log) {
      out(CHANGELOG_MD, renderChangelogMarkdown(log));
      out(CHANGELOG_HTML, renderChangelogHtml(log));
      out(CHANGELOG_JSON, renderChangelogJson(log));
      return;
    }
    // A shallow clone (or no git) cannot see the releases: keep the committed changelog as it is.
    console.warn(
      '    changelog: the git history of openapi/codex.yaml is not available (shallow clone?); kept as committed',
    );
    for (const rel of [CHANGELOG_MD, CHANGELOG_HTML, CHANGELOG_JSON]) {
      const committed = join(REPO_ROOT, rel);
      if (existsSync(committed)) out(rel, readFileSync(committed, 'utf8'));
    }
  });

  return written;
}

/**
 * `--inlineBundle` embeds Redoc, but Redoc 3's sidebar still loads its "API docs by Redocly" logo from
 * cdn.redoc.ly, and no option turns that off. The docs must make no external request (they are hosted
 * next to the API and read offline), so the logo URLs become an inline image; the attribution text and
 * its link to redocly.com stay. test/pipeline/docs-browser.test.ts checks that the page requests nothing
 * from another origin.
 */
const EMPTY_SVG = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/%3E";
export function offlineDocs(html: string): string {
  const out = html.replace(/https:\/\/cdn\.redoc\.ly\/redoc\/logo-mini(?:-full)?\.svg/g, EMPTY_SVG);
  if (/https:\/\/cdn\.redoc\.ly\//.test(out)) throw new Error('build-docs output references cdn.redoc.ly');
  return out;
}

/** Generated files present in root that this build would not write (e.g. the spec of a removed worker). */
function strayFiles(root: string, expected: Set<string>): string[] {
  const found: string[] = [];
  const walk = (rel: string) => {
    const abs = join(root, rel);
    if (!existsSync(abs)) return;
    for (const d of readdirSync(abs, { withFileTypes: true })) {
      const child = `${rel}/${d.name}`;
      if (d.isDirectory()) walk(child);
      else if (!expected.has(child) && !HAND_WRITTEN.has(child) && d.name !== '.gitkeep') found.push(child);
    }
  };
  walk('openapi');
  walk('generated');
  return found.sort();
}

async function main() {
  const check = process.argv.includes('--check');
  const timings: Timing[] = [];
  const started = performance.now();
  console.log(check ? 'Checking that the committed contract files are current…' : 'Building the contract…');

  if (!check) {
    const written = await buildContract(REPO_ROOT, timings);
    for (const f of strayFiles(REPO_ROOT, new Set(written))) {
      rmSync(join(REPO_ROOT, f));
      console.log(`  removed stale ${f}`);
    }
    console.log(`Total ${(performance.now() - started).toFixed(0)} ms — wrote ${written.length} files.`);
    return;
  }

  const tmp = mkdtempSync(join(tmpdir(), 'codex-contract-'));
  try {
    const written = await buildContract(tmp, timings);
    const problems: string[] = [];
    for (const rel of written) {
      const committed = join(REPO_ROOT, rel);
      if (!existsSync(committed)) problems.push(`missing: ${rel}`);
      else if (!readFileSync(committed).equals(readFileSync(join(tmp, rel)))) problems.push(`stale:   ${rel}`);
    }
    for (const f of strayFiles(REPO_ROOT, new Set(written))) problems.push(`extra:   ${f}`);
    console.log(`Total ${(performance.now() - started).toFixed(0)} ms.`);
    if (problems.length) {
      console.error(
        `\nThe committed contract files do not match the code:\n  ${problems.join('\n  ')}\n\nRun \`npm run contract\` and commit the result.`,
      );
      process.exitCode = 1;
    } else {
      console.log(
        `All ${written.length} contract files are current (${relative(REPO_ROOT, join(REPO_ROOT, 'openapi'))}/, generated/).`,
      );
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
