/**
 * The strict full-flow program (examples/full-flow) must compile as CI compiles it — its own tsconfig with strict,
 * noUncheckedIndexedAccess and exactOptionalPropertyTypes (`npm run typecheck` runs it) — and must hold no cast:
 * no `as`, no `<T>x`, no non-null `!`, no `any`, no @ts-ignore/@ts-expect-error. The scanner is checked against a
 * snippet with each of them, so a scanner that finds nothing cannot pass.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const EXAMPLE = join(ROOT, 'examples/full-flow');

/** Every cast-like construct in a TypeScript source, as "line: text". */
export function castsIn(fileName: string, source: string): string[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const at = (node: ts.Node, what: string) =>
    found.push(
      `${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${what} ${node.getText().slice(0, 60)}`,
    );
  const visit = (node: ts.Node) => {
    if (ts.isAsExpression(node)) at(node, 'as');
    else if (ts.isTypeAssertionExpression(node)) at(node, '<T>');
    else if (ts.isNonNullExpression(node)) at(node, 'non-null !');
    else if (node.kind === ts.SyntaxKind.AnyKeyword) at(node, 'any');
    ts.forEachChild(node, visit);
  };
  visit(file);
  source.split('\n').forEach((line, i) => {
    if (/@ts-(ignore|expect-error|nocheck)/.test(line)) found.push(`${i + 1}: ts directive ${line.trim()}`);
  });
  return found;
}

describe('the strict full-flow program', () => {
  it('holds no cast', () => {
    const files = readdirSync(EXAMPLE).filter((f) => f.endsWith('.ts'));
    expect(files).toEqual(expect.arrayContaining(['flow.ts', 'main.ts']));
    for (const f of files) expect(castsIn(f, readFileSync(join(EXAMPLE, f), 'utf8')), f).toEqual([]);
  });

  it('the scanner finds each kind of cast', () => {
    const bad = [
      'const a = x as string;',
      'const b = <number>y;',
      'const c = z!.length;',
      'let d: any;',
      '// @ts-expect-error',
      'const e = f;',
    ].join('\n');
    expect(castsIn('bad.ts', bad).map((l) => l.split(' ')[1])).toEqual(['as', '<T>', 'non-null', 'any', 'ts']);
  });

  it('compiles with its own strict tsconfig, as `npm run typecheck` runs it', () => {
    const config = JSON.parse(readFileSync(join(EXAMPLE, 'tsconfig.json'), 'utf8')).compilerOptions;
    expect(config).toMatchObject({ strict: true, noUncheckedIndexedAccess: true, exactOptionalPropertyTypes: true });
    const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
    expect(scripts.typecheck).toContain('tsc -p examples/full-flow/tsconfig.json');
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', EXAMPLE], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(`${tsc.stdout}${tsc.stderr}`).toBe('');
    expect(tsc.status).toBe(0);
  });
});
