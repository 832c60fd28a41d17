import { defineConfig } from 'tsup';

/**
 * The published build: ESM (dist/index.js) and CommonJS (dist/index.cjs) with their type declarations, the
 * generated contract types and route map bundled in; openapi-fetch stays a dependency. Runtime-neutral: no Node
 * built-ins, so the same files run in Node, browsers, Web Workers and the Workers runtime.
 */
export default defineConfig({
  entry: { index: 'src/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  tsconfig: 'tsconfig.build.json',
  platform: 'neutral',
  target: 'es2022',
  sourcemap: true,
  clean: true,
  treeshake: true,
  external: ['openapi-fetch'],
});
