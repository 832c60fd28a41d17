/**
 * The breaking-change gate (scripts/breaking-change.ts), run as CI runs it: a git repository whose
 * base commit holds openapi/codex.yaml, a changed contract in the working tree, and the real script
 * spawned against it (git show + redocly diff --check-version).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const SCRIPT = join(ROOT, 'scripts/breaking-change.ts');

type Obj = Record<string, unknown>;

const errorResponse = {
  description: 'Error',
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
};

/** A small contract: list items, create an item (name required, note optional). */
function contract(version = '1.0.0'): Obj {
  return {
    openapi: '3.1.0',
    info: { title: 'Gate test', version },
    servers: [{ url: 'https://items.example.test' }],
    paths: {
      '/items': {
        get: {
          operationId: 'listItems',
          summary: 'List items',
          responses: {
            200: {
              description: 'Items',
              content: {
                'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Item' } } },
              },
            },
          },
        },
        post: {
          operationId: 'createItem',
          summary: 'Create an item',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CreateItem' } } },
          },
          responses: {
            201: {
              description: 'Created',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } },
            },
            400: errorResponse,
          },
        },
      },
    },
    components: {
      schemas: {
        Item: {
          type: 'object',
          properties: { id: { type: 'string', format: 'uuid' }, name: { type: 'string' } },
          required: ['id', 'name'],
        },
        CreateItem: {
          type: 'object',
          properties: { name: { type: 'string' }, note: { type: 'string' } },
          required: ['name'],
          additionalProperties: false,
        },
        ErrorResponse: {
          type: 'object',
          properties: { error: { type: 'object' }, requestId: { type: 'string' } },
          required: ['error', 'requestId'],
        },
      },
    },
  };
}

const repos: string[] = [];
afterEach(() => {
  for (const r of repos.splice(0)) rmSync(r, { recursive: true, force: true });
});

function git(cwd: string, ...args: string[]) {
  const r = spawnSync('git', ['-c', 'user.email=gate@test', '-c', 'user.name=Gate Test', ...args], {
    cwd,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A repository whose HEAD commit holds `base` as openapi/codex.yaml (or no contract), with `head` in the working tree. */
function repoWith(base: Obj | null, head: Obj) {
  const dir = mkdtempSync(join(tmpdir(), 'codex-gate-'));
  repos.push(dir);
  git(dir, 'init', '-q', '-b', 'main');
  mkdirSync(join(dir, 'openapi'));
  if (base) writeFileSync(join(dir, 'openapi/codex.yaml'), stringify(base));
  else writeFileSync(join(dir, 'README.md'), 'no contract yet\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');
  writeFileSync(join(dir, 'openapi/codex.yaml'), stringify(head));
  return dir;
}

function gate(dir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [TSX, SCRIPT, ...args, '--cwd', dir], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, BASE_REF: '' },
  });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}` };
}

// biome-ignore lint/suspicious/noExplicitAny: test fixtures are edited freely
function edit(fn: (doc: any) => void, version?: string) {
  const doc = contract(version);
  fn(doc);
  return doc;
}

describe('contract:diff (scripts/breaking-change.ts)', () => {
  it('fails on a removed operation when info.version stayed the same', () => {
    const dir = repoWith(
      contract(),
      edit((d) => delete d.paths['/items'].post),
    );
    const r = gate(dir, 'HEAD');
    expect(r.status, r.out).toBe(1);
    expect(r.out).toContain('1 breaking (major)');
    expect(r.out).toMatch(/BREAKING\s+removed\s+paths › \/items › post/);
    expect(r.out).toContain('Breaking changes without a major version bump');
  });

  it('fails on a request field that became required', () => {
    const dir = repoWith(
      contract(),
      edit((d) => d.components.schemas.CreateItem.required.push('note')),
    );
    const r = gate(dir, 'HEAD');
    expect(r.status, r.out).toBe(1);
    expect(r.out).toMatch(
      /BREAKING\s+modified\s+paths › \/items › post › requestBody.*`CreateItem` became required: `note`/,
    );
    expect(r.out).toContain('Breaking changes without a major version bump');
  });

  it('passes an added optional field and a new operation (no breaking change)', () => {
    const head = edit((d) => {
      d.components.schemas.CreateItem.properties.colour = { type: 'string' };
      d.paths['/items/{id}'] = {
        get: {
          operationId: 'getItem',
          summary: 'Get an item',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } }],
          responses: {
            200: {
              description: 'The item',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Item' } } },
            },
            404: errorResponse,
          },
        },
      };
    });
    const r = gate(repoWith(contract(), head), 'HEAD');
    expect(r.status, r.out).toBe(0);
    expect(r.out).toContain('0 breaking (major)');
    expect(r.out).toMatch(/minor\s+added\s+paths › \/items\/\{id\}/);
    expect(r.out).toContain('No breaking change');
  });

  it('passes a breaking change released with the matching major bump, but not with a minor one', () => {
    const removed = (version: string) => edit((d) => delete d.paths['/items'].post, version);
    const major = gate(repoWith(contract('1.4.2'), removed('2.0.0')), 'HEAD');
    expect(major.status, major.out).toBe(0);
    expect(major.out).toContain('1 breaking (major)');
    expect(major.out).toContain('released as a new major version (1.4.2 → 2.0.0)');

    const minor = gate(repoWith(contract('1.4.2'), removed('1.5.0')), 'HEAD');
    expect(minor.status, minor.out).toBe(1);
    expect(minor.out).toContain('Breaking changes without a major version bump');
  });

  it('passes with a message when the base has no contract, and fails on an unknown base ref', () => {
    const dir = repoWith(null, contract());
    const first = gate(dir, 'HEAD');
    expect(first.status, first.out).toBe(0);
    expect(first.out).toContain('does not exist at HEAD');

    const unknown = gate(dir, 'no-such-branch');
    expect(unknown.status, unknown.out).toBe(1);
    expect(unknown.out).toContain('the base ref no-such-branch does not exist');
  });
});
