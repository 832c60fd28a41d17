/**
 * Who may write content and media: every actor × every write operation × {organization, personal} item.
 *
 * Organization items are managed by the organization's current owners and admins, whoever created them; personal
 * items by their creator only; anonymous callers get 401. Every item below is created by B, an admin of the
 * organization at the time, who is then removed from it — so the organization's items show that creating an item
 * gives no lasting control, and B's personal items show that personal content stays its creator's.
 *
 * Each case asserts the status, the error code and the database effect: on a refusal the row is exactly as
 * before, on a success it changed. Runs on PGlite, or on PostgreSQL with DATABASE_URL.
 */
import { content, mediaItems } from '@codex/database';
import type { LocalPlatform } from '@codex/local';
import { startLocalPlatform } from '@codex/local';
import authApp from '@codex/worker-auth';
import identityApp from '@codex/worker-identity-api';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import contentApp from '../src/index';
import { api, json, registerUser, type TestUser, uid } from './helpers';

const ACTORS = ['owner', 'admin', 'member', 'removed admin', 'demoted admin', 'outsider', 'anonymous'] as const;
type Actor = (typeof ACTORS)[number];
const SCOPES = ['organization', 'personal'] as const;
type Scope = (typeof SCOPES)[number];

/** Who succeeds: organization items, current owners and admins; personal items, their creator (B, the removed admin). */
function allowed(actor: Actor, scope: Scope) {
  return scope === 'organization' ? actor === 'owner' || actor === 'admin' : actor === 'removed admin';
}

/** Creating: under the organization, its owners and admins; personal items, any signed-in user (for themselves). */
function mayCreate(actor: Actor, scope: Scope) {
  return scope === 'organization' ? actor === 'owner' || actor === 'admin' : actor !== 'anonymous';
}

let platform: LocalPlatform;
let h: ReturnType<typeof api>;
let orgId: string;
const users = {} as Record<Exclude<Actor, 'anonymous'>, TestUser>;
const as = (actor: Actor) => (actor === 'anonymous' ? undefined : users[actor]);

type Fixture = { id: string };
/** Items prepared per case before B is removed: key `${op}/${scope}/${actor}`. */
const fixtures = new Map<string, Fixture>();
const key = (op: string, scope: Scope, actor: Actor) => `${op}/${scope}/${actor}`;

const contentRow = async (id: string) => (await platform.db.select().from(content).where(eq(content.id, id)))[0];
const mediaRow = async (id: string) => (await platform.db.select().from(mediaItems).where(eq(mediaItems.id, id)))[0];

beforeAll(async () => {
  platform = await startLocalPlatform({
    apps: { auth: authApp, 'identity-api': identityApp, 'content-api': contentApp },
    // B prepares a few hundred items; the per-user API limit is not what this suite is about.
    vars: { LOG_LEVEL: 'silent', EMAIL_TRANSPORT: 'memory', ENVIRONMENT: 'test', RATE_LIMITS: 'api=100000/60' },
  });
  h = api(platform);
  for (const actor of ACTORS) if (actor !== 'anonymous') users[actor] = await registerUser(platform, { name: actor });
  const b = users['removed admin'];
  orgId = (await h.createOrg(users.owner)).id;
  await h.addMember(orgId, users.owner, users.admin, 'admin');
  await h.addMember(orgId, users.owner, users.member, 'member');
  await h.addMember(orgId, users.owner, b, 'admin');
  await h.addMember(orgId, users.owner, users['demoted admin'], 'admin');

  for (const scope of SCOPES) {
    const fields = scope === 'organization' ? { organizationId: orgId } : {};
    for (const actor of ACTORS) {
      for (const op of ['update', 'unpublish', 'delete'])
        fixtures.set(key(op, scope, actor), await h.publishedContent(b, fields));
      // A draft with ready media, so a manager's publish succeeds.
      const media = await h.readyMedia(b, fields);
      fixtures.set(key('publish', scope, actor), await h.createContent(b, { ...fields, mediaItemId: media.id }));
      fixtures.set(key('updateMedia', scope, actor), (await h.createMedia(b, fields)).media);
    }
  }

  // B is removed, the demoted admin becomes a plain member.
  const removed = await h.identity(`/api/organizations/${orgId}/members/${b.id}`, 'DELETE', undefined, users.owner);
  expect(removed.status).toBe(204);
  const demoted = await h.identity(
    `/api/organizations/${orgId}/members/${users['demoted admin'].id}`,
    'PATCH',
    { role: 'member' },
    users.owner,
  );
  expect(demoted.status).toBe(200);
}, 600_000);

