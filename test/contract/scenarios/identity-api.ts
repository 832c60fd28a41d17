/**
 * The identity-api worker's operations: organizations and their members. Generated negatives (400/413/415,
 * 401 for protected operations, 503 with the database unreachable) come on top; the cases here cover success
 * with its database effect and every authorization outcome: anonymous, another user, member, admin, owner.
 */
import { organizationMembers, organizations } from '@codex/database';
import { and, eq } from 'drizzle-orm';
import { expect } from 'vitest';
import { type CheckedResponse, type Ctx, defineCase, defineScenarios, type TestUser } from '../harness/types';

interface Org {
  id: string;
  slug: string;
  name: string;
  myRole: string | null;
}

const errorCode = (res: CheckedResponse) => (res.body as { error: { code: string } }).error.code;
const UNKNOWN_ID = '6f1c1c1e-7a0a-4c3b-9a55-1b7f3a1e0b11';

function slug(ctx: Ctx) {
  return ctx
    .uid('org')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-')
    .slice(0, 60);
}

async function createOrg(ctx: Ctx, owner: TestUser): Promise<Org> {
  const res = await ctx.call('createOrganization', {
    body: { name: 'Contract Org', slug: slug(ctx) },
    cookie: owner.cookie,
  });
  expect(res.status).toBe(201);
  return res.body as Org;
}

async function addMember(ctx: Ctx, org: Org, owner: TestUser, user: TestUser, role = 'member') {
  const res = await ctx.call('addOrganizationMember', {
    params: { id: org.id },
    body: { userId: user.id, role },
    cookie: owner.cookie,
  });
  expect(res.status).toBe(201);
}

/** An owner with an organization, plus a member, an admin and an outsider. */
async function team(ctx: Ctx) {
  const [owner, member, admin, outsider] = await Promise.all([
    ctx.freshUser(),
    ctx.freshUser(),
    ctx.freshUser(),
    ctx.freshUser(),
  ]);
  const org = await createOrg(ctx, owner);
  await addMember(ctx, org, owner, member);
  await addMember(ctx, org, owner, admin, 'admin');
  return { owner, member, admin, outsider, org };
}

async function memberRole(ctx: Ctx, orgId: string, userId: string) {
  const [row] = await ctx.db
    .select({ role: organizationMembers.role })
    .from(organizationMembers)
    .where(and(eq(organizationMembers.organizationId, orgId), eq(organizationMembers.userId, userId)));
  return row?.role ?? null;
}

/** A 429 case for a signed-in operation: the caller's bucket is full. */
function limitedCase(request: (ctx: Ctx, s: { user: TestUser; org: Org }) => Parameters<Ctx['call']>[1]) {
  return defineCase({
    name: 'rate limited per user (100/min)',
    status: 429,
    localOnly: true,
    async setup(ctx) {
      const user = await ctx.freshUser();
      const org = await createOrg(ctx, user);
      await ctx.exhaustUserRateLimit(user.id);
      return { user, org };
    },
    request: (ctx, s) => ({ ...request(ctx, s), cookie: s.user.cookie }),
  });
}

/** A 429 case for a public operation called anonymously: the IP's bucket is full. */
function anonymousLimitedCase(request: (ctx: Ctx, org: Org) => Parameters<Ctx['call']>[1]) {
  return defineCase({
    name: 'rate limited per IP when anonymous',
    status: 429,
    localOnly: true,
    async setup(ctx) {
      const org = await createOrg(ctx, await ctx.user());
      const ip = ctx.ip();
      await ctx.exhaustRateLimits(ip);
      return { org, ip };
    },
    request: (ctx, s) => ({ ...request(ctx, s.org), headers: { 'cf-connecting-ip': s.ip } }),
  });
}

