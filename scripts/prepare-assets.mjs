// Copies the self-hosted Scalar bundle into assets/ (git-ignored), the static
// assets directory every worker serves /docs/scalar.js from. Runs on npm install.
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkgDir = join(root, 'node_modules/@scalar/api-reference');
mkdirSync(join(root, 'assets/docs'), { recursive: true });
copyFileSync(join(pkgDir, 'dist/browser/standalone.js'), join(root, 'assets/docs/scalar.js'));
console.log('assets/docs/scalar.js ready');
