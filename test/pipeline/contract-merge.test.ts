/**
 * The merge step of `npm run contract` (scripts/contract/merge.ts) on small worker documents:
 * per-path servers, shared meta routes listed once, shared components deduplicated, and loud
 * failures on conflicting components, paths, operationIds and tags.
 */
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../scripts/contract/canonical';
import { ContractMergeError, mergeContracts, type WorkerSpec } from '../../scripts/contract/merge';

type Obj = Record<string, unknown>;
const INFO = { title: 'Codex API', version: '3.2.1', description: 'test' };

const error = { type: 'object', properties: { error: { type: 'object' } }, required: ['error'] };
const health = {
  get: {
    operationId: 'getHealth',
    tags: ['Service'],
    summary: 'Service health',
    security: [],
    responses: { 200: { description: 'ok' } },
  },
};

function worker(name: string, port: number, paths: Obj, schemas: Obj = {}): WorkerSpec {
  return {
    name,
    doc: {
      openapi: '3.1.0',
      info: { title: `Codex ${name} API`, version: '1.0.0', description: `The ${name} worker.` },
      servers: [
        { url: `https://${name}.example.test`, description: 'Production' },
        { url: `http://localhost:${port}`, description: 'Local' },
      ],
      paths: { '/health': health, ...paths },
      components: { schemas: { ErrorResponse: error, ...schemas } },
    },
  };
}

const op = (operationId: string, tag: string) => ({
  operationId,
  tags: [tag],
  summary: operationId,
  responses: { 200: { description: 'ok' } },
});

describe('mergeContracts', () => {
  it('gives each path its worker servers, lists shared routes once with all servers, dedupes components', () => {
    const { doc, owners } = mergeContracts(
      [
        worker('b-api', 4002, { '/api/b': { get: op('listB', 'Bees') } }, { B: { type: 'string' } }),
        worker('a', 4001, { '/api/a': { post: op('createA', 'Aas') } }),
      ],
      INFO,
    );
    const paths = doc.paths as Record<string, Obj>;
    expect(Object.keys(paths)).toEqual(['/api/a', '/api/b', '/health']);
    expect(paths['/api/a']?.servers).toEqual([
      { url: 'https://a.example.test', description: 'a: Production' },
      { url: 'http://localhost:4001', description: 'a: Local' },
    ]);
    expect(((paths['/health']?.servers ?? []) as Obj[]).map((s) => s.url)).toEqual([
      'https://a.example.test',
      'http://localhost:4001',
      'https://b-api.example.test',
      'http://localhost:4002',
    ]);
    expect(owners).toEqual({ '/api/a': ['a'], '/api/b': ['b-api'], '/health': ['a', 'b-api'] });
    expect(Object.keys((doc.components as Obj).schemas as Obj)).toEqual(['B', 'ErrorResponse']);
    expect((doc.info as Obj).version).toBe('3.2.1');
    expect((doc.tags as Obj[]).map((t) => t.name)).toEqual(['Aas', 'Bees', 'Service']);
    expect((doc.tags as Obj[])[0]?.description).toBe('The a worker. Served by the a worker (https://a.example.test).');
    // Stable output: merging again, from workers in another order, gives the same document.
    const again = mergeContracts(
      [
        worker('a', 4001, { '/api/a': { post: op('createA', 'Aas') } }),
        worker('b-api', 4002, { '/api/b': { get: op('listB', 'Bees') } }, { B: { type: 'string' } }),
      ],
      INFO,
    );
    expect(JSON.stringify(again.doc)).toBe(JSON.stringify(doc));
    expect(JSON.stringify(canonicalize(doc))).toBe(JSON.stringify(doc));
  });

  it('fails loudly on a component with the same name and different content', () => {
    const merge = () =>
      mergeContracts(
        [
          worker('a', 4001, { '/api/a': { get: op('getA', 'A') } }, { Thing: { type: 'string' } }),
          worker('b', 4002, { '/api/b': { get: op('getB', 'B') } }, { Thing: { type: 'integer' } }),
        ],
        INFO,
      );
    expect(merge).toThrow(ContractMergeError);
    expect(merge).toThrow(/component schemas\/Thing differs between a and b/);
  });

  it('fails on one path with different content in two workers, and on a reused operationId', () => {
    expect(() =>
      mergeContracts(
        [
          worker('a', 4001, { '/api/x': { get: op('getX', 'A') } }),
          worker('b', 4002, { '/api/x': { post: op('postX', 'B') } }),
        ],
        INFO,
      ),
    ).toThrow(/path \/api\/x is defined by a and b with different content/);
    expect(() =>
      mergeContracts(
        [
          worker('a', 4001, { '/api/a': { get: op('getThing', 'A') } }),
          worker('b', 4002, { '/api/b': { get: op('getThing', 'B') } }),
        ],
        INFO,
      ),
    ).toThrow(/operationId getThing is used by GET \/api\/a and GET \/api\/b/);
  });

  it('enforces one tag per worker, not shared with another worker', () => {
    expect(() =>
      mergeContracts(
        [
          worker('a', 4001, { '/api/a': { get: op('getA', 'A1') }, '/api/a2': { get: op('getA2', 'A2') } }),
          worker('b', 4002, { '/api/b': { get: op('getB', 'B') } }),
        ],
        INFO,
      ),
    ).toThrow(/a: its operations use several tags \(A1, A2\)/);
    expect(() =>
      mergeContracts(
        [
          worker('a', 4001, { '/api/a': { get: op('getA', 'Same') } }),
          worker('b', 4002, { '/api/b': { get: op('getB', 'Same') } }),
        ],
        INFO,
      ),
    ).toThrow(/b: tag "Same" is also used by a/);
  });
});