afterAll(async () => {
  await platform?.close();
});

/** The refusal of a published item to someone who can see it but does not manage it. */
const notManager = (scope: Scope) =>
  scope === 'organization'
    ? { status: 403, code: 'ORGANIZATION_ROLE_REQUIRED' }
    : { status: 403, code: 'NOT_CONTENT_OWNER' };
const unauthenticated = { status: 401, code: 'AUTHENTICATION_REQUIRED' };

async function expectRefused(res: Response, expected: { status: number; code: string }) {
  const text = await res.text();
  expect(res.status, text).toBe(expected.status);
  expect(JSON.parse(text)).toMatchObject({ error: { code: expected.code } });
}

const cases = SCOPES.flatMap((scope) => ACTORS.map((actor) => ({ scope, actor, allowed: allowed(actor, scope) })));
const createCases = SCOPES.flatMap((scope) =>
  ACTORS.map((actor) => ({ scope, actor, allowed: mayCreate(actor, scope) })),
);

describe('PATCH /api/content/{id} (published)', () => {
  it.each(cases)('$scope content, $actor → allowed: $allowed', async ({ scope, actor, allowed }) => {
    const { id } = fixtures.get(key('update', scope, actor)) as Fixture;
    const before = await contentRow(id);
    const res = await h.call(`/api/content/${id}`, 'PATCH', { title: `Changed by ${actor}` }, as(actor));
    if (allowed) {
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await json(res)).toMatchObject({ id, title: `Changed by ${actor}` });
      expect((await contentRow(id))?.title).toBe(`Changed by ${actor}`);
    } else {
      await expectRefused(res, actor === 'anonymous' ? unauthenticated : notManager(scope));
      expect(await contentRow(id)).toEqual(before);
    }
  });
});

describe('POST /api/content/{id}/publish (draft)', () => {
  it.each(cases)('$scope content, $actor → allowed: $allowed', async ({ scope, actor, allowed }) => {
    const { id } = fixtures.get(key('publish', scope, actor)) as Fixture;
    const before = await contentRow(id);
    expect(before?.status).toBe('draft');
    const res = await h.call(`/api/content/${id}/publish`, 'POST', undefined, as(actor));
    if (allowed) {
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await json(res)).toMatchObject({ id, status: 'published' });
      expect((await contentRow(id))?.status).toBe('published');
    } else {
      // A draft is visible to its managers only: for anyone else it does not exist.
      await expectRefused(res, actor === 'anonymous' ? unauthenticated : { status: 404, code: 'CONTENT_NOT_FOUND' });
      expect(await contentRow(id)).toEqual(before);
    }
  });
});

describe('POST /api/content/{id}/unpublish (published)', () => {
  it.each(cases)('$scope content, $actor → allowed: $allowed', async ({ scope, actor, allowed }) => {
    const { id } = fixtures.get(key('unpublish', scope, actor)) as Fixture;
    const before = await contentRow(id);
    const res = await h.call(`/api/content/${id}/unpublish`, 'POST', undefined, as(actor));
    if (allowed) {
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await json(res)).toMatchObject({ id, status: 'draft', publishedAt: null });
      expect((await contentRow(id))?.status).toBe('draft');
    } else {
      await expectRefused(res, actor === 'anonymous' ? unauthenticated : notManager(scope));
      expect(await contentRow(id)).toEqual(before);
    }
  });
});

