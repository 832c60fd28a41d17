/**
 * The architecture's boundaries (.dependency-cruiser.cjs) are a CI step (`npm run lint:deps`): checked here the way
 * CI runs it — in a clone of the repository, with its own config, through the npm script — passing on the code as it
 * stands and failing, naming the rule, on each kind of edge the architecture forbids.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloneRepository, type RepoClone } from './repo-clone';

let clone: RepoClone;

beforeAll(() => {
  clone = cloneRepository();
}, 120_000);

afterAll(() => clone?.remove());

const lintDeps = () => clone.run('npm', ['run', '--silent', 'lint:deps']);

describe('npm run lint:deps (in a clone, as CI runs it)', () => {
  it('passes on the repository as committed', () => {
    const r = lintDeps();
    expect(r.status, r.output).toBe(0);
    expect(r.output).toContain('no dependency violations found');
  }, 120_000);

  it('fails on each forbidden edge, naming the rule and the files', () => {
    const add = (file: string, line: string) => appendFileSync(join(clone.dir, file), `\n${line}\n`);
    // A service that knows HTTP.
    add('packages/content/src/media.ts', "export { Hono as NotAllowedHere } from 'hono';");
    // A worker importing another worker.
    add('workers/identity-api/src/env.ts', "export { app as otherWorker } from '@codex/worker-auth';");
    // A script reaching into a worker's private module.
    mkdirSync(join(clone.dir, 'scripts/probe'), { recursive: true });
    writeFileSync(
      join(clone.dir, 'scripts/probe/private.ts'),
      "export { signingSecret } from '../../workers/content-api/src/env';\n",
    );
    // The toolkit depending on a service.
    add('packages/worker-kit/src/db.ts', "export { ContentService as NotAllowedEither } from '@codex/content';");
    // A package using a dependency its package.json does not declare.
    add('packages/organizations/src/membership.ts', "export { default as undeclared } from 'stripe';");

    const r = lintDeps();
    expect(r.status).not.toBe(0);
    for (const expected of [
      'services-speak-the-domain: packages/content/src/media.ts',
      'no-worker-to-worker: workers/identity-api/src/env.ts',
      'no-private-worker-modules: scripts/probe/private.ts',
      'toolkit-knows-no-service: packages/worker-kit/src/db.ts',
      'declared-dependencies: packages/organizations/src/membership.ts',
    ]) {
      expect(r.output, expected).toContain(expected);
    }
  }, 120_000);
});
