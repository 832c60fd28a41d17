import { organizationMembers, organizations } from '@codex/database';
import { json, type LocalPlatform, registerUser, type TestUser } from '@codex/local';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { callAs, createOrganization, slugFor, startIdentity } from './helpers';

let platform: LocalPlatform;
let owner: TestUser;
let other: TestUser;

beforeAll(async () => {
  ({ platform, owner, other } = await startIdentity());
});
afterAll(() => platform?.close());

const call = (path: string, method = 'GET', body?: unknown, user?: TestUser) =>
  callAs(platform, path, method, body, user);
const createOrg = (user: TestUser, fields: Record<string, unknown> = {}) => createOrganization(platform, user, fields);

describe('create', () => {
  it('creates the organization and makes the caller its owner in one go', async () => {
    const slug = slugFor('studio');
    const res = await call(
      '/api/organizations',
      'POST',
      { name: 'Studio', slug, description: 'Films', websiteUrl: 'https://studio.example' },
      owner,
    );
    expect(res.status).toBe(201);
    const body = await json(res);
    expect(body).toMatchObject({
      name: 'Studio',
      slug,
      description: 'Films',
      websiteUrl: 'https://studio.example',
      logoUrl: null,
      myRole: 'owner',
    });
    const members = await platform.db
      .select()
      .from(organizationMembers)
      .where(eq(organizationMembers.organizationId, body.id));
    expect(members).toEqual([expect.objectContaining({ userId: owner.id, role: 'owner' })]);
  });

  it('refuses a taken slug with 409 and writes nothing', async () => {
    const org = await createOrg(owner);
    const res = await call('/api/organizations', 'POST', { name: 'Copy', slug: org.slug }, other);
    expect(res.status).toBe(409);
    expect((await json(res)).error.code).toBe('SLUG_TAKEN');
    const rows = await platform.db.select().from(organizations).where(eq(organizations.slug, org.slug));
    expect(rows).toHaveLength(1);
    const otherMemberships = await platform.db
      .select()
      .from(organizationMembers)
      .where(eq(organizationMembers.userId, other.id));
    expect(otherMemberships).toHaveLength(0);
  });

  it.each([
    ['uppercase', { slug: 'Acme' }],
    ['double hyphen', { slug: 'acme--studio' }],
    ['leading hyphen', { slug: '-acme' }],
    ['trailing hyphen', { slug: 'acme-' }],
    ['too short', { slug: 'ab' }],
    ['too long', { slug: 'a'.repeat(65) }],
    ['reserved', { slug: 'admin' }],
    ['empty name', { name: '' }],
    ['long name', { name: 'x'.repeat(256) }],
    ['long description', { description: 'x'.repeat(5001) }],
    ['javascript: logo', { logoUrl: 'javascript:alert(1)' }],
    ['ftp website', { websiteUrl: 'ftp://example.com' }],
    ['server-owned creatorId', { creatorId: '00000000-0000-4000-8000-000000000000' }],
    ['server-owned id', { id: '00000000-0000-4000-8000-000000000000' }],
  ])('refuses %s with 400 naming the field', async (_label, fields) => {
    const slug = slugFor('valid');
    const res = await call('/api/organizations', 'POST', { name: 'Valid', slug, ...fields }, owner);
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.error.code).toBe('VALIDATION_ERROR');
    expect(JSON.stringify(body.error.details)).toContain(Object.keys(fields)[0]);
    const rows = await platform.db.select().from(organizations).where(eq(organizations.creatorId, owner.id));
    expect(rows.map((r) => r.slug)).not.toContain((fields as { slug?: string }).slug ?? slug);
  });

  it('needs a session', async () => {
    const res = await call('/api/organizations', 'POST', { name: 'Anon', slug: slugFor('anon') });
    expect(res.status).toBe(401);
  });
});

