import {
  CreateOrganizationSchema,
  IdParamSchema,
  ListOrganizationsQuerySchema,
  OrganizationListSchema,
  OrganizationSchema,
  SlugAvailabilitySchema,
  SlugParamSchema,
  UpdateOrganizationSchema,
} from '@codex/contract';
import { OrganizationService } from '@codex/organizations';
import {
  type AppEnv,
  apiPolicy,
  currentUser,
  errorResponses,
  getDb,
  jsonBody,
  jsonResponse,
  OPTIONAL_SESSION_SECURITY,
  SESSION_SECURITY,
} from '@codex/worker-kit';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';

const TAG = 'Organizations';
const signedIn = apiPolicy('required');
const anyone = apiPolicy('optional');

export const createOrganizationRoute = createRoute({
  method: 'post',
  path: '/api/organizations',
  operationId: 'createOrganization',
  tags: [TAG],
  summary: 'Create an organization',
  description:
    'The caller becomes its owner in the same transaction. The slug must be free among live organizations; of two concurrent creates of one slug exactly one succeeds.',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { body: jsonBody(CreateOrganizationSchema) },
  responses: {
    201: jsonResponse(OrganizationSchema, 'Created; the caller is its owner'),
    ...errorResponses(400, 401, 409, 413, 415, 429, 503),
  },
});

export const listOrganizationsRoute = createRoute({
  method: 'get',
  path: '/api/organizations',
  operationId: 'listOrganizations',
  tags: [TAG],
  summary: 'List organizations',
  description:
    "Public profiles, paginated (limit ≤ 100), searchable on name and slug. scope=member or scope=owned lists the caller's own organizations and needs a session.",
  security: OPTIONAL_SESSION_SECURITY,
  middleware: anyone,
  request: { query: ListOrganizationsQuerySchema },
  responses: {
    200: jsonResponse(OrganizationListSchema, 'One page of organizations'),
    ...errorResponses(400, 401, 429, 503),
  },
});

export const checkSlugRoute = createRoute({
  method: 'get',
  path: '/api/organizations/check-slug/{slug}',
  operationId: 'checkOrganizationSlug',
  tags: [TAG],
  summary: 'Check whether a slug can be used',
  description: 'available is false, with a reason, when the slug is taken, malformed or reserved.',
  security: OPTIONAL_SESSION_SECURITY,
  middleware: anyone,
  request: { params: SlugParamSchema },
  responses: {
    200: jsonResponse(SlugAvailabilitySchema, 'Availability of the slug'),
    ...errorResponses(400, 429, 503),
  },
});

export const getOrganizationBySlugRoute = createRoute({
  method: 'get',
  path: '/api/organizations/slug/{slug}',
  operationId: 'getOrganizationBySlug',
  tags: [TAG],
  summary: 'Get an organization by slug',
  description: 'The public profile; myRole tells a signed-in caller their role.',
  security: OPTIONAL_SESSION_SECURITY,
  middleware: anyone,
  request: { params: SlugParamSchema },
  responses: {
    200: jsonResponse(OrganizationSchema, 'The organization'),
    ...errorResponses(400, 404, 429, 503),
  },
});

export const getOrganizationRoute = createRoute({
  method: 'get',
  path: '/api/organizations/{id}',
  operationId: 'getOrganization',
  tags: [TAG],
  summary: 'Get an organization by id',
  description: 'The public profile; myRole tells a signed-in caller their role.',
  security: OPTIONAL_SESSION_SECURITY,
  middleware: anyone,
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(OrganizationSchema, 'The organization'),
    ...errorResponses(400, 404, 429, 503),
  },
});

export const updateOrganizationRoute = createRoute({
  method: 'patch',
  path: '/api/organizations/{id}',
  operationId: 'updateOrganization',
  tags: [TAG],
  summary: 'Update an organization',
  description: 'Owners and admins. Only the fields sent change; a new slug must be free.',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: IdParamSchema, body: jsonBody(UpdateOrganizationSchema) },
  responses: {
    200: jsonResponse(OrganizationSchema, 'The updated organization'),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 429, 503),
  },
});

export const deleteOrganizationRoute = createRoute({
  method: 'delete',
  path: '/api/organizations/{id}',
  operationId: 'deleteOrganization',
  tags: [TAG],
  summary: 'Delete an organization',
  description: 'Owners only. A soft delete: the organization disappears from every read and its slug becomes free.',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: IdParamSchema },
  responses: {
    204: { description: 'Deleted' },
    ...errorResponses(400, 401, 403, 404, 429, 503),
  },
});

export const organizationRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createOrganizationRoute, async (c) => {
    const org = await new OrganizationService(getDb(c)).create(c.req.valid('json'), currentUser(c).id);
    return c.json(org, 201);
  })
  .openapi(listOrganizationsRoute, async (c) => {
    const list = await new OrganizationService(getDb(c)).list(c.req.valid('query'), c.get('user')?.id);
    return c.json(list, 200);
  })
  .openapi(checkSlugRoute, async (c) => {
    return c.json(await new OrganizationService(getDb(c)).checkSlug(c.req.valid('param').slug), 200);
  })
  .openapi(getOrganizationBySlugRoute, async (c) => {
    return c.json(await new OrganizationService(getDb(c)).getBySlug(c.req.valid('param').slug, c.get('user')?.id), 200);
  })
  .openapi(getOrganizationRoute, async (c) => {
    return c.json(await new OrganizationService(getDb(c)).getById(c.req.valid('param').id, c.get('user')?.id), 200);
  })
  .openapi(updateOrganizationRoute, async (c) => {
    const org = await new OrganizationService(getDb(c)).update(
      c.req.valid('param').id,
      c.req.valid('json'),
      currentUser(c).id,
    );
    return c.json(org, 200);
  })
  .openapi(deleteOrganizationRoute, async (c) => {
    await new OrganizationService(getDb(c)).remove(c.req.valid('param').id, currentUser(c).id);
    return c.body(null, 204);
  });
