import { ContentService, contentView } from '@codex/content';
import {
  ContentListSchema,
  ContentSchema,
  CreateContentSchema,
  CreatorIdParamSchema,
  IdParamSchema,
  ListContentQuerySchema,
  UpdateContentSchema,
} from '@codex/contract';
import { currentUser, defineRoute, getDb, json, jsonBody, noContent, routeGroup } from '@codex/worker-kit';

const TAG = 'Content';

const MANAGERS =
  'Who manages content: personal content, its creator only; organization content, the current owners and admins of the organization, whoever created it ' +
  '(a plain member, a former member or a demoted admin manages none of it, their own included). ' +
  'Anyone else gets 404 for content they cannot see (drafts) and 403 for published content they do not manage ' +
  '(NOT_CONTENT_OWNER for personal content, ORGANIZATION_ROLE_REQUIRED for organization content).';

const RULES =
  'Rules (422): purchased_only needs priceCents (PRICE_REQUIRED); members_only needs organizationId (ORGANIZATION_REQUIRED); ' +
  'the media type must match contentType (MEDIA_TYPE_MISMATCH).';

const EXAMPLE = {
  id: '5eed0000-0000-4000-8000-000000000003',
  creatorId: '5eed0000-0000-4000-8000-000000000001',
  organizationId: null,
  mediaItemId: '5eed0000-0000-4000-8000-000000000002',
  title: 'Episode 1: The Pilot',
  slug: 'the-pilot',
  description: 'Where it all begins.',
  contentType: 'video',
  visibility: 'purchased_only',
  priceCents: 499,
  currency: 'usd',
  status: 'published',
  publishedAt: '2026-11-25T12:00:00.000Z',
  createdAt: '2026-11-25T11:00:00.000Z',
  updatedAt: '2026-11-25T12:00:00.000Z',
};
const DRAFT_EXAMPLE = {
  ...EXAMPLE,
  mediaItemId: null,
  visibility: 'public',
  priceCents: null,
  status: 'draft',
  publishedAt: null,
};

export const createContent = defineRoute({
  method: 'post',
  path: '/api/content',
  operationId: 'createContent',
  tag: TAG,
  summary: 'Create content (as a draft)',
  description:
    'Created with status draft. mediaItemId must be media you manage: your personal media, or — for organization content — the ' +
    "organization's media; anything else is 404 MEDIA_NOT_FOUND, exactly like a missing id. The slug must be free among your live personal " +
    `content, or among the organization's (409 SLUG_TAKEN). ${RULES}`,
  access: 'session',
  idempotent: true,
  authorization:
    'Any signed-in user creates personal content (they become its creator and only manager). Content under an organization needs the owner ' +
    'or admin role there (403 ORGANIZATION_ROLE_REQUIRED; 404 for an unknown organization) and is then managed by its owners and admins.',
  request: { body: jsonBody(CreateContentSchema) },
  responses: { 201: json(ContentSchema, 'Created as a draft', { example: DRAFT_EXAMPLE }) },
  errors: [
    'ORGANIZATION_NOT_FOUND',
    'ORGANIZATION_ROLE_REQUIRED',
    'MEDIA_NOT_FOUND',
    'SLUG_TAKEN',
    'PRICE_REQUIRED',
    'ORGANIZATION_REQUIRED',
    'MEDIA_TYPE_MISMATCH',
    'CONTENT_RULE_VIOLATION',
  ],
});

export const getContent = defineRoute({
  method: 'get',
  path: '/api/content/{id}',
  operationId: 'getContent',
  tag: TAG,
  summary: 'Get content',
  description:
    'Those who manage the content see it in any status; everyone else (signed in or not) sees published content only, other content is 404. ' +
    'The metadata (title, description, price, visibility) of purchased_only and members_only content is public so it can be bought or joined; ' +
    'what is protected is the stream (GET /api/access/streaming-url/{contentId}). mediaItemId is shown to its managers only.',
  access: 'session-optional',
  request: { params: IdParamSchema },
  responses: { 200: json(ContentSchema, 'The content', { example: EXAMPLE }) },
  errors: ['CONTENT_NOT_FOUND'],
});

export const updateContent = defineRoute({
  method: 'patch',
  path: '/api/content/{id}',
  operationId: 'updateContent',
  tag: TAG,
  summary: 'Update content',
  description:
    `Only the fields sent change (at least one); the rules are checked on the result. ${RULES} ` +
    'Published content must keep ready media (422 MEDIA_NOT_READY / MEDIA_REQUIRED). The organization cannot be changed.',
  access: 'session',
  authorization: MANAGERS,
  request: { params: IdParamSchema, body: jsonBody(UpdateContentSchema) },
  responses: { 200: json(ContentSchema, 'The updated content', { example: EXAMPLE }) },
  errors: [
    'CONTENT_NOT_FOUND',
    'NOT_CONTENT_OWNER',
    'ORGANIZATION_ROLE_REQUIRED',
    'MEDIA_NOT_FOUND',
    'SLUG_TAKEN',
    'PRICE_REQUIRED',
    'ORGANIZATION_REQUIRED',
    'MEDIA_TYPE_MISMATCH',
    'MEDIA_NOT_READY',
    'MEDIA_REQUIRED',
    'CONTENT_RULE_VIOLATION',
  ],
});