describe('read', () => {
  it('shows the public profile to anyone and the role to members', async () => {
    const org = await createOrg(owner, { description: 'About us' });
    const anon = await call(`/api/organizations/${org.id}`);
    expect(anon.status).toBe(200);
    const anonBody = await json(anon);
    expect(anonBody).toMatchObject({ id: org.id, slug: org.slug, description: 'About us', myRole: null });
    expect(Object.keys(anonBody).sort()).toEqual(
      ['createdAt', 'description', 'id', 'logoUrl', 'myRole', 'name', 'slug', 'updatedAt', 'websiteUrl'].sort(),
    );
    const bySlug = await call(`/api/organizations/slug/${org.slug}`, 'GET', undefined, owner);
    expect(bySlug.status).toBe(200);
    expect(await json(bySlug)).toMatchObject({ id: org.id, myRole: 'owner' });
    const asOther = await call(`/api/organizations/${org.id}`, 'GET', undefined, other);
    expect((await json(asOther)).myRole).toBeNull();
  });

  it('404s an unknown id or slug and 400s a malformed id', async () => {
    expect((await call('/api/organizations/6f1c1c1e-7a0a-4c3b-9a55-1b7f3a1e0b11')).status).toBe(404);
    expect((await call('/api/organizations/slug/no-such-org-here')).status).toBe(404);
    const bad = await call('/api/organizations/not-a-uuid');
    expect(bad.status).toBe(400);
    expect((await json(bad)).error.details[0].field).toBe('id');
  });

  it('check-slug reports taken, reserved, invalid and free slugs', async () => {
    const org = await createOrg(owner);
    const check = async (slug: string) => json(await call(`/api/organizations/check-slug/${slug}`));
    expect(await check(org.slug)).toEqual({ slug: org.slug, available: false, reason: 'taken' });
    expect(await check('admin')).toEqual({ slug: 'admin', available: false, reason: 'reserved' });
    expect(await check('Bad--Slug')).toEqual({ slug: 'Bad--Slug', available: false, reason: 'invalid' });
    const free = slugFor('free');
    expect(await check(free)).toEqual({ slug: free, available: true, reason: null });
  });
});

describe('update and delete', () => {
  it('changes only the fields sent, for owners', async () => {
    const org = await createOrg(owner, { description: 'Keep me', websiteUrl: 'https://keep.example' });
    const res = await call(`/api/organizations/${org.id}`, 'PATCH', { name: 'Renamed' }, owner);
    expect(res.status).toBe(200);
    expect(await json(res)).toMatchObject({
      name: 'Renamed',
      description: 'Keep me',
      websiteUrl: 'https://keep.example',
      slug: org.slug,
    });
    const [row] = await platform.db.select().from(organizations).where(eq(organizations.id, org.id));
    expect(row).toMatchObject({ name: 'Renamed', description: 'Keep me', slug: org.slug });
  });

  it('refuses another user, anonymous callers, a taken slug and an empty patch', async () => {
    const org = await createOrg(owner);
    const taken = await createOrg(owner);
    expect((await call(`/api/organizations/${org.id}`, 'PATCH', { name: 'Hijack' }, other)).status).toBe(403);
    expect((await call(`/api/organizations/${org.id}`, 'PATCH', { name: 'Hijack' })).status).toBe(401);
    expect((await call(`/api/organizations/${org.id}`, 'PATCH', { slug: taken.slug }, owner)).status).toBe(409);
    expect((await call(`/api/organizations/${org.id}`, 'PATCH', {}, owner)).status).toBe(400);
    expect((await call(`/api/organizations/${org.id}`, 'DELETE', undefined, other)).status).toBe(403);
    const [row] = await platform.db.select().from(organizations).where(eq(organizations.id, org.id));
    expect(row).toMatchObject({ name: 'Acme Studio', slug: org.slug, deletedAt: null });
  });

  it('soft-deletes for the owner and frees the slug', async () => {
    const org = await createOrg(owner);
    const res = await call(`/api/organizations/${org.id}`, 'DELETE', undefined, owner);
    expect(res.status).toBe(204);
    const [row] = await platform.db.select().from(organizations).where(eq(organizations.id, org.id));
    expect(row?.deletedAt).toBeInstanceOf(Date);
    expect((await call(`/api/organizations/${org.id}`)).status).toBe(404);
    expect((await call(`/api/organizations/${org.id}`, 'DELETE', undefined, owner)).status).toBe(404);
    const again = await call('/api/organizations', 'POST', { name: 'Reborn', slug: org.slug }, other);
    expect(again.status).toBe(201);
  });

  it('lets an admin update but not delete', async () => {
    const org = await createOrg(owner);
    const admin = await registerUser(platform);
    expect(
      (await call(`/api/organizations/${org.id}/members`, 'POST', { userId: admin.id, role: 'admin' }, owner)).status,
    ).toBe(201);
    expect((await call(`/api/organizations/${org.id}`, 'PATCH', { description: 'by admin' }, admin)).status).toBe(200);
    expect((await call(`/api/organizations/${org.id}`, 'DELETE', undefined, admin)).status).toBe(403);
  });
});