export const identityScenarios = defineScenarios({
  createOrganization: [
    defineCase({
      name: 'creates it and makes the caller its owner',
      status: 201,
      negativeBase: true,
      setup: (ctx) => ctx.user(),
      request: (ctx, user) => ({
        body: { name: 'Acme Studio', slug: slug(ctx), description: 'Films', websiteUrl: 'https://acme.example' },
        cookie: user.cookie,
      }),
      async assert(ctx, res, user) {
        expect(res.body).toMatchObject({ name: 'Acme Studio', myRole: 'owner', logoUrl: null });
        if (ctx.live) return;
        expect(await memberRole(ctx, (res.body as Org).id, user.id)).toBe('owner');
      },
    }),
    defineCase({
      name: 'a taken slug is a conflict and writes nothing',
      status: 409,
      async setup(ctx) {
        const taken = await createOrg(ctx, await ctx.user());
        return { taken, other: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({ body: { name: 'Copycat', slug: s.taken.slug }, cookie: s.other.cookie }),
      async assert(ctx, res, s) {
        expect(errorCode(res)).toBe('SLUG_TAKEN');
        if (ctx.live) return;
        expect(await ctx.db.select().from(organizations).where(eq(organizations.slug, s.taken.slug))).toHaveLength(1);
        expect(
          await ctx.db.select().from(organizationMembers).where(eq(organizationMembers.userId, s.other.id)),
        ).toEqual([]);
      },
    }),
    defineCase({
      name: 'a reserved slug is refused',
      status: 400,
      setup: (ctx) => ctx.user(),
      request: (_ctx, user) => ({ body: { name: 'Admins', slug: 'admin' }, cookie: user.cookie }),
    }),
    defineCase({
      name: 'an Idempotency-Key reused with another body → 422 IDEMPOTENCY_KEY_REUSED, nothing created',
      status: 422,
      async setup(ctx) {
        const user = await ctx.freshUser();
        const key = `idem-${ctx.uid()}`;
        const first = await ctx.call('createOrganization', {
          body: { name: 'Keyed', slug: slug(ctx) },
          headers: { 'Idempotency-Key': key },
          cookie: user.cookie,
        });
        expect(first.status).toBe(201);
        return { user, key, other: slug(ctx) };
      },
      request: (_ctx, s) => ({
        body: { name: 'Keyed', slug: s.other },
        headers: { 'Idempotency-Key': s.key },
        cookie: s.user.cookie,
      }),
      async assert(ctx, res, s) {
        expect(errorCode(res)).toBe('IDEMPOTENCY_KEY_REUSED');
        if (ctx.live) return;
        expect(await ctx.db.select().from(organizations).where(eq(organizations.slug, s.other))).toEqual([]);
      },
    }),
    limitedCase((ctx) => ({ body: { name: 'Limited', slug: slug(ctx) } })),
  ],

  listOrganizations: [
    defineCase({
      name: 'lists my organizations, paginated',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        const user = await ctx.freshUser();
        await createOrg(ctx, user);
        await createOrg(ctx, user);
        return user;
      },
      request: (_ctx, user) => ({
        query: { scope: 'owned', limit: 1, sort: 'name', order: 'asc' },
        cookie: user.cookie,
      }),
      assert(_ctx, res) {
        const body = res.body as { items: Org[]; pagination: Record<string, number> };
        expect(body.pagination).toEqual({ page: 1, limit: 1, total: 2, totalPages: 2 });
        expect(body.items[0]?.myRole).toBe('owner');
      },
    }),
    defineCase({
      name: 'anonymous callers list public profiles',
      status: 200,
      request: () => ({ query: { limit: 5 } }),
      assert(_ctx, res) {
        for (const org of (res.body as { items: Org[] }).items) expect(org.myRole).toBeNull();
      },
    }),
    defineCase({
      name: 'my organizations need a session',
      status: 401,
      request: () => ({ query: { scope: 'member' } }),
    }),
    anonymousLimitedCase(() => ({ query: {} })),
  ],

  checkOrganizationSlug: [
    defineCase({
      name: 'a free slug is available',
      status: 200,
      negativeBase: true,
      request: (ctx) => ({ params: { slug: slug(ctx) } }),
      assert: (_ctx, res) => expect(res.body).toMatchObject({ available: true, reason: null }),
    }),
    defineCase({
      name: 'a taken slug is not',
      status: 200,
      setup: async (ctx) => createOrg(ctx, await ctx.user()),
      request: (_ctx, org) => ({ params: { slug: org.slug } }),
      assert: (_ctx, res) => expect(res.body).toMatchObject({ available: false, reason: 'taken' }),
    }),
    defineCase({
      name: 'a reserved slug is not',
      status: 200,
      request: () => ({ params: { slug: 'admin' } }),
      assert: (_ctx, res) => expect(res.body).toMatchObject({ available: false, reason: 'reserved' }),
    }),
    anonymousLimitedCase((ctx) => ({ params: { slug: slug(ctx) } })),
  ],

  getOrganizationBySlug: [
    defineCase({
      name: 'the public profile, with the role of a member',
      status: 200,
      negativeBase: true,
      async setup(ctx) {
        const user = await ctx.user();
        return { user, org: await createOrg(ctx, user) };
      },
      request: (_ctx, s) => ({ params: { slug: s.org.slug }, cookie: s.user.cookie }),
      assert: (_ctx, res, s) => expect(res.body).toMatchObject({ id: s.org.id, myRole: 'owner' }),
    }),
    defineCase({ name: 'unknown slug', status: 404, request: (ctx) => ({ params: { slug: slug(ctx) } }) }),
    anonymousLimitedCase((_ctx, org) => ({ params: { slug: org.slug } })),
  ],

  getOrganization: [
    defineCase({
      name: 'anyone reads the public profile (no member data)',
      status: 200,
      negativeBase: true,
      setup: async (ctx) => createOrg(ctx, await ctx.user()),
      request: (_ctx, org) => ({ params: { id: org.id } }),
      assert(_ctx, res, org) {
        expect(res.body).toMatchObject({ id: org.id, slug: org.slug, myRole: null });
        expect(res.text).not.toContain('@');
      },
    }),
    defineCase({ name: 'unknown id', status: 404, request: () => ({ params: { id: UNKNOWN_ID } }) }),
    defineCase({
      name: 'a deleted organization is gone',
      status: 404,
      async setup(ctx) {
        const user = await ctx.user();
        const org = await createOrg(ctx, user);
        expect((await ctx.call('deleteOrganization', { params: { id: org.id }, cookie: user.cookie })).status).toBe(
          204,
        );
        return org;
      },
      request: (_ctx, org) => ({ params: { id: org.id } }),
    }),
    anonymousLimitedCase((_ctx, org) => ({ params: { id: org.id } })),
  ],

  updateOrganization: [
    defineCase({
      name: 'an admin changes only the fields sent',
      status: 200,
      negativeBase: true,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id }, body: { description: 'Edited' }, cookie: t.admin.cookie }),
      async assert(ctx, res, t) {
        expect(res.body).toMatchObject({
          description: 'Edited',
          name: 'Contract Org',
          slug: t.org.slug,
          myRole: 'admin',
        });
        if (ctx.live) return;
        const [row] = await ctx.db.select().from(organizations).where(eq(organizations.id, t.org.id));
        expect(row).toMatchObject({ description: 'Edited', name: 'Contract Org' });
      },
    }),
    defineCase({
      name: 'a plain member may not',
      status: 403,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id }, body: { name: 'Taken over' }, cookie: t.member.cookie }),
    }),
    defineCase({
      name: 'another user may not',
      status: 403,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id }, body: { name: 'Taken over' }, cookie: t.outsider.cookie }),
      async assert(ctx, _res, t) {
        if (ctx.live) return;
        const [row] = await ctx.db.select().from(organizations).where(eq(organizations.id, t.org.id));
        expect(row?.name).toBe('Contract Org');
      },
    }),
    defineCase({
      name: 'unknown organization',
      status: 404,
      setup: (ctx) => ctx.user(),
      request: (_ctx, user) => ({ params: { id: UNKNOWN_ID }, body: { name: 'x' }, cookie: user.cookie }),
    }),
    defineCase({
      name: 'a new slug that is taken',
      status: 409,
      async setup(ctx) {
        const user = await ctx.user();
        return { user, a: await createOrg(ctx, user), b: await createOrg(ctx, user) };
      },
      request: (_ctx, s) => ({ params: { id: s.a.id }, body: { slug: s.b.slug }, cookie: s.user.cookie }),
    }),
    limitedCase((_ctx, s) => ({ params: { id: s.org.id }, body: { name: 'Limited' } })),
  ],

  deleteOrganization: [
    defineCase({
      name: 'the owner soft-deletes it and the slug is free again',
      status: 204,
      negativeBase: true,
      async setup(ctx) {
        const user = await ctx.user();
        return { user, org: await createOrg(ctx, user) };
      },
      request: (_ctx, s) => ({ params: { id: s.org.id }, cookie: s.user.cookie }),
      async assert(ctx, _res, s) {
        const check = await ctx.call('checkOrganizationSlug', { params: { slug: s.org.slug } });
        expect(check.body).toMatchObject({ available: true });
        if (ctx.live) return;
        const [row] = await ctx.db.select().from(organizations).where(eq(organizations.id, s.org.id));
        expect(row?.deletedAt).toBeInstanceOf(Date);
      },
    }),
    defineCase({
      name: 'an admin may not',
      status: 403,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id }, cookie: t.admin.cookie }),
    }),
    defineCase({
      name: 'unknown organization',
      status: 404,
      setup: (ctx) => ctx.user(),
      request: (_ctx, user) => ({ params: { id: UNKNOWN_ID }, cookie: user.cookie }),
    }),
    limitedCase((_ctx, s) => ({ params: { id: s.org.id } })),
  ],

  listOrganizationMembers: [
    defineCase({
      name: 'a member sees names and roles, not emails',
      status: 200,
      negativeBase: true,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id }, query: { limit: 10 }, cookie: t.member.cookie }),
      assert(_ctx, res) {
        const body = res.body as {
          items: Array<{ email: string | null; role: string }>;
          pagination: { total: number };
        };
        expect(body.pagination.total).toBe(3);
        expect(body.items.every((m) => m.email === null)).toBe(true);
        expect(body.items.map((m) => m.role).sort()).toEqual(['admin', 'member', 'owner']);
      },
    }),
    defineCase({
      name: 'the owner sees emails',
      status: 200,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id }, cookie: t.owner.cookie }),
      assert(_ctx, res, t) {
        const emails = (res.body as { items: Array<{ email: string }> }).items.map((m) => m.email).sort();
        expect(emails).toEqual([t.owner.email, t.member.email, t.admin.email].map((e) => e.toLowerCase()).sort());
      },
    }),
    defineCase({
      name: 'another user may not list members',
      status: 403,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id }, cookie: t.outsider.cookie }),
      assert: (_ctx, res) => expect(res.text).not.toContain('@'),
    }),
    defineCase({
      name: 'unknown organization',
      status: 404,
      setup: (ctx) => ctx.user(),
      request: (_ctx, user) => ({ params: { id: UNKNOWN_ID }, cookie: user.cookie }),
    }),
    limitedCase((_ctx, s) => ({ params: { id: s.org.id } })),
  ],

  addOrganizationMember: [
    defineCase({
      name: 'the owner adds an existing user by email',
      status: 201,
      negativeBase: true,
      async setup(ctx) {
        const owner = await ctx.freshUser();
        return { owner, org: await createOrg(ctx, owner), newcomer: await ctx.freshUser() };
      },
      request: (_ctx, s) => ({
        params: { id: s.org.id },
        body: { email: s.newcomer.email, role: 'member' },
        cookie: s.owner.cookie,
      }),
      async assert(ctx, res, s) {
        expect(res.body).toMatchObject({ userId: s.newcomer.id, role: 'member' });
        if (ctx.live) return;
        expect(await memberRole(ctx, s.org.id, s.newcomer.id)).toBe('member');
      },
    }),
    defineCase({
      name: 'an admin may not grant the admin role',
      status: 403,
      async setup(ctx) {
        return { ...(await team(ctx)), newcomer: await ctx.freshUser() };
      },
      request: (_ctx, t) => ({
        params: { id: t.org.id },
        body: { userId: t.newcomer.id, role: 'admin' },
        cookie: t.admin.cookie,
      }),
      async assert(ctx, _res, t) {
        if (ctx.live) return;
        expect(await memberRole(ctx, t.org.id, t.newcomer.id)).toBeNull();
      },
    }),
    defineCase({
      name: 'another user may not add anyone (not even themself)',
      status: 403,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id }, body: { userId: t.outsider.id }, cookie: t.outsider.cookie }),
    }),
    defineCase({
      name: 'no user with that email',
      status: 404,
      async setup(ctx) {
        const owner = await ctx.user();
        return { owner, org: await createOrg(ctx, owner) };
      },
      request: (ctx, s) => ({ params: { id: s.org.id }, body: { email: ctx.email('nobody') }, cookie: s.owner.cookie }),
      assert: (_ctx, res) => expect(errorCode(res)).toBe('USER_NOT_FOUND'),
    }),
    defineCase({
      name: 'already a member',
      status: 409,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id }, body: { userId: t.member.id }, cookie: t.owner.cookie }),
    }),
    defineCase({
      name: 'an Idempotency-Key reused for another user → 422 IDEMPOTENCY_KEY_REUSED, not added',
      status: 422,
      async setup(ctx) {
        const owner = await ctx.freshUser();
        const org = await createOrg(ctx, owner);
        const [first, second] = [await ctx.freshUser(), await ctx.freshUser()];
        const key = `idem-${ctx.uid()}`;
        const added = await ctx.call('addOrganizationMember', {
          params: { id: org.id },
          body: { userId: first.id },
          headers: { 'Idempotency-Key': key },
          cookie: owner.cookie,
        });
        expect(added.status).toBe(201);
        return { owner, org, second, key };
      },
      request: (_ctx, s) => ({
        params: { id: s.org.id },
        body: { userId: s.second.id },
        headers: { 'Idempotency-Key': s.key },
        cookie: s.owner.cookie,
      }),
      async assert(ctx, res, s) {
        expect(errorCode(res)).toBe('IDEMPOTENCY_KEY_REUSED');
        if (ctx.live) return;
        expect(await memberRole(ctx, s.org.id, s.second.id)).toBeNull();
      },
    }),
    limitedCase((_ctx, s) => ({ params: { id: s.org.id }, body: { userId: UNKNOWN_ID } })),
  ],

  updateOrganizationMember: [
    defineCase({
      name: 'the owner promotes a member to admin',
      status: 200,
      negativeBase: true,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({
        params: { id: t.org.id, userId: t.member.id },
        body: { role: 'admin' },
        cookie: t.owner.cookie,
      }),
      async assert(ctx, res, t) {
        expect(res.body).toMatchObject({ userId: t.member.id, role: 'admin' });
        if (ctx.live) return;
        expect(await memberRole(ctx, t.org.id, t.member.id)).toBe('admin');
      },
    }),
    defineCase({
      name: 'an admin may not change roles',
      status: 403,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({
        params: { id: t.org.id, userId: t.member.id },
        body: { role: 'owner' },
        cookie: t.admin.cookie,
      }),
      async assert(ctx, _res, t) {
        if (ctx.live) return;
        expect(await memberRole(ctx, t.org.id, t.member.id)).toBe('member');
      },
    }),
    defineCase({
      name: 'not a member',
      status: 404,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({
        params: { id: t.org.id, userId: t.outsider.id },
        body: { role: 'admin' },
        cookie: t.owner.cookie,
      }),
    }),
    defineCase({
      name: 'the last owner cannot be demoted',
      status: 422,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({
        params: { id: t.org.id, userId: t.owner.id },
        body: { role: 'member' },
        cookie: t.owner.cookie,
      }),
      async assert(ctx, res, t) {
        expect(errorCode(res)).toBe('LAST_OWNER');
        if (ctx.live) return;
        expect(await memberRole(ctx, t.org.id, t.owner.id)).toBe('owner');
      },
    }),
    limitedCase((_ctx, s) => ({ params: { id: s.org.id, userId: s.user.id }, body: { role: 'owner' } })),
  ],

  removeOrganizationMember: [
    defineCase({
      name: 'an admin removes a plain member, who loses access at once',
      status: 204,
      negativeBase: true,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id, userId: t.member.id }, cookie: t.admin.cookie }),
      async assert(ctx, _res, t) {
        const after = await ctx.call('listOrganizationMembers', { params: { id: t.org.id }, cookie: t.member.cookie });
        expect(after.status).toBe(403);
        if (ctx.live) return;
        expect(await memberRole(ctx, t.org.id, t.member.id)).toBeNull();
      },
    }),
    defineCase({
      name: 'an admin may not remove the owner',
      status: 403,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id, userId: t.owner.id }, cookie: t.admin.cookie }),
    }),
    defineCase({
      name: 'not a member',
      status: 404,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id, userId: t.outsider.id }, cookie: t.owner.cookie }),
    }),
    defineCase({
      name: 'the last owner cannot be removed',
      status: 422,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id, userId: t.owner.id }, cookie: t.owner.cookie }),
    }),
    limitedCase((_ctx, s) => ({ params: { id: s.org.id, userId: s.user.id } })),
  ],

  leaveOrganization: [
    defineCase({
      name: 'a member leaves',
      status: 204,
      negativeBase: true,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id }, cookie: t.member.cookie }),
      async assert(ctx, _res, t) {
        if (ctx.live) return;
        expect(await memberRole(ctx, t.org.id, t.member.id)).toBeNull();
      },
    }),
    defineCase({
      name: 'not a member',
      status: 404,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id }, cookie: t.outsider.cookie }),
    }),
    defineCase({
      name: 'the last owner cannot leave',
      status: 422,
      setup: (ctx) => team(ctx),
      request: (_ctx, t) => ({ params: { id: t.org.id }, cookie: t.owner.cookie }),
    }),
    limitedCase((_ctx, s) => ({ params: { id: s.org.id } })),
  ],
});
