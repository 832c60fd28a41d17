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
import { currentUser, defineRoute, getDb, json, jsonBody, noContent, routeGroup } from '@codex/worker-kit';

const TAG = 'Organizations';

const EXAMPLE = {
  id: '5eed0000-0000-4000-8000-000000000010',
  name: 'Acme Studio',
  slug: 'acme-studio',
  description: 'Films about making films.',
  logoUrl: null,
  websiteUrl: 'https://example.com',
  createdAt: '2026-11-25T10:00:00.000Z',
  updatedAt: '2026-11-25T10:00:00.000Z',
  myRole: 'owner',
};

export const createOrganization = defineRoute({
  method: 'post',
  path: '/api/organizations',
  operationId: 'createOrganization',
  tag: TAG,
  summary: 'Create an organization',
  description:
    'The caller becomes its owner in the same transaction. The slug must be free among live organizations; of two concurrent creates of one slug exactly one succeeds (409 SLUG_TAKEN for the other).',
  access: 'session',
  idempotent: true,
  request: { body: jsonBody(CreateOrganizationSchema) },
  responses: { 201: json(OrganizationSchema, 'Created; the caller is its owner', { example: EXAMPLE }) },
  errors: ['SLUG_TAKEN'],
});

export const listOrganizations = defineRoute({
  method: 'get',
  path: '/api/organizations',
  operationId: 'listOrganizations',
  tag: TAG,
  summary: 'List organizations',
  description:
    "Public profiles, paginated (limit ≤ 100), searchable on name and slug. scope=member or scope=owned lists the caller's own organizations and needs a session (401 otherwise).",
  access: 'session-optional',
  request: { query: ListOrganizationsQuerySchema },
  responses: {
    200: json(OrganizationListSchema, 'One page of organizations', {
      example: { items: [EXAMPLE], pagination: { page: 1, limit: 20, total: 1, totalPages: 1 } },
    }),
  },
  errors: ['AUTHENTICATION_REQUIRED'],
});

export const checkOrganizationSlug = defineRoute({
  method: 'get',
  path: '/api/organizations/check-slug/{slug}',
  operationId: 'checkOrganizationSlug',
  tag: TAG,
  summary: 'Check whether a slug can be used',
  description: 'available is false, with a reason, when the slug is taken, malformed or reserved.',
  access: 'session-optional',
  request: { params: SlugParamSchema },
  responses: {
    200: json(SlugAvailabilitySchema, 'Availability of the slug', {
      example: { slug: 'acme-studio', available: false, reason: 'taken' },
    }),
  },
});

export const getOrganizationBySlug = defineRoute({
  method: 'get',
  path: '/api/organizations/slug/{slug}',
  operationId: 'getOrganizationBySlug',
  tag: TAG,
  summary: 'Get an organization by slug',
  description: 'The public profile; myRole tells a signed-in caller their role.',
  access: 'session-optional',
  request: { params: SlugParamSchema },
  responses: { 200: json(OrganizationSchema, 'The organization', { example: EXAMPLE }) },
  errors: ['ORGANIZATION_NOT_FOUND'],
});

export const getOrganization = defineRoute({
  method: 'get',
  path: '/api/organizations/{id}',
  operationId: 'getOrganization',
  tag: TAG,
  summary: 'Get an organization by id',
  description: 'The public profile; myRole tells a signed-in caller their role.',
  access: 'session-optional',
  request: { params: IdParamSchema },
  responses: { 200: json(OrganizationSchema, 'The organization', { example: EXAMPLE }) },
  errors: ['ORGANIZATION_NOT_FOUND'],
});

export const updateOrganization = defineRoute({
  method: 'patch',
  path: '/api/organizations/{id}',
  operationId: 'updateOrganization',
  tag: TAG,
  summary: 'Update an organization',
  description: 'Only the fields sent change (at least one); a new slug must be free.',
  access: 'session',
  authorization: 'Owners and admins of the organization (403 ORGANIZATION_ROLE_REQUIRED otherwise).',
  request: { params: IdParamSchema, body: jsonBody(UpdateOrganizationSchema) },
  responses: { 200: json(OrganizationSchema, 'The updated organization', { example: EXAMPLE }) },
  errors: ['ORGANIZATION_NOT_FOUND', 'ORGANIZATION_ROLE_REQUIRED', 'SLUG_TAKEN'],
});

export const deleteOrganization = defineRoute({
  method: 'delete',
  path: '/api/organizations/{id}',
  operationId: 'deleteOrganization',
  tag: TAG,
  summary: 'Delete an organization',
  description: 'A soft delete: the organization disappears from every read and its slug becomes free.',
  access: 'session',
  authorization: 'Owners of the organization (403 ORGANIZATION_ROLE_REQUIRED otherwise).',
  request: { params: IdParamSchema },
  responses: { 204: noContent('Deleted') },
  errors: ['ORGANIZATION_NOT_FOUND', 'ORGANIZATION_ROLE_REQUIRED'],
});

export const organizationRoutes = routeGroup();

organizationRoutes.openapi(createOrganization, async (c) => {
  const org = await new OrganizationService(getDb(c)).create(c.req.valid('json'), currentUser(c).id);
  return c.json(org, 201);
});

organizationRoutes.openapi(listOrganizations, async (c) => {
  const list = await new OrganizationService(getDb(c)).list(c.req.valid('query'), c.get('user')?.id);
  return c.json(list, 200);
});

organizationRoutes.openapi(checkOrganizationSlug, async (c) => {
  return c.json(await new OrganizationService(getDb(c)).checkSlug(c.req.valid('param').slug), 200);
});

organizationRoutes.openapi(getOrganizationBySlug, async (c) => {
  const org = await new OrganizationService(getDb(c)).getBySlug(c.req.valid('param').slug, c.get('user')?.id);
  return c.json(org, 200);
});

organizationRoutes.openapi(getOrganization, async (c) => {
  const org = await new OrganizationService(getDb(c)).getById(c.req.valid('param').id, c.get('user')?.id);
  return c.json(org, 200);
});

organizationRoutes.openapi(updateOrganization, async (c) => {
  const org = await new OrganizationService(getDb(c)).update(
    c.req.valid('param').id,
    c.req.valid('json'),
    currentUser(c).id,
  );
  return c.json(org, 200);
});

organizationRoutes.openapi(deleteOrganization, async (c) => {
  await new OrganizationService(getDb(c)).remove(c.req.valid('param').id, currentUser(c).id);
  return c.body(null, 204);
});