describe('list', () => {
  it('paginates, searches, filters to my organizations and sorts', async () => {
    const me = await registerUser(platform);
    const tag = Math.random().toString(36).slice(2, 8);
    for (const n of ['b', 'a', 'c']) await createOrg(me, { name: `Zeta ${tag} ${n}`, slug: `zeta-${tag}-${n}` });
    await createOrg(other, { name: `Zeta ${tag} other`, slug: `zeta-${tag}-other` });

    const search = await call(`/api/organizations?search=${tag}&sort=name&order=asc&limit=2`, 'GET', undefined, me);
    expect(search.status).toBe(200);
    const page1 = await json(search);
    expect(page1.pagination).toEqual({ page: 1, limit: 2, total: 4, totalPages: 2 });
    expect(page1.items.map((o: { slug: string }) => o.slug)).toEqual([`zeta-${tag}-a`, `zeta-${tag}-b`]);

    const mine = await json(
      await call(`/api/organizations?scope=owned&search=${tag}&sort=slug&order=desc`, 'GET', undefined, me),
    );
    expect(mine.items.map((o: { slug: string }) => o.slug)).toEqual([
      `zeta-${tag}-c`,
      `zeta-${tag}-b`,
      `zeta-${tag}-a`,
    ]);
    expect(mine.items.every((o: { myRole: string }) => o.myRole === 'owner')).toBe(true);

    expect((await call('/api/organizations?scope=member')).status).toBe(401);
    expect((await call('/api/organizations?limit=101')).status).toBe(400);
    expect((await call('/api/organizations?sort=password')).status).toBe(400);
    // Unknown query parameters are ignored (the contract's stated policy).
    expect((await call('/api/organizations?utm_source=newsletter')).status).toBe(200);
  });

  it('treats LIKE wildcards in search literally', async () => {
    const res = await call('/api/organizations?search=%25%25%25');
    expect(res.status).toBe(200);
    expect((await json(res)).items).toEqual([]);
  });
});

describe('queries per request', () => {
  // Embedded mode only: counts the statements PGlite runs (the workers share the platform's instance). The session
  // is resolved once through the auth worker and then comes from the KV cache, so the counted calls hit no auth query.
  it.skipIf(Boolean(process.env.DATABASE_URL))('get is one query and a list two, whatever the page size', async () => {
    const me = await registerUser(platform);
    const tag = Math.random().toString(36).slice(2, 8);
    for (let i = 0; i < 6; i++) await createOrg(me, { name: `Count ${tag} ${i}`, slug: `count-${tag}-${i}` });
    const client = (platform.db as unknown as { $client: { query: (...args: unknown[]) => Promise<unknown> } }).$client;
    const spy = vi.spyOn(client, 'query');
    try {
      const org = await json(await call(`/api/organizations/slug/count-${tag}-0`, 'GET', undefined, me));
      spy.mockClear();
      expect((await call(`/api/organizations/${org.id}`, 'GET', undefined, me)).status).toBe(200);
      expect((await call(`/api/organizations/slug/${org.slug}`, 'GET', undefined, me)).status).toBe(200);
      expect(spy.mock.calls.length).toBe(2);
      const counts: number[] = [];
      const sizes: number[] = [];
      for (const limit of [1, 3, 50]) {
        spy.mockClear();
        const res = await call(`/api/organizations?scope=owned&search=${tag}&limit=${limit}`, 'GET', undefined, me);
        expect(res.status).toBe(200);
        counts.push(spy.mock.calls.length);
        sizes.push((await json(res)).items.length);
      }
      expect(sizes).toEqual([1, 3, 6]);
      expect(counts).toEqual([2, 2, 2]);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('concurrency', () => {
  // With DATABASE_URL this runs against real PostgreSQL through the production driver (CI runs both modes);
  // embedded PGlite is a single session, so there the requests serialize.
  it(`gives exactly one 201 for 20 concurrent creates of one slug (${process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite'})`, async () => {
    const slug = slugFor('race');
    const users = await Promise.all(Array.from({ length: 4 }, () => registerUser(platform)));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call('/api/organizations', 'POST', { name: `Race ${i}`, slug }, users[i % users.length]),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    const rows = await platform.db.select().from(organizations).where(eq(organizations.slug, slug));
    expect(rows).toHaveLength(1);
    const members = await platform.db
      .select()
      .from(organizationMembers)
      .where(eq(organizationMembers.organizationId, rows[0]?.id ?? ''));
    expect(members).toHaveLength(1);
  });
});
