/**
 * The README's "How to add a route" snippet is code: this test takes it out of README.md, compiles it with the
 * repository's own tsconfig (strict), then imports it and checks that the one declaration documents what the README
 * says it derives (security, 401, 404 with its code, 429 with the rate-limit headers, 400, x-request-id).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './repo-clone';

const MARKER = '<!-- readme-route-snippet: compiled by test/pipeline/readme-snippet.test.ts -->';

function snippet(): string {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf(MARKER);
  if (at < 0) throw new Error(`README.md lost the marker ${MARKER}`);
  const block = /^```ts\n([\s\S]*?)^```$/m.exec(readme.slice(at));
  if (!block?.[1]) throw new Error('no ```ts block after the marker in README.md');
  return block[1];
}

let dir: string;
let tsc: { status: number | null; out: string };
beforeAll(() => {
  // Inside the repository, so that @codex/* resolve through its node_modules as they do for a worker's routes.
  dir = mkdtempSync(join(REPO_ROOT, '.readme-snippet-'));
  writeFileSync(join(dir, 'snippet.ts'), snippet());
  // The same snippet with a code that is not in the catalogue: proves the compile check can fail.
  writeFileSync(
    join(dir, 'broken.ts'),
    snippet().replace("errors: ['ORGANIZATION_NOT_FOUND']", "errors: ['ORGANISATION_NOT_FOUND']"),
  );
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../tsconfig.json',
      include: ['snippet.ts', 'broken.ts'],
      compilerOptions: { noEmit: true },
    }),
  );
  const bin = join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
  const r = spawnSync(process.execPath, [bin, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8' });
  tsc = { status: r.status, out: r.stdout + r.stderr };
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README: How to add a route', () => {
  it('compiles with the repository tsconfig', () => {
    const errors = tsc.out.split('\n').filter((line) => /error TS/.test(line));
    expect(
      errors.filter((line) => line.includes('snippet.ts')),
      tsc.out,
    ).toEqual([]);
  });

  it('the compile check can fail: a code missing from the catalogue is a type error', () => {
    expect(tsc.status).not.toBe(0);
    expect(tsc.out).toMatch(/broken\.ts\(\d+,\d+\): error TS\d+: .*ORGANISATION_NOT_FOUND/);
  });

  it('documents what the README says one declaration derives', async () => {
    const mod = await import(join(dir, 'snippet.ts'));
    const doc = mod.summaryRoutes.getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '1' } });
    const op = doc.paths['/api/organizations/{id}/summary'].get;
    expect(op.operationId).toBe('getOrganizationSummary');
    expect(op.security).toEqual([{ sessionCookie: [] }]);
    expect(Object.keys(op.responses).sort()).toEqual(['200', '400', '401', '404', '405', '429', '500', '503']);
    const codes = (status: string) =>
      op.responses[status].content['application/json'].schema.properties.error.properties.code.allOf[1].enum;
    expect(codes('404')).toEqual(['ORGANIZATION_NOT_FOUND']);
    expect(codes('401')).toContain('AUTHENTICATION_REQUIRED');
    expect(codes('429')).toEqual(['RATE_LIMITED']);
    expect(Object.keys(op.responses['429'].headers)).toEqual(
      expect.arrayContaining(['Retry-After', 'X-RateLimit-Limit', 'x-request-id']),
    );
    expect(op.responses['200'].headers).toHaveProperty('x-request-id');
  });
});
