/** Runs the tools of the contract pipeline (Redocly CLI, openapi-typescript) with quiet, offline settings. */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The Redocly CLI entry point of the installed @redocly/cli (no npx lookup, works from any cwd). */
export const REDOCLY_CLI = join(dirname(require.resolve('@redocly/cli/package.json')), 'bin/cli.js');

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Redocly prints a boxed "Node.js 20 support is ending" notice on every run; it is noise here. */
export function stripRedoclyNoise(text: string) {
  return text
    .split('\n')
    .filter((line) => !/[║╔╚]/.test(line))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

export function runRedocly(args: string[], options: { cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [REDOCLY_CLI, ...args], {
      cwd: options.cwd,
      env: {
        ...process.env,
        REDOCLY_TELEMETRY: 'off',
        REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
        NO_COLOR: '1',
        FORCE_COLOR: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? 1, stdout, stderr }));
  });
}
