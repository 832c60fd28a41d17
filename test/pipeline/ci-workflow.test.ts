/**
 * The GitHub workflow, checked the way CI checks it: `.ci/run workflows` (action-validator) in a clone, passing on the
 * committed file and failing on a broken one; and the workflow is a caller of .ci/run, not a second copy of its steps.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cloneRepository, REPO_ROOT, type RepoClone } from './repo-clone';

const WORKFLOW = '.github/workflows/ci.yml';

type Step = { name?: string; run?: string; uses?: string; if?: string; with?: Record<string, unknown> };
type Workflow = {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<
    string,
    {
      container: { image: string };
      services: Record<string, { image: string; env?: Record<string, string> }>;
      env: Record<string, string>;
      steps: Step[];
    }
  >;
};

describe('.ci/run workflows (action-validator)', () => {
  let repo: RepoClone;
  beforeAll(() => {
    repo = cloneRepository();
  });
  afterAll(() => repo?.remove());

  it('passes on the committed workflow and fails on a broken one, naming the error', () => {
    const ok = repo.run('bash', ['.ci/run', 'workflows']);
    expect(ok.status, ok.output).toBe(0);
    expect(ok.output).toContain(`• ${WORKFLOW}`);
    expect(ok.output).toMatch(/workflows \(action-validator\): ok/);

    const file = join(repo.dir, WORKFLOW);
    writeFileSync(file, readFileSync(file, 'utf8').replace('runs-on:', 'runs_on:'));
    const broken = repo.run('bash', ['.ci/run', 'workflows']);
    expect(broken.status).not.toBe(0);
    expect(broken.output).toContain("Additional property 'runs_on' is not allowed");
    expect(broken.output).toMatch(/workflows \(action-validator\): FAILED/);
  });
});

describe('the CI workflow runs .ci/run', () => {
  const wf = parse(readFileSync(join(REPO_ROOT, WORKFLOW), 'utf8')) as Workflow;
  const job = Object.values(wf.jobs)[0] as Workflow['jobs'][string];

  it('on pull requests and main, on the development platform, with PostgreSQL as a service', () => {
    expect(Object.keys(wf.on)).toEqual(expect.arrayContaining(['pull_request', 'push']));
    expect(wf.on.push).toEqual({ branches: ['main'] });
    expect(job.container.image).toBe('node:20-bookworm');
    expect(job.services.postgres?.image).toBe('postgres:15');
    expect(job.env.CI_POSTGRES_SERVICE).toBe('postgres:5432');
    expect(job.env.CI_BASE_REF).toContain('github.event.pull_request.base.sha');
  });

  it('calls .ci/run once and repeats none of its steps', () => {
    const runs = job.steps.filter((s) => s.run).map((s) => s.run as string);
    expect(runs.filter((r) => r.includes('.ci/run'))).toEqual(['bash .ci/run']);
    for (const r of runs) expect(r).not.toMatch(/npm (ci|test|run (lint|typecheck|contract|deploy|db:))/);
  });

  it('publishes the contract report to the job summary and one pull-request comment, updated in place', () => {
    const summary = job.steps.find((s) => s.run?.includes('GITHUB_STEP_SUMMARY'));
    expect(summary?.if).toBe('always()');
    expect(summary?.run).toContain('"$CI_CONTRACT_REPORT"');
    const comment = job.steps.find((s) => s.uses?.startsWith('actions/github-script@'));
    expect(comment?.if).toContain("github.event_name == 'pull_request'");
    const script = String(comment?.with?.script);
    expect(script).toContain('process.env.CI_CONTRACT_REPORT');
    expect(script).toContain('updateComment');
    expect(script).toContain('createComment');
    expect(wf.permissions['pull-requests']).toBe('write');
  });
});
