/**
 * The breaking-change gate (`npm run contract:diff`, scripts/breaking-change.ts) as CI runs it: in a clone of this
 * repository, with its own redocly.yaml, through the npm script, against a base commit — here with the published
 * contract (openapi/codex.yaml) edited directly; test/pipeline/contract-gate-matrix.test.ts makes the edits in code.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { cloneRepository, git, REPO_ROOT, type RepoClone } from './repo-clone';

type Obj = Record<string, unknown>;

let clone: RepoClone;
let base: string;

beforeAll(() => {
  clone = cloneRepository();
  base = git(clone.dir, 'rev-parse', 'HEAD').trim();
});
afterEach(() => clone.reset(base));
afterAll(() => clone.remove());

const CONTRACT = 'openapi/codex.yaml';
/** The published version (openapi/contract-version.json) and the bumps the gate asks for. */
const CURRENT = (
  JSON.parse(readFileSync(join(REPO_ROOT, 'openapi/contract-version.json'), 'utf8')) as { version: string }
).version;
const [MAJOR = 0, MINOR = 0] = CURRENT.split('.').map(Number);
const NEXT_MAJOR = `${MAJOR + 1}.0.0`;
const NEXT_MINOR = `${MAJOR}.${MINOR + 1}.0`;

/** Edits the contract in the clone's working tree (what `npm run contract` would have written). */
// biome-ignore lint/suspicious/noExplicitAny: the test edits the document freely
function editContract(fn: (doc: any) => void) {
  const file = join(clone.dir, CONTRACT);
  const doc = parse(readFileSync(file, 'utf8')) as Obj;
  fn(doc);
  writeFileSync(file, stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false }));
}

async function gate(...args: string[]) {
  const md = join(clone.scratch, 'report.md');
  writeFileSync(md, '');
  const r = await clone.npm(['run', '--silent', 'contract:diff', '--', ...args, '--markdown', md]);
  return { status: r.status, out: r.out, markdown: readFileSync(md, 'utf8') };
}

// biome-ignore lint/suspicious/noExplicitAny: the test edits the document freely
const removeDeleteOrganization = (doc: any) => delete doc.paths['/api/organizations/{id}'].delete;

