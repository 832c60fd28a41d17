/**
 * The layout the README's "Layout" section promises, checked: a route file's tests are found from its name
 * (workers/<w>/src/routes/<resource>.ts → workers/<w>/test/<resource>.test.ts), and every route file declares its
 * routes with defineRoute (one way to write a route group).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './repo-clone';

const workers = readdirSync(join(REPO_ROOT, 'workers'));
const routeFiles = workers.flatMap((w) => {
  const dir = join(REPO_ROOT, 'workers', w, 'src/routes');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ worker: w, name: f.replace(/\.ts$/, ''), text: readFileSync(join(dir, f), 'utf8') }));
});
/** Files of a routes folder that declare routes (the others are helpers of the routes: shared.ts, signed-url.ts). */
const declaring = routeFiles.filter((f) => /\bdefineRoute\(/.test(f.text));

describe('layout', () => {
  it('finds the route files of all four workers', () => {
    expect(new Set(declaring.map((f) => f.worker))).toEqual(
      new Set(['auth', 'content-api', 'identity-api', 'ecom-api']),
    );
    expect(declaring.length).toBeGreaterThanOrEqual(10);
  });

  it.each(declaring.map((f) => [`workers/${f.worker}/src/routes/${f.name}.ts`, f] as const))(
    '%s has its tests beside it in name',
    (_file, f) => {
      expect(existsSync(join(REPO_ROOT, 'workers', f.worker, 'test', `${f.name}.test.ts`))).toBe(true);
    },
  );

  it('route groups are written one way: routeGroup() and defineRoute, no createRoute or hand-built OpenAPIHono', () => {
    for (const f of routeFiles) {
      expect(f.text, `workers/${f.worker}/src/routes/${f.name}.ts`).not.toMatch(/\bcreateRoute\(|new OpenAPIHono\(/);
    }
  });
});