export const publishContent = defineRoute({
  method: 'post',
  path: '/api/content/{id}/publish',
  operationId: 'publishContent',
  tag: TAG,
  summary: 'Publish content',
  description:
    'draft → published (already published: returned unchanged). The media must be ready: 422 MEDIA_REQUIRED without media, ' +
    '422 MEDIA_NOT_READY with the media status otherwise.',
  access: 'session',
  authorization: MANAGERS,
  request: { params: IdParamSchema },
  responses: { 200: json(ContentSchema, 'The published content', { example: EXAMPLE }) },
  errors: ['CONTENT_NOT_FOUND', 'NOT_CONTENT_OWNER', 'ORGANIZATION_ROLE_REQUIRED', 'MEDIA_REQUIRED', 'MEDIA_NOT_READY'],
});

export const unpublishContent = defineRoute({
  method: 'post',
  path: '/api/content/{id}/unpublish',
  operationId: 'unpublishContent',
  tag: TAG,
  summary: 'Unpublish content',
  description:
    'published → draft (a draft is returned unchanged). It disappears for everyone but its managers, streaming URLs included.',
  access: 'session',
  authorization: MANAGERS,
  request: { params: IdParamSchema },
  responses: {
    200: json(ContentSchema, 'The content, now a draft', {
      example: { ...EXAMPLE, status: 'draft', publishedAt: null },
    }),
  },
  errors: ['CONTENT_NOT_FOUND', 'NOT_CONTENT_OWNER', 'ORGANIZATION_ROLE_REQUIRED'],
});

export const deleteContent = defineRoute({
  method: 'delete',
  path: '/api/content/{id}',
  operationId: 'deleteContent',
  tag: TAG,
  summary: 'Delete content',
  description: 'A soft delete: the content disappears from every read and stream, and its slug becomes free.',
  access: 'session',
  authorization: MANAGERS,
  request: { params: IdParamSchema },
  responses: { 204: noContent('Deleted') },
  errors: ['CONTENT_NOT_FOUND', 'NOT_CONTENT_OWNER', 'ORGANIZATION_ROLE_REQUIRED'],
});

export const listCreatorContent = defineRoute({
  method: 'get',
  path: '/api/content/{creatorId}/list',
  operationId: 'listCreatorContent',
  tag: TAG,
  summary: "List a creator's content",
  description:
    'Published content of the creator for everyone, plus the unpublished items the caller manages. Filters: status, contentType, visibility; ' +
    'sort by createdAt, updatedAt, publishedAt (drafts last) or title; paginated (limit ≤ 100). An unknown creator is an empty list.',
  access: 'session-optional',
  request: { params: CreatorIdParamSchema, query: ListContentQuerySchema },
  responses: {
    200: json(ContentListSchema, 'One page of content', {
      example: { items: [EXAMPLE], pagination: { page: 1, limit: 20, total: 1, totalPages: 1 } },
    }),
  },
});

export const contentRoutes = routeGroup();

contentRoutes.openapi(createContent, async (c) => {
  const row = await new ContentService(getDb(c)).create(c.req.valid('json'), currentUser(c).id);
  return c.json(contentView(row, true), 201);
});

contentRoutes.openapi(getContent, async (c) => {
  const { row, manages } = await new ContentService(getDb(c)).get(c.req.valid('param').id, c.get('user')?.id);
  return c.json(contentView(row, manages), 200);
});

contentRoutes.openapi(updateContent, async (c) => {
  const row = await new ContentService(getDb(c)).update(
    c.req.valid('param').id,
    currentUser(c).id,
    c.req.valid('json'),
  );
  return c.json(contentView(row, true), 200);
});

contentRoutes.openapi(publishContent, async (c) => {
  const row = await new ContentService(getDb(c)).publish(c.req.valid('param').id, currentUser(c).id);
  return c.json(contentView(row, true), 200);
});

contentRoutes.openapi(unpublishContent, async (c) => {
  const row = await new ContentService(getDb(c)).unpublish(c.req.valid('param').id, currentUser(c).id);
  return c.json(contentView(row, true), 200);
});

contentRoutes.openapi(deleteContent, async (c) => {
  await new ContentService(getDb(c)).remove(c.req.valid('param').id, currentUser(c).id);
  return c.body(null, 204);
});

contentRoutes.openapi(listCreatorContent, async (c) => {
  const list = await new ContentService(getDb(c)).list(
    c.req.valid('param').creatorId,
    c.req.valid('query'),
    c.get('user')?.id,
  );
  return c.json(list, 200);
});
