/** Tests of src/routes/members.ts: adding, listing, re-roling and removing organization members. */
import { organizationMembers } from '@codex/database';
import { json, type LocalPlatform, registerUser, type TestUser } from '@codex/local';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callAs, createOrganization, startIdentity } from './helpers';

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

describe('members', () => {
  it('adds, lists, re-roles and removes members, and a change applies at once', async () => {
    const org = await createOrg(owner);
    const member = await registerUser(platform, { name: 'Mia Member' });
    const add = await call(
      `/api/organizations/${org.id}/members`,
      'POST',
      { email: member.email.toUpperCase() },
      owner,
    );
    expect(add.status).toBe(201);
    expect(await json(add)).toMatchObject({ userId: member.id, role: 'member', email: member.email });

    // The member sees the organization and the list, without emails.
    const seen = await json(await call(`/api/organizations/${org.id}`, 'GET', undefined, member));
    expect(seen.myRole).toBe('member');
    const asMember = await call(`/api/organizations/${org.id}/members`, 'GET', undefined, member);
    expect(asMember.status).toBe(200);
    const list = await json(asMember);
    expect(list.pagination.total).toBe(2);
    expect(list.items.every((m: { email: string | null }) => m.email === null)).toBe(true);
    const asOwner = await json(await call(`/api/organizations/${org.id}/members`, 'GET', undefined, owner));
    expect(asOwner.items.map((m: { email: string }) => m.email).sort()).toEqual([member.email, owner.email].sort());

    // A non-member cannot list, add or see emails.
    expect((await call(`/api/organizations/${org.id}/members`, 'GET', undefined, other)).status).toBe(403);
    expect((await call(`/api/organizations/${org.id}/members`, 'POST', { userId: other.id }, other)).status).toBe(403);

    // Duplicate add.
    expect((await call(`/api/organizations/${org.id}/members`, 'POST', { userId: member.id }, owner)).status).toBe(409);
    // Unknown user.
    expect(
      (await call(`/api/organizations/${org.id}/members`, 'POST', { email: 'nobody-here@example.test' }, owner)).status,
    ).toBe(404);
    // Both identifiers.
    expect(
      (await call(`/api/organizations/${org.id}/members`, 'POST', { email: member.email, userId: member.id }, owner))
        .status,
    ).toBe(400);

    // Promote, then the member can edit; demote, and the very next request is refused.
    expect(
      (await call(`/api/organizations/${org.id}/members/${member.id}`, 'PATCH', { role: 'admin' }, owner)).status,
    ).toBe(200);
    expect((await call(`/api/organizations/${org.id}`, 'PATCH', { description: 'admin edit' }, member)).status).toBe(
      200,
    );
    expect(
      (await call(`/api/organizations/${org.id}/members/${member.id}`, 'PATCH', { role: 'member' }, owner)).status,
    ).toBe(200);
    expect((await call(`/api/organizations/${org.id}`, 'PATCH', { description: 'member edit' }, member)).status).toBe(
      403,
    );

    // Remove: the next request by the removed user is refused.
    expect((await call(`/api/organizations/${org.id}/members/${member.id}`, 'DELETE', undefined, owner)).status).toBe(
      204,
    );
    expect((await call(`/api/organizations/${org.id}/members`, 'GET', undefined, member)).status).toBe(403);
    const rows = await platform.db
      .select()
      .from(organizationMembers)
      .where(and(eq(organizationMembers.organizationId, org.id), eq(organizationMembers.userId, member.id)));
    expect(rows).toHaveLength(0);
  });

  it('enforces who may grant roles and remove whom', async () => {
    const org = await createOrg(owner);
    const admin = await registerUser(platform);
    const plain = await registerUser(platform);
    const third = await registerUser(platform);
    await call(`/api/organizations/${org.id}/members`, 'POST', { userId: admin.id, role: 'admin' }, owner);
    await call(`/api/organizations/${org.id}/members`, 'POST', { userId: plain.id }, owner);
    // Admins add plain members only, and cannot change roles.
    expect(
      (await call(`/api/organizations/${org.id}/members`, 'POST', { userId: third.id, role: 'admin' }, admin)).status,
    ).toBe(403);
    expect((await call(`/api/organizations/${org.id}/members`, 'POST', { userId: third.id }, admin)).status).toBe(201);
    expect(
      (await call(`/api/organizations/${org.id}/members/${third.id}`, 'PATCH', { role: 'owner' }, admin)).status,
    ).toBe(403);
    // Plain members cannot add or remove.
    expect((await call(`/api/organizations/${org.id}/members/${third.id}`, 'DELETE', undefined, plain)).status).toBe(
      403,
    );
    // Admins remove plain members but not owners.
    expect((await call(`/api/organizations/${org.id}/members/${owner.id}`, 'DELETE', undefined, admin)).status).toBe(
      403,
    );
    expect((await call(`/api/organizations/${org.id}/members/${third.id}`, 'DELETE', undefined, admin)).status).toBe(
      204,
    );
    // Anyone may leave.
    expect((await call(`/api/organizations/${org.id}/leave`, 'POST', undefined, plain)).status).toBe(204);
    expect((await call(`/api/organizations/${org.id}/leave`, 'POST', undefined, plain)).status).toBe(404);
    const roles = await platform.db
      .select({ userId: organizationMembers.userId, role: organizationMembers.role })
      .from(organizationMembers)
      .where(eq(organizationMembers.organizationId, org.id));
    expect(roles.sort((a, b) => a.role.localeCompare(b.role))).toEqual([
      { userId: admin.id, role: 'admin' },
      { userId: owner.id, role: 'owner' },
    ]);
  });

  it('never leaves an organization without an owner', async () => {
    const org = await createOrg(owner);
    const demote = await call(`/api/organizations/${org.id}/members/${owner.id}`, 'PATCH', { role: 'member' }, owner);
    expect(demote.status).toBe(422);
    expect((await json(demote)).error.code).toBe('LAST_OWNER');
    expect((await call(`/api/organizations/${org.id}/leave`, 'POST', undefined, owner)).status).toBe(422);
    expect((await call(`/api/organizations/${org.id}/members/${owner.id}`, 'DELETE', undefined, owner)).status).toBe(
      422,
    );

    // With a second owner, two owners demoting each other at once leave exactly one owner: the change that
    // takes the organization lock second finds its caller already demoted, so it is refused (403).
    const second = await registerUser(platform);
    await call(`/api/organizations/${org.id}/members`, 'POST', { userId: second.id, role: 'owner' }, owner);
    const results = await Promise.all([
      call(`/api/organizations/${org.id}/members/${second.id}`, 'PATCH', { role: 'member' }, owner),
      call(`/api/organizations/${org.id}/members/${owner.id}`, 'PATCH', { role: 'member' }, second),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 403]);
    const owners = await platform.db
      .select()
      .from(organizationMembers)
      .where(and(eq(organizationMembers.organizationId, org.id), eq(organizationMembers.role, 'owner')));
    expect(owners).toHaveLength(1);
  });
});
