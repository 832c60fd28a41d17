import {
  AddMemberSchema,
  IdParamSchema,
  MemberListSchema,
  MemberParamsSchema,
  MemberSchema,
  PaginationQuerySchema,
  UpdateMemberSchema,
} from '@codex/contract';
import { MemberService } from '@codex/organizations';
import { currentUser, defineRoute, getDb, json, jsonBody, noContent, routeGroup } from '@codex/worker-kit';

const TAG = 'Organizations';

const MEMBER_EXAMPLE = {
  userId: '9b2c4e1a-5d7f-4e3b-8a6c-1f0e2d3c4b5a',
  name: 'Grace Hopper',
  email: 'grace@example.com',
  role: 'member',
  joinedAt: '2026-11-25T10:30:00.000Z',
};

export const listOrganizationMembers = defineRoute({
  method: 'get',
  path: '/api/organizations/{id}/members',
  operationId: 'listOrganizationMembers',
  tag: TAG,
  summary: 'List the members of an organization',
  description: 'Emails are shown to owners and admins; other members see names and roles.',
  access: 'session',
  authorization: 'Members of the organization (403 NOT_A_MEMBER otherwise).',
  request: { params: IdParamSchema, query: PaginationQuerySchema },
  responses: {
    200: json(MemberListSchema, 'One page of members', {
      example: { items: [MEMBER_EXAMPLE], pagination: { page: 1, limit: 20, total: 1, totalPages: 1 } },
    }),
  },
  errors: ['ORGANIZATION_NOT_FOUND', 'NOT_A_MEMBER'],
});

export const addOrganizationMember = defineRoute({
  method: 'post',
  path: '/api/organizations/{id}/members',
  operationId: 'addOrganizationMember',
  tag: TAG,
  summary: 'Add an existing user as a member',
  description:
    'Name the user by exactly one of email or userId. 404 USER_NOT_FOUND when no user matches, 409 ALREADY_MEMBER when already a member.',
  access: 'session',
  idempotent: true,
  authorization:
    'Owners and admins add members; only owners may grant the admin or owner role (403 ORGANIZATION_ROLE_REQUIRED otherwise).',
  request: { params: IdParamSchema, body: jsonBody(AddMemberSchema) },
  responses: { 201: json(MemberSchema, 'The new member', { example: MEMBER_EXAMPLE }) },
  errors: ['ORGANIZATION_NOT_FOUND', 'ORGANIZATION_ROLE_REQUIRED', 'USER_NOT_FOUND', 'ALREADY_MEMBER'],
});

export const updateOrganizationMember = defineRoute({
  method: 'patch',
  path: '/api/organizations/{id}/members/{userId}',
  operationId: 'updateOrganizationMember',
  tag: TAG,
  summary: "Change a member's role",
  description: 'The last owner cannot be demoted (422 LAST_OWNER).',
  access: 'session',
  authorization: 'Owners of the organization (403 ORGANIZATION_ROLE_REQUIRED otherwise).',
  request: { params: MemberParamsSchema, body: jsonBody(UpdateMemberSchema) },
  responses: {
    200: json(MemberSchema, 'The member with the new role', { example: { ...MEMBER_EXAMPLE, role: 'admin' } }),
  },
  errors: ['ORGANIZATION_NOT_FOUND', 'ORGANIZATION_ROLE_REQUIRED', 'MEMBER_NOT_FOUND', 'LAST_OWNER'],
});

export const removeOrganizationMember = defineRoute({
  method: 'delete',
  path: '/api/organizations/{id}/members/{userId}',
  operationId: 'removeOrganizationMember',
  tag: TAG,
  summary: 'Remove a member',
  description: 'Use your own user id to leave. The last owner cannot be removed or leave (422 LAST_OWNER).',
  access: 'session',
  authorization:
    'Owners remove anyone, admins remove plain members, anyone removes themselves (403 ORGANIZATION_ROLE_REQUIRED otherwise).',
  request: { params: MemberParamsSchema },
  responses: { 204: noContent('Removed') },
  errors: ['ORGANIZATION_NOT_FOUND', 'ORGANIZATION_ROLE_REQUIRED', 'MEMBER_NOT_FOUND', 'LAST_OWNER'],
});

export const leaveOrganization = defineRoute({
  method: 'post',
  path: '/api/organizations/{id}/leave',
  operationId: 'leaveOrganization',
  tag: TAG,
  summary: 'Leave an organization',
  description: "Ends the caller's membership. The last owner cannot leave (422 LAST_OWNER).",
  access: 'session',
  authorization: 'Members of the organization (404 MEMBER_NOT_FOUND otherwise).',
  request: { params: IdParamSchema },
  responses: { 204: noContent('Left') },
  errors: ['ORGANIZATION_NOT_FOUND', 'MEMBER_NOT_FOUND', 'LAST_OWNER'],
});

export const memberRoutes = routeGroup();

memberRoutes.openapi(listOrganizationMembers, async (c) => {
  const { page, limit } = c.req.valid('query');
  const list = await new MemberService(getDb(c)).list(c.req.valid('param').id, currentUser(c).id, page, limit);
  return c.json(list, 200);
});

memberRoutes.openapi(addOrganizationMember, async (c) => {
  const member = await new MemberService(getDb(c)).add(c.req.valid('param').id, currentUser(c).id, c.req.valid('json'));
  return c.json(member, 201);
});

memberRoutes.openapi(updateOrganizationMember, async (c) => {
  const { id, userId } = c.req.valid('param');
  const member = await new MemberService(getDb(c)).updateRole(id, currentUser(c).id, userId, c.req.valid('json').role);
  return c.json(member, 200);
});

memberRoutes.openapi(removeOrganizationMember, async (c) => {
  const { id, userId } = c.req.valid('param');
  await new MemberService(getDb(c)).remove(id, currentUser(c).id, userId);
  return c.body(null, 204);
});

memberRoutes.openapi(leaveOrganization, async (c) => {
  const user = currentUser(c);
  await new MemberService(getDb(c)).remove(c.req.valid('param').id, user.id, user.id);
  return c.body(null, 204);
});
