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
import {
  type AppEnv,
  currentUser,
  errorResponses,
  getDb,
  jsonBody,
  jsonResponse,
  OPTIONAL_SESSION_SECURITY,
  SESSION_SECURITY,
} from '@codex/worker-kit';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { anyone, signedIn, TAG } from './shared';

const RULES =
  'Rules (422): purchased_only needs priceCents (PRICE_REQUIRED); members_only needs organizationId (ORGANIZATION_REQUIRED); ' +
  'the media type must match contentType (MEDIA_TYPE_MISMATCH). A priceCents that is not a positive integer is a schema error (400).';

export const createContentRoute = createRoute({
  method: 'post',
  path: '/api/content',
  operationId: 'createContent',
  tags: [TAG],
  summary: 'Create content (as a draft)',
  description:
    `Created with status draft. mediaItemId must be your own media, or the organization's media when organizationId is given; ` +
    `anyone else's media is 404 MEDIA_NOT_FOUND, exactly like a missing id. Content under an organization needs the owner or admin role there (403; 404 for an unknown organization). ` +
    `The slug must be free among your live personal content, or among the organization's (409 SLUG_TAKEN). ${RULES}`,
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { body: jsonBody(CreateContentSchema) },
  responses: {
    201: jsonResponse(ContentSchema, 'Created as a draft'),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
  },
});

export const getContentRoute = createRoute({
  method: 'get',
  path: '/api/content/{id}',
  operationId: 'getContent',
  tags: [TAG],
  summary: 'Get content',
  description:
    'The creator sees their content in any status. Everyone else (signed in or not) sees published content only, other content is 404. ' +
    'The metadata (title, description, price, visibility) of purchased_only and members_only content is public so it can be bought or joined; ' +
    'what is protected is the stream (GET /api/access/streaming-url/{contentId}). mediaItemId is shown to the creator only.',
  security: OPTIONAL_SESSION_SECURITY,
  middleware: anyone,
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(ContentSchema, 'The content'),
    ...errorResponses(400, 404, 429, 503),
  },
});

export const updateContentRoute = createRoute({
  method: 'patch',
  path: '/api/content/{id}',
  operationId: 'updateContent',
  tags: [TAG],
  summary: 'Update content',
  description:
    `The creator only (another user gets 403 on published content, 404 on content they cannot see). Only the fields sent change; the rules are checked on the result. ${RULES} ` +
    'Published content must keep ready media (422 MEDIA_NOT_READY / MEDIA_REQUIRED). The organization cannot be changed.',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: IdParamSchema, body: jsonBody(UpdateContentSchema) },
  responses: {
    200: jsonResponse(ContentSchema, 'The updated content'),
    ...errorResponses(400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
  },
});

export const publishContentRoute = createRoute({
  method: 'post',
  path: '/api/content/{id}/publish',
  operationId: 'publishContent',
  tags: [TAG],
  summary: 'Publish content',
  description:
    'draft → published (already published: returned unchanged). The media must be ready: 422 MEDIA_REQUIRED without media, 422 MEDIA_NOT_READY with the media status otherwise. ' +
    'Organization content needs the owner or admin role at the time of publishing (403).',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(ContentSchema, 'The published content'),
    ...errorResponses(400, 401, 403, 404, 422, 429, 503),
  },
});

export const unpublishContentRoute = createRoute({
  method: 'post',
  path: '/api/content/{id}/unpublish',
  operationId: 'unpublishContent',
  tags: [TAG],
  summary: 'Unpublish content',
  description:
    'published → draft (a draft is returned unchanged). It disappears for everyone but the creator, streaming URLs included.',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(ContentSchema, 'The content, now a draft'),
    ...errorResponses(400, 401, 403, 404, 429, 503),
  },
});

export const deleteContentRoute = createRoute({
  method: 'delete',
  path: '/api/content/{id}',
  operationId: 'deleteContent',
  tags: [TAG],
  summary: 'Delete content',
  description:
    'The creator only. A soft delete: the content disappears from every read and stream, and its slug becomes free.',
  security: SESSION_SECURITY,
  middleware: signedIn,
  request: { params: IdParamSchema },
  responses: {
    204: { description: 'Deleted' },
    ...errorResponses(400, 401, 403, 404, 429, 503),
  },
});

export const listCreatorContentRoute = createRoute({
  method: 'get',
  path: '/api/content/{creatorId}/list',
  operationId: 'listCreatorContent',
  tags: [TAG],
  summary: "List a creator's content",
  description:
    'The creator sees all their live content (drafts included); everyone else sees published content only. Filters: status, contentType, visibility; ' +
    'sort by createdAt, updatedAt, publishedAt (drafts last) or title; paginated (limit ≤ 100). An unknown creator is an empty list.',
  security: OPTIONAL_SESSION_SECURITY,
  middleware: anyone,
  request: { params: CreatorIdParamSchema, query: ListContentQuerySchema },
  responses: {
    200: jsonResponse(ContentListSchema, 'One page of content'),
    ...errorResponses(400, 429, 503),
  },
});

export const contentRoutes = new OpenAPIHono<AppEnv>()
  .openapi(createContentRoute, async (c) => {
    const user = currentUser(c);
    const row = await new ContentService(getDb(c)).create(c.req.valid('json'), user.id);
    return c.json(contentView(row, user.id), 201);
  })
  .openapi(getContentRoute, async (c) => {
    const viewer = c.get('user')?.id;
    const row = await new ContentService(getDb(c)).get(c.req.valid('param').id, viewer);
    return c.json(contentView(row, viewer), 200);
  })
  .openapi(updateContentRoute, async (c) => {
    const user = currentUser(c);
    const row = await new ContentService(getDb(c)).update(c.req.valid('param').id, user.id, c.req.valid('json'));
    return c.json(contentView(row, user.id), 200);
  })
  .openapi(publishContentRoute, async (c) => {
    const user = currentUser(c);
    const row = await new ContentService(getDb(c)).publish(c.req.valid('param').id, user.id);
    return c.json(contentView(row, user.id), 200);
  })
  .openapi(unpublishContentRoute, async (c) => {
    const user = currentUser(c);
    const row = await new ContentService(getDb(c)).unpublish(c.req.valid('param').id, user.id);
    return c.json(contentView(row, user.id), 200);
  })
  .openapi(deleteContentRoute, async (c) => {
    await new ContentService(getDb(c)).remove(c.req.valid('param').id, currentUser(c).id);
    return c.body(null, 204);
  })
  .openapi(listCreatorContentRoute, async (c) => {
    const list = await new ContentService(getDb(c)).list(
      c.req.valid('param').creatorId,
      c.req.valid('query'),
      c.get('user')?.id,
    );
    return c.json(list, 200);
  });
