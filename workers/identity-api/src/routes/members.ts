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
import {
  type AppEnv,
  apiPolicy,
  currentUser,
  errorResponses,
  getDb,
  jsonBody,
  jsonResponse,
  SESSION_SECURITY,
} from '@codex/worker-kit';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';

const TAG = 'Organizations';
const signedIn = apiPolicy('required');

export const listMembersRoute = createRoute({
  method: 'get',
  path: '/api/organizations/{id}/members',
  operationId: 'listOrganizationMembers',
  tags: [TAG],
  summary: 'List the members of an organization',
  description: 'Members only. Emails are shown to owners and admins; other members see names and roles.',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: IdParamSchema, query: PaginationQuerySchema.strict() },
  responses: {
    200: jsonResponse(MemberListSchema, 'One page of members'),
    ...errorResponses(400, 401, 403, 404, 429, 503),
  },
});

export const addMemberRoute = createRoute({
  method: 'post',
  path: '/api/organizations/{id}/members',
  operationId: 'addOrganizationMember',
  tags: [TAG],
  summary: 'Add an existing user as a member',
  description:
    'Owners and admins add users by email or id; only owners may grant the admin or owner role. 404 when no user matches, 409 when already a member.',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: IdParamSchema, body: jsonBody(AddMemberSchema) },
  responses: {
    201: jsonResponse(MemberSchema, 'The new member'),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
  },
});

export const updateMemberRoute = createRoute({
  method: 'patch',
  path: '/api/organizations/{id}/members/{userId}',
  operationId: 'updateOrganizationMember',
  tags: [TAG],
  summary: "Change a member's role",
  description: 'Owners only. The last owner cannot be demoted (422).',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: MemberParamsSchema, body: jsonBody(UpdateMemberSchema) },
  responses: {
    200: jsonResponse(MemberSchema, 'The member with the new role'),
    ...errorResponses(400, 401, 403, 404, 413, 415, 422, 429, 503),
  },
});

export const removeMemberRoute = createRoute({
  method: 'delete',
  path: '/api/organizations/{id}/members/{userId}',
  operationId: 'removeOrganizationMember',
  tags: [TAG],
  summary: 'Remove a member',
  description:
    'Owners remove anyone, admins remove plain members; use your own user id to leave. The last owner cannot be removed or leave (422).',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: MemberParamsSchema },
  responses: {
    204: { description: 'Removed' },
    ...errorResponses(400, 401, 403, 404, 422, 429, 503),
  },
});

export const leaveOrganizationRoute = createRoute({
  method: 'post',
  path: '/api/organizations/{id}/leave',
  operationId: 'leaveOrganization',
  tags: [TAG],
  summary: 'Leave an organization',
  description: "Ends the caller's membership. The last owner cannot leave (422).",
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: IdParamSchema },
  responses: {
    204: { description: 'Left' },
    ...errorResponses(400, 401, 404, 422, 429, 503),
  },
});

export const memberRoutes = new OpenAPIHono<AppEnv>()
  .openapi(listMembersRoute, async (c) => {
    const { page, limit } = c.req.valid('query');
    const list = await new MemberService(getDb(c)).list(c.req.valid('param').id, currentUser(c).id, page, limit);
    return c.json(list, 200);
  })
  .openapi(addMemberRoute, async (c) => {
    const member = await new MemberService(getDb(c)).add(
      c.req.valid('param').id,
      currentUser(c).id,
      c.req.valid('json'),
    );
    return c.json(member, 201);
  })
  .openapi(updateMemberRoute, async (c) => {
    const { id, userId } = c.req.valid('param');
    const member = await new MemberService(getDb(c)).updateRole(
      id,
      currentUser(c).id,
      userId,
      c.req.valid('json').role,
    );
    return c.json(member, 200);
  })
  .openapi(removeMemberRoute, async (c) => {
    const { id, userId } = c.req.valid('param');
    await new MemberService(getDb(c)).remove(id, currentUser(c).id, userId);
    return c.body(null, 204);
  })
  .openapi(leaveOrganizationRoute, async (c) => {
    const user = currentUser(c);
    await new MemberService(getDb(c)).remove(c.req.valid('param').id, user.id, user.id);
    return c.body(null, 204);
  });