describe('DELETE /api/content/{id} (published)', () => {
  it.each(cases)('$scope content, $actor → allowed: $allowed', async ({ scope, actor, allowed }) => {
    const { id } = fixtures.get(key('delete', scope, actor)) as Fixture;
    const before = await contentRow(id);
    const res = await h.call(`/api/content/${id}`, 'DELETE', undefined, as(actor));
    if (allowed) {
      expect(res.status, await res.clone().text()).toBe(204);
      expect((await contentRow(id))?.deletedAt).toBeInstanceOf(Date);
    } else {
      await expectRefused(res, actor === 'anonymous' ? unauthenticated : notManager(scope));
      expect(await contentRow(id)).toEqual(before);
    }
  });
});

describe('POST /api/content', () => {
  it.each(createCases)('$scope content, $actor → allowed: $allowed', async ({ scope, actor, allowed }) => {
    const slug = `m-${uid()}`;
    const fields = scope === 'organization' ? { organizationId: orgId } : {};
    const res = await h.call(
      '/api/content',
      'POST',
      { title: 'New', slug, contentType: 'video', ...fields },
      as(actor),
    );
    const rows = await platform.db.select().from(content).where(eq(content.slug, slug));
    if (allowed) {
      expect(res.status, await res.clone().text()).toBe(201);
      expect(await json(res)).toMatchObject({ slug, status: 'draft', organizationId: fields.organizationId ?? null });
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ creatorId: users[actor as Exclude<Actor, 'anonymous'>].id });
    } else {
      await expectRefused(
        res,
        actor === 'anonymous' ? unauthenticated : { status: 403, code: 'ORGANIZATION_ROLE_REQUIRED' },
      );
      expect(rows).toHaveLength(0);
    }
  });
});

describe('POST /api/media', () => {
  it.each(createCases)('$scope media, $actor → allowed: $allowed', async ({ scope, actor, allowed }) => {
    const title = `Clip ${uid()}`;
    const fields = scope === 'organization' ? { organizationId: orgId } : {};
    const res = await h.call(
      '/api/media',
      'POST',
      { title, mediaType: 'video', mimeType: 'video/mp4', fileSizeBytes: 1000, ...fields },
      as(actor),
    );
    const rows = await platform.db.select().from(mediaItems).where(eq(mediaItems.title, title));
    if (allowed) {
      expect(res.status, await res.clone().text()).toBe(201);
      const body = await json(res);
      expect(body.media).toMatchObject({ title, status: 'uploading', organizationId: fields.organizationId ?? null });
      expect(body.upload.url).toContain('signature=');
      expect(rows).toHaveLength(1);
    } else {
      await expectRefused(
        res,
        actor === 'anonymous' ? unauthenticated : { status: 403, code: 'ORGANIZATION_ROLE_REQUIRED' },
      );
      expect(rows).toHaveLength(0);
    }
  });
});

describe('PATCH /api/media/{id}', () => {
  it.each(cases)('$scope media, $actor → allowed: $allowed', async ({ scope, actor, allowed }) => {
    const { id } = fixtures.get(key('updateMedia', scope, actor)) as Fixture;
    const before = await mediaRow(id);
    const res = await h.call(`/api/media/${id}`, 'PATCH', { title: `Renamed by ${actor}` }, as(actor));
    if (allowed) {
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await json(res)).toMatchObject({ id, title: `Renamed by ${actor}` });
      expect((await mediaRow(id))?.title).toBe(`Renamed by ${actor}`);
    } else {
      // Media is visible to its managers only: for anyone else it does not exist.
      await expectRefused(res, actor === 'anonymous' ? unauthenticated : { status: 404, code: 'MEDIA_NOT_FOUND' });
      expect(await mediaRow(id)).toEqual(before);
    }
  });
});