describe('contract:diff (npm script, in a clone)', { timeout: 300_000 }, () => {
  it('passes an unchanged contract', async () => {
    const r = await gate(base);
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('✔ No change to the contract.');
    expect(r.markdown).toContain('## ✅ No contract change');
  });

  it('fails a breaking change without a major bump: one line per change, and the markdown report', async () => {
    editContract((doc) => {
      removeDeleteOrganization(doc);
      doc.components.schemas.CreateOrganizationRequest.required.push('description');
      doc.components.schemas.CreateOrganizationRequest.properties.tagline = { type: 'string' };
    });
    const r = await gate(base);
    expect(r.status, r.out).toBe(1);
    expect(r.out).toMatch(
      /^ {2}BREAKING {2}deleteOrganization \(DELETE \/api\/organizations\/\{id\}\) — operation removed$/m,
    );
    expect(r.out).toMatch(
      /^ {2}BREAKING {2}createOrganization \(POST \/api\/organizations\) — request body: .*became required: `description`$/m,
    );
    expect(r.out).toMatch(
      /^ {2}ok {8}createOrganization \(POST \/api\/organizations\) — request body › tagline: added$/m,
    );
    expect(r.out).toContain('a breaking change needs a new major version');
    expect(r.out).toContain(`set "version" to ${NEXT_MAJOR} in openapi/contract-version.json`);

    expect(r.markdown).toContain('## ❌ Breaking contract change without a major version bump');
    expect(r.markdown).toMatch(/\| `info\.version` \| (\d+\.\d+\.\d+) \| \1 \| major \| none \| \*\*no\*\* \|/);
    expect(r.markdown).toContain('| `deleteOrganization` | DELETE | `/api/organizations/{id}` | operation removed |');
    expect(r.markdown).toMatch(
      /### Other changes[\s\S]*`createOrganization` \| POST .* \| addition \| request body › tagline/,
    );
  });

  it('lets a breaking change through with a major bump only', async () => {
    const remove = (version: string) =>
      editContract((doc) => {
        removeDeleteOrganization(doc);
        doc.info.version = version;
      });
    remove(NEXT_MAJOR);
    const major = await gate(base);
    expect(major.status, major.out).toBe(0);
    expect(major.out).toContain(`released as a new major version (${CURRENT} → ${NEXT_MAJOR})`);
    expect(major.markdown).toContain('⚠️ Breaking contract change, released as a new major version');

    clone.reset(base);
    remove(NEXT_MINOR);
    const minor = await gate(base);
    expect(minor.status, minor.out).toBe(1);
    expect(minor.out).toContain('(a minor bump): a breaking change needs a new major version');

    clone.reset(base);
    editContract((doc) => {
      doc.info.version = '0.9.0';
    });
    const backwards = await gate(base);
    expect(backwards.status, backwards.out).toBe(1);
    expect(backwards.out).toContain('The contract version goes backwards');
  });

  it('fails closed when redocly.yaml does not load the diff rules (every change would be rated "patch")', async () => {
    const config = join(clone.dir, 'redocly.yaml');
    const text = readFileSync(config, 'utf8');
    expect(text).toMatch(/^ {2}- diff-recommended$/m);
    writeFileSync(config, text.replace(/^ {2}- diff-recommended\n/m, ''));
    editContract(removeDeleteOrganization);
    const r = await gate(base);
    expect(r.status, r.out).toBe(1);
    expect(r.out).toContain('its diff rules are not loaded');
    expect(r.out).not.toContain('No breaking change');
    expect(r.markdown).toContain('diff rules are not loaded');
  });

  it('passes when the base has no contract, and fails on a base that does not exist', async () => {
    const emptyTree = git(clone.dir, 'hash-object', '-t', 'tree', '/dev/null').trim();
    const empty = git(clone.dir, 'commit-tree', emptyTree, '-m', 'no contract yet').trim();
    const first = await gate(empty);
    expect(first.status, first.out).toBe(0);
    expect(first.out).toContain('does not exist at');

    const unknown = await gate('no-such-branch');
    expect(unknown.status, unknown.out).toBe(1);
    expect(unknown.out).toContain('the base ref no-such-branch does not exist');
  });

  it('without a base ref or origin/main, compares an uncommitted contract edit with HEAD', async () => {
    git(clone.dir, 'remote', 'remove', 'origin');
    editContract(removeDeleteOrganization);
    const r = await gate();
    expect(r.status, r.out).toBe(1);
    expect(r.out).toMatch(/^Base: HEAD \(/m);
    expect(r.out).toMatch(/BREAKING {2}deleteOrganization \(DELETE \/api\/organizations\/\{id\}\) — operation removed/);
  });

  it('judges an edit made in the code even when `npm run contract` was not run after it', async () => {
    const routes = join(clone.dir, 'workers/identity-api/src/routes/organizations.ts');
    const code = readFileSync(routes, 'utf8');
    const search = 'organizationRoutes.openapi(deleteOrganization, async (c) => {';
    expect(code).toContain(search);
    writeFileSync(
      routes,
      code.replace(search, 'organizationRoutes.openapi({ ...deleteOrganization, hide: true }, async (c) => {'),
    );
    const r = await gate(base);
    expect(r.status, r.out).toBe(1);
    expect(r.out).toContain('openapi/codex.yaml is not what the code builds: run `npm run contract`');
    expect(r.out).toMatch(
      /── the contract the code builds[^\n]*\n[^\n]*\n {2}BREAKING {2}deleteOrganization .* operation removed/,
    );
    expect(r.markdown).toContain('## ❌ Contract check: fails');
  });

  it('a new error code in an error response is an addition; a new value in a success response is breaking', async () => {
    // Each operation's error responses list their codes (allOf: the catalogue's ErrorCode + this operation's enum).
    editContract((doc) => {
      doc.components.schemas.ErrorCode.enum.push('ORGANIZATION_SUSPENDED');
      doc.paths['/api/organizations'].post.responses['409'].content[
        'application/json'
      ].schema.properties.error.properties.code.allOf[1].enum.push('ORGANIZATION_SUSPENDED');
    });
    const errorCode = await gate(base, '--head', CONTRACT);
    expect(errorCode.status, errorCode.out).toBe(0);
    expect(errorCode.out).toMatch(
      /^ {2}ok {8}createOrganization \(POST \/api\/organizations\) — response 409 › error\.code \(allOf #2\): Enum gained values: 'ORGANIZATION_SUSPENDED' \(an error response: an addition\)$/m,
    );

    editContract((doc) => {
      doc.components.schemas.WebhookReceived.properties.status.enum.push('queued');
    });
    const success = await gate(base, '--head', CONTRACT);
    expect(success.status, success.out).toBe(1);
    expect(success.out).toMatch(
      /BREAKING {2}receiveStripeBookingWebhook .* response 200 › status: Enum of `status` gained values: 'queued'/,
    );
  });
});
